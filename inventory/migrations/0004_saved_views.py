"""Saved views: a name and a table state, private or shared with one organization.

Names are unique per owner whatever their case, never blank, at most 100 characters (SQLite
does not enforce a column's length, so a check does); at most one view per owner is their
default. A new table: no existing row can break these.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_invariants_and_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                (
                    "query",
                    models.TextField(blank=True, default="", help_text="The table's query string"),
                ),
                ("is_default", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_views",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "shared_with",
                    models.ForeignKey(
                        blank=True,
                        help_text="Its members may use the view; empty: only its owner.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="shared_views",
                        to="inventory.organization",
                    ),
                ),
            ],
            options={
                "ordering": ["name", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("owner"),
                        django.db.models.functions.text.Lower("name"),
                        name="saved_view_name_unique_per_owner",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("is_default", True)),
                        fields=("owner",),
                        name="one_default_view_per_owner",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            django.db.models.lookups.Exact(
                                models.Func(
                                    models.F("name"),
                                    models.Value(" \t\n\r"),
                                    function="TRIM",
                                    output_field=models.CharField(),
                                ),
                                models.Value(""),
                            ),
                            _negated=True,
                        ),
                        name="saved_view_name_not_blank",
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            django.db.models.functions.text.Length("name"), 100
                        ),
                        name="saved_view_name_length",
                    ),
                ],
            },
        ),
    ]
