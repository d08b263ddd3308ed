"""django-filter filtersets for the plain filter forms: one field, one URL parameter each:
the transfer history's (`TransferHistoryFilter`) and the export history's
(`ExportHistoryFilter`).

The Port Tokens table's filter builder keeps its own grammar (`inventory.viewstate`):
"Match any" and per-row errors are beyond what a filterset expresses.
"""

import django_filters
from django import forms

from inventory.forms import organization_choices
from inventory.models import ExportLog, Organization
from inventory.selectors import transfers_touching, visible_export_logs, visible_organizations
from inventory.temporal import next_day, pacific_day_start
from inventory.transfer_history import transfer_history


class TransferHistoryFilter(django_filters.FilterSet):
    """The transfer history (`/inventory/transfers/`) of one reader, narrowed by
    `org=<Org ID>` to the transfers into or out of one of the reader's organizations.

    Any other `org` is ignored with a message on the form and the whole history shows.
    The choices are checked against the reader's organizations in memory, so an odd value
    (a NUL, a very long one) never reaches the database.
    """

    org = django_filters.ChoiceFilter(
        label="Organization",
        empty_label="All my organizations",
        method="filter_touching",
        error_messages={
            "invalid_choice": "“%(value)s” is not one of your organizations; showing all of them."
        },
    )

    def __init__(self, data, *, user):
        organizations = visible_organizations(user).order_by("name", "org_id")
        self.organizations = {organization.org_id: organization for organization in organizations}
        super().__init__(data, queryset=transfer_history(user))
        self.filters["org"].extra["choices"] = organization_choices(self.organizations.values())

    @property
    def organization(self) -> Organization | None:
        """The organization the history is narrowed to, if a valid one was chosen."""
        if not self.is_valid():
            return None
        return self.organizations.get(self.form.cleaned_data["org"])

    def filter_touching(self, queryset, name, org_id):
        return queryset.filter(transfers_touching(self.organizations[org_id]))


class ExportHistoryForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            # add_error drops the field from cleaned_data: the range is not applied.
            self.add_error("until", "“To” is before “From”; showing exports from “From” on.")
        return cleaned


class ExportHistoryFilter(django_filters.FilterSet):
    """The export history (`/inventory/exports/`) of one reader (`visible_export_logs`),
    narrowed by `user=<username>` (superusers only: the people who exported), `format=csv|
    xlsx`, and `since`/`until`, Pacific days, both included.

    A value that cannot be used is ignored with a message next to its field, and the other
    fields still apply. Choices are checked in memory, so an odd value (a NUL, a very long
    one) never reaches the database.
    """

    user = django_filters.ChoiceFilter(
        label="Who",
        empty_label="Everyone",
        field_name="user__username",
        error_messages={"invalid_choice": "No exports by “%(value)s”; showing everyone’s."},
    )
    format = django_filters.ChoiceFilter(
        label="Format",
        empty_label="Any format",
        field_name="file_format",
        choices=[("csv", "CSV"), ("xlsx", "Excel (XLSX)")],
        error_messages={"invalid_choice": "“%(value)s” is not a format; showing every format."},
    )
    since = django_filters.DateFilter(
        label="From",
        method="filter_since",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Use a date like 2026-03-31; “From” ignored."},
    )
    until = django_filters.DateFilter(
        label="To",
        method="filter_until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Use a date like 2026-03-31; “To” ignored."},
    )

    class Meta:
        form = ExportHistoryForm

    def __init__(self, data, *, user):
        super().__init__(data, queryset=visible_export_logs(user))
        if user.is_superuser:
            usernames = (
                ExportLog.objects.order_by("user__username")
                .values_list("user__username", flat=True)
                .distinct()
            )
            self.filters["user"].extra["choices"] = [(name, name) for name in usernames]
        else:
            del self.filters["user"]

    def filter_since(self, queryset, name, day):
        return queryset.filter(created_at__gte=pacific_day_start(day))

    def filter_until(self, queryset, name, day):
        after = next_day(day)
        return (
            queryset if after is None else queryset.filter(created_at__lt=pacific_day_start(after))
        )
