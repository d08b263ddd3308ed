"""django-filter filtersets for the plain filter forms: one field, one URL parameter each.

The Port Tokens table's filter builder keeps its own grammar (`inventory.viewstate`):
"Match any" and per-row errors are beyond what a filterset expresses.
"""

import django_filters

from inventory.forms import organization_choices
from inventory.models import Organization
from inventory.selectors import transfers_touching, visible_organizations
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
