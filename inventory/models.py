"""The inventory's tables. Invariants live here as database constraints.

The 25 columns of the Port Tokens page are a join over these tables; `columns.py` says
how each column is read from that join.
"""

from django.conf import settings
from django.db import models
from django.db.models import CharField, F, Func, Q, Value
from django.db.models.functions import Length, Lower
from django.db.models.lookups import Exact, LessThanOrEqual

#: The characters a blank identifier may consist of: spaces, tabs and line breaks, the
#: white space people type and the transfer form splits serials on (an import trims all
#: white space before it gets here). SQL's plain TRIM removes only spaces, so the set is
#: spelled out: TRIM(text, characters) on SQLite and PostgreSQL alike.
BLANK_CHARACTERS = " \t\n\r"


def not_blank(field: str, name: str) -> models.CheckConstraint:
    """A key people type and read (a serial, an ID) is never empty or only white space."""
    trimmed = Func(F(field), Value(BLANK_CHARACTERS), function="TRIM", output_field=CharField())
    return models.CheckConstraint(condition=~Q(Exact(trimmed, Value(""))), name=name)


class Organization(models.Model):
    org_id = models.CharField("Org ID", max_length=64, unique=True)
    name = models.CharField("Org Name", max_length=200, db_index=True)

    class Meta:
        ordering = ["name", "org_id"]
        constraints = [not_blank("org_id", "organization_org_id_not_blank")]

    def __str__(self):
        return f"{self.name} ({self.org_id})"


class Membership(models.Model):
    """A user's access to one organization. Viewers see; managers also transfer."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org"),
            models.CheckConstraint(
                condition=Q(role__in=["viewer", "manager"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.role} of {self.organization}"


class Customer(models.Model):
    customer_id = models.CharField("Customer ID", max_length=64, unique=True)
    name = models.CharField("Customer Name", max_length=200, db_index=True)

    class Meta:
        constraints = [not_blank("customer_id", "customer_id_not_blank")]

    def __str__(self):
        return f"{self.name} ({self.customer_id})"


class Order(models.Model):
    """A sales order; several tokens usually come from one order."""

    sales_order = models.CharField("Sales Order", max_length=64, unique=True)
    purchase_order = models.CharField("Purchase Order", max_length=64, null=True, blank=True)
    customer_reference = models.CharField(
        "Customer Reference", max_length=200, null=True, blank=True
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    order_date = models.DateField("Order Date", null=True, blank=True, db_index=True)
    ship_date = models.DateField("Ship Date", null=True, blank=True, db_index=True)

    class Meta:
        constraints = [not_blank("sales_order", "order_sales_order_not_blank")]

    def __str__(self):
        return self.sales_order


class CloudPlanPart(models.Model):
    """The cloud-plan catalog: a part number fixes plan, term, port type and token type."""

    part_no = models.CharField("Part No.", max_length=64, unique=True)
    cloud_plan = models.CharField("Cloud Plan", max_length=200, db_index=True)
    description = models.CharField("Description", max_length=500, null=True, blank=True)
    term_years = models.PositiveSmallIntegerField("Term (Years)", null=True, blank=True)
    port_type = models.CharField("Port Type", max_length=64, null=True, blank=True)
    token_type = models.CharField("Token Type", max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            not_blank("part_no", "part_no_not_blank"),
            # A plan runs for whole years; a term of 0 would end before it starts.
            models.CheckConstraint(
                condition=Q(term_years__isnull=True) | Q(term_years__gte=1),
                name="part_term_at_least_one_year",
            ),
        ]

    def __str__(self):
        return f"{self.part_no} {self.cloud_plan}"


class Station(models.Model):
    serial = models.CharField("Station S/N", max_length=64, unique=True)
    name = models.CharField("Station Name", max_length=200, null=True, blank=True, db_index=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="stations"
    )

    class Meta:
        constraints = [not_blank("serial", "station_serial_not_blank")]

    def __str__(self):
        return f"{self.name or ''} ({self.serial})"


class Evse(models.Model):
    """One port of a station; a token is applied to at most one of these."""

    evse_id = models.CharField("EVSE ID", max_length=64, unique=True)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="evses")

    class Meta:
        verbose_name = "EVSE"
        verbose_name_plural = "EVSEs"
        constraints = [not_blank("evse_id", "evse_id_not_blank")]

    def __str__(self):
        return self.evse_id


#: The token fields the page's counting pass reads besides a filter's key (status, plan
#: end, movability: `inventory.summary`), held in the indexes that filters on related
#: tables go through.
COUNTED_FIELDS = ["status", "plan_end_date", "organization", "id"]


class PortToken(models.Model):
    class Status(models.TextChoices):
        NEW = "New", "New"
        AVAILABLE = "Available", "Available"
        ACTIVE = "Active", "Active"
        EXPIRED = "Expired", "Expired"

    #: Statuses of tokens that may be transferred (when also applied to no EVSE).
    TRANSFERABLE_STATUSES = (Status.NEW, Status.AVAILABLE)

    serial = models.CharField("Token S/N", max_length=64, unique=True)
    part = models.ForeignKey(CloudPlanPart, on_delete=models.PROTECT, related_name="tokens")
    # Indexed by `token_order_counts` below, which holds more.
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tokens",
        db_index=False,
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="tokens")
    # Indexed by `token_evse_counts` below, which holds more.
    evse = models.ForeignKey(
        Evse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tokens",
        db_index=False,
    )
    activation_date = models.DateTimeField(null=True, blank=True)
    applied_date = models.DateTimeField(null=True, blank=True)
    plan_start_date = models.DateTimeField(null=True, blank=True)
    plan_end_date = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    renewal_owner = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["New", "Available", "Active", "Expired"]),
                name="port_token_status_valid",
            ),
            models.UniqueConstraint(
                fields=["evse"],
                condition=Q(status="Active"),
                name="one_active_token_per_evse",
            ),
            not_blank("serial", "port_token_serial_not_blank"),
            # Equal is allowed (a plan that ends as it starts); either end may be unknown.
            models.CheckConstraint(
                condition=Q(plan_start_date__isnull=True)
                | Q(plan_end_date__isnull=True)
                | Q(plan_end_date__gte=F("plan_start_date")),
                name="port_token_plan_end_not_before_start",
            ),
        ]
        indexes = [
            # Visibility is "tokens of these organizations", paged by serial.
            models.Index(fields=["organization", "serial"], name="token_org_serial"),
            models.Index(fields=["status", "serial"], name="token_status_serial"),
            models.Index(fields=["activation_date"], name="token_activation"),
            models.Index(fields=["applied_date"], name="token_applied"),
            models.Index(fields=["plan_start_date"], name="token_plan_start"),
            models.Index(fields=["plan_end_date"], name="token_plan_end"),
            # A filter on a field of the EVSE, station or order finds those rows first,
            # then their tokens by these keys, and the page counts what it found: with
            # the fields it counts beside the key, PostgreSQL counts from the index alone
            # (migration 0009). SQLite indexes the key alone.
            models.Index(fields=["evse"], include=COUNTED_FIELDS, name="token_evse_counts"),
            models.Index(
                fields=["order"], include=[*COUNTED_FIELDS, "evse"], name="token_order_counts"
            ),
        ]

    def __str__(self):
        return self.serial


class TokenCount(models.Model):
    """How many tokens one organization holds of one part in one status, so the status
    summary and the organization counts add up a few thousand rows instead of counting a
    million. Database triggers (migration 0006) keep it exact on every insert, update,
    delete and truncate of tokens, whatever writes them; nothing else writes it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="token_counts"
    )
    part = models.ForeignKey(CloudPlanPart, on_delete=models.CASCADE, related_name="token_counts")
    status = models.CharField(max_length=16)
    tokens = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # No CHECK that tokens >= 0: PostgreSQL checks an upsert's proposed row before
            # it finds the conflict, and the triggers propose each group's change (-3).
            models.UniqueConstraint(
                fields=["organization", "part", "status"], name="one_token_count_per_group"
            ),
        ]

    def __str__(self):
        return f"{self.organization_id}/{self.part_id}/{self.status}: {self.tokens}"


class ColumnPreference(models.Model):
    """The columns a user last chose, shown when a URL names no `columns=`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="column_preference"
    )
    column_keys = models.TextField(help_text="Comma-separated column keys in display order")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: {self.column_keys}"


class HistoryIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a transfer record."""


# The transfer history is append-only twice over. Here, the ORM refuses with a clear
# exception before any SQL runs. In the database, triggers installed by migration 0003
# refuse UPDATE, DELETE and TRUNCATE of these rows from any client (`_base_manager`, raw
# SQL, a database shell), and check that a transfer's token count equals its rows.


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes to history are refused: rows are only ever inserted."""

    def update(self, **kwargs):
        raise HistoryIsAppendOnly(f"{self.model.__name__} rows cannot be updated.")

    def delete(self):
        raise HistoryIsAppendOnly(f"{self.model.__name__} rows cannot be deleted.")


def _insert_only(instance, save, args, kwargs):
    if not instance._state.adding:
        raise HistoryIsAppendOnly(f"{type(instance).__name__} #{instance.pk} cannot be changed.")
    # A new instance given the pk of an existing row must fail, not overwrite it.
    kwargs["force_insert"] = True
    save(*args, **kwargs)


class Transfer(models.Model):
    """One transfer of tokens into an organization. Append-only history."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers"
    )
    to_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="transfers_in"
    )
    note = models.CharField(max_length=500, blank=True, default="")
    token_count = models.PositiveIntegerField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Equal to the number of its items: that is a trigger (it spans two tables).
            models.CheckConstraint(
                condition=Q(token_count__gte=1), name="transfer_moves_at_least_one_token"
            )
        ]

    def __str__(self):
        return f"Transfer #{self.pk} to {self.to_organization}"

    def save(self, *args, **kwargs):
        _insert_only(self, super().save, args, kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsAppendOnly(f"Transfer #{self.pk} cannot be deleted.")


class TransferItem(models.Model):
    """One token moved by a transfer, with the organization it left."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="items")
    token = models.ForeignKey(PortToken, on_delete=models.PROTECT, related_name="transfer_items")
    from_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="transfers_out"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transfer", "token"], name="token_once_per_transfer")
        ]
        indexes = [models.Index(fields=["from_organization", "transfer"], name="item_from_org")]

    def __str__(self):
        return f"{self.token} from {self.from_organization}"

    def save(self, *args, **kwargs):
        _insert_only(self, super().save, args, kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsAppendOnly(f"Transfer item #{self.pk} cannot be deleted.")


class ExportLog(models.Model):
    """Who exported what, for compliance: one row per export, written when it starts and
    closed as finished or failed when the stream ends."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_logs"
    )
    file_format = models.CharField(max_length=8)
    scope = models.CharField(max_length=16)
    query_string = models.TextField(blank=True, default="")
    row_count = models.PositiveIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    #: Why a failed export stopped, in words for the export history.
    failure = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user} {self.file_format} {self.scope} at {self.created_at}"


#: The longest name a saved view may have (SPEC "Saved views": 1 to 100 characters).
SAVED_VIEW_NAME_LENGTH = 100


class SavedView(models.Model):
    """A named table state (the table's query string), private to its owner or shared with
    one organization. `inventory.saved_views` holds the rules: who may use, change and share
    one. At most one of an owner's views is their default, opened by a plain visit of the
    table; a default is always the owner's own view, so a flag on the view says it and the
    database keeps it to one per owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=SAVED_VIEW_NAME_LENGTH)
    query = models.TextField(blank=True, default="", help_text="The table's query string")
    # A view shared with an organization that is later deleted stays its owner's: private.
    shared_with = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shared_views",
        help_text="Its members may use the view; empty: only its owner.",
    )
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # "Acme" and "acme" in one menu would be two views nobody can tell apart.
            models.UniqueConstraint(
                "owner", Lower("name"), name="saved_view_name_unique_per_owner"
            ),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="one_default_view_per_owner"
            ),
            not_blank("name", "saved_view_name_not_blank"),
            # SQLite does not enforce max_length.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("name"), SAVED_VIEW_NAME_LENGTH),
                name="saved_view_name_length",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.owner})"


class ApiKey(models.Model):
    """A personal key for the JSON API. Only a hash of the key is stored: the key itself is
    shown once, when it is made. `prefix` (the key's first characters) tells a user's keys
    apart on the API keys page and finds the row a presented key belongs to;
    `inventory.api.keys` holds the rules (making, checking, revoking)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        constraints = [
            not_blank("name", "api_key_name_not_blank"),
            not_blank("prefix", "api_key_prefix_not_blank"),
            not_blank("key_hash", "api_key_hash_not_blank"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("name"), 100), name="api_key_name_length"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user}"
