"""API keys: personal keys for the JSON API, stored as a hash with a short prefix to tell
them apart. A new table: no existing row can break its constraints.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0004_saved_views"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("prefix", models.CharField(max_length=16, unique=True)),
                ("key_hash", models.CharField(max_length=128)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_keys",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "API key",
                "verbose_name_plural": "API keys",
                "ordering": ["-created_at", "-id"],
                "constraints": [
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
                        name="api_key_name_not_blank",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            django.db.models.lookups.Exact(
                                models.Func(
                                    models.F("prefix"),
                                    models.Value(" \t\n\r"),
                                    function="TRIM",
                                    output_field=models.CharField(),
                                ),
                                models.Value(""),
                            ),
                            _negated=True,
                        ),
                        name="api_key_prefix_not_blank",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            django.db.models.lookups.Exact(
                                models.Func(
                                    models.F("key_hash"),
                                    models.Value(" \t\n\r"),
                                    function="TRIM",
                                    output_field=models.CharField(),
                                ),
                                models.Value(""),
                            ),
                            _negated=True,
                        ),
                        name="api_key_hash_not_blank",
                    ),
                    models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            django.db.models.functions.text.Length("name"), 100
                        ),
                        name="api_key_name_length",
                    ),
                ],
            },
        ),
    ]
