"""The API's JSON shapes. Each serializer declares its fields for the schema; the token
serializer also writes its rows itself, fast, since a page holds up to 1,000 rows of 25
columns.

A token is the 25 columns of the table by key (`inventory.columns`): text as the table
shows it, `term_years` a number, dates `YYYY-MM-DD`, timestamps ISO 8601 in Pacific Time
with the offset, an empty field `null`. Organizations a reader may not see named read
"another organization" with a `null` Org ID (`selectors.organization_names`), as on the
transfer pages.
"""

from datetime import UTC, datetime

from rest_framework import serializers

from inventory.columns import COLUMNS, Column, Kind
from inventory.dbfunctions import PACIFIC
from inventory.models import PortToken
from inventory.selectors import OrganizationLabel
from inventory.transfers import MAX_NOTE_LENGTH, MAX_TOKENS

#: The Token S/N's path: every row carries it (the cursor is made from it).
SERIAL_PATH = "serial"
TOKEN_PATHS = [column.path for column in COLUMNS]


def pacific_timestamp(moment: datetime | None) -> str | None:
    """`2025-03-09T03:30:00-07:00`: the moment in Pacific Time, with its offset."""
    if moment is None:
        return None
    try:
        return moment.astimezone(PACIFIC).isoformat(timespec="seconds")
    except OverflowError:
        # A moment in UTC's first hours of year 1 has no Pacific wall time Python can
        # hold; the same instant in UTC is as exact.
        return moment.astimezone(UTC).isoformat(timespec="seconds")


def _text(value):
    return None if value is None or value == "" else str(value)


def _writer(column: Column):
    if column.kind is Kind.TIMESTAMP:
        return pacific_timestamp
    if column.kind is Kind.DATE:
        return lambda value: None if value is None else column.format(value)
    if column.kind is Kind.NUMBER:
        return lambda value: value
    return _text


_FIELD_CLASSES = {
    Kind.TEXT: serializers.CharField,
    Kind.NUMBER: serializers.IntegerField,
    Kind.DATE: serializers.DateField,
    Kind.TIMESTAMP: serializers.DateTimeField,
}


def _column_field(column: Column) -> serializers.Field:
    what = {
        Kind.TIMESTAMP: "ISO 8601 in Pacific Time with its offset",
        Kind.DATE: "YYYY-MM-DD",
        Kind.NUMBER: "a whole number",
        Kind.TEXT: "text as the table shows it",
    }[column.kind]
    extra = {"choices": PortToken.Status.values} if column.key == "status" else {}
    if extra:
        return serializers.ChoiceField(
            read_only=True, help_text=f"{column.label}: New, Available, Active or Expired.", **extra
        )
    return _FIELD_CLASSES[column.kind](
        read_only=True, allow_null=True, help_text=f"{column.label} ({what}); null when empty."
    )


class _TokenRowSerializer(serializers.Serializer):
    """Writes row dicts keyed by the columns' ORM paths (`TOKEN_PATHS`), as
    `QuerySet.values()` gives them."""

    _writers = [(column.key, column.path, _writer(column)) for column in COLUMNS]

    def to_representation(self, row):
        return {key: write(row[path]) for key, path, write in self._writers}


#: One token: the 25 columns by key, their fields declared from the column registry.
PortTokenSerializer = type(
    "PortTokenSerializer",
    (_TokenRowSerializer,),
    {
        "__doc__": "One port token: the 25 columns of the table by key.",
        **{column.key: _column_field(column) for column in COLUMNS},
    },
)


class PortTokenPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tokens matching the view state, on all pages.")
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(
        allow_null=True, help_text="The previous page; null on the first."
    )
    results = PortTokenSerializer(many=True)


class OrganizationRefSerializer(serializers.Serializer):
    """An organization as this reader may see it named."""

    org_id = serializers.CharField(allow_null=True, help_text="null: not one of yours.")
    name = serializers.CharField(help_text='"another organization" when not one of yours.')

    def to_representation(self, label: OrganizationLabel):
        return organization_ref(label)


def organization_ref(label: OrganizationLabel) -> dict:
    """`{"org_id", "name"}` of an organization as a reader may see it named."""
    return {"org_id": label.org_id or None, "name": label.name}


class TokenTransferSerializer(serializers.Serializer):
    """One transfer that moved a token."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField(help_text="ISO 8601 in Pacific Time.")
    created_by = serializers.CharField(help_text="Username of who made it.")
    from_org = OrganizationRefSerializer()
    to_org = OrganizationRefSerializer()
    note = serializers.CharField()
    url = serializers.URLField(help_text="The transfer in this API.")


class PortTokenDetailSerializer(PortTokenSerializer):
    transfers = TokenTransferSerializer(
        many=True, help_text="Transfers that moved the token which you may read, newest first."
    )
    other_transfers = serializers.IntegerField(
        help_text="How many more transfers moved it, between organizations you are not in."
    )


class StatusCountsSerializer(serializers.Serializer):
    New = serializers.IntegerField()
    Available = serializers.IntegerField()
    Active = serializers.IntegerField()
    Expired = serializers.IntegerField()


class OrganizationSerializer(serializers.Serializer):
    """One of the reader's organizations, from `selectors.organizations_with_token_counts`."""

    org_id = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(
        choices=["viewer", "manager"],
        allow_null=True,
        help_text="Your role; null for a superuser who is no member.",
    )
    total = serializers.IntegerField(help_text="All its tokens.")
    counts = StatusCountsSerializer(help_text="Its tokens by status.")

    def to_representation(self, organization):
        return {
            "org_id": organization.org_id,
            "name": organization.name,
            "role": organization.role,
            "total": organization.total,
            "counts": {
                status: getattr(organization, status.lower()) for status in PortToken.Status.values
            },
        }


class TransferSerializer(serializers.Serializer):
    """One transfer of the history, its organizations as this reader may see them."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField(help_text="ISO 8601 in Pacific Time.")
    created_by = serializers.CharField(help_text="Username of who made it.")
    to_org = OrganizationRefSerializer()
    from_orgs = serializers.ListField(
        child=serializers.CharField(),
        help_text='Names of the organizations the tokens left, by name; "another '
        'organization" (or "N other organizations") for those not yours.',
    )
    note = serializers.CharField()
    token_count = serializers.IntegerField(help_text="Tokens it moved.")
    url = serializers.URLField(help_text="The transfer in this API.")


class TransferItemSerializer(serializers.Serializer):
    token_sn = serializers.CharField()
    cloud_plan = serializers.CharField()
    from_org = OrganizationRefSerializer()


class TransferDetailSerializer(TransferSerializer):
    tokens = TransferItemSerializer(
        many=True, help_text="The tokens it moved that you may see, by Token S/N."
    )
    hidden_count = serializers.IntegerField(
        help_text="Tokens it moved from organizations you are not in (not listed)."
    )


class TransferRequestSerializer(serializers.Serializer):
    token_sns = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        max_length=MAX_TOKENS * 2,
        help_text=f"Token S/Ns to move, each once; at most {MAX_TOKENS:,}.",
    )
    to_org = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="Org ID of the destination, an organization you manage.",
    )
    note = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Optional, at most {MAX_NOTE_LENGTH} characters.",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: only say what would move and what cannot (200); nothing changes.",
    )


class MovableTokenSerializer(serializers.Serializer):
    token_sn = serializers.CharField()
    cloud_plan = serializers.CharField()
    status = serializers.CharField()
    from_org = OrganizationRefSerializer()


class TokenProblemSerializer(serializers.Serializer):
    token_sn = serializers.CharField()
    reason = serializers.CharField()


class TransferReviewSerializer(serializers.Serializer):
    movable = MovableTokenSerializer(many=True, help_text="Tokens that would move.")
    problems = TokenProblemSerializer(
        many=True, help_text="Every listed token that cannot move, with why."
    )


class ErrorSerializer(serializers.Serializer):
    param = serializers.CharField(help_text="The query parameter or body field.")
    value = serializers.JSONField(allow_null=True, help_text="The value given, if any.")
    message = serializers.CharField(help_text="What was wrong.")


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
