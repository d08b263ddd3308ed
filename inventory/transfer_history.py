"""Reading the transfer history: the list, the names of the organizations each transfer
took tokens from, the words that describe a transfer, and the table link to its tokens.

Which transfers and which moved tokens a reader may see is the access module's
(`inventory.selectors`); this module only shapes what it gives for the pages. Moving
tokens and recording the history is the transfer service's (`inventory.transfers`).
"""

from collections.abc import Iterable

from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from inventory.models import Transfer, TransferItem
from inventory.selectors import OrganizationNames, visible_transfers
from inventory.viewstate import MAX_FILTERS


def transfer_history(user) -> QuerySet[Transfer]:
    """The history list of the transfers `user` may see: newest first, with who,
    destination and how many organizations the tokens came from, ready for one query per
    page. `TransferHistoryFilter` narrows it."""
    source_count = (
        TransferItem.objects.filter(transfer=OuterRef("pk"))
        .order_by()
        .values("transfer")
        .annotate(n=Count("from_organization", distinct=True))
        .values("n")
    )
    return (
        visible_transfers(user)
        .select_related("created_by", "to_organization")
        .annotate(source_count=Coalesce(Subquery(source_count), Value(0)))
        .order_by("-created_at", "-id")
    )


def source_names(
    transfer_ids: Iterable[int], reader: OrganizationNames | None = None
) -> dict[int, list[str]]:
    """Names of the organizations each transfer took tokens from, by name: one query.

    With a `reader` (`organization_names(user)`), only the names that reader may see,
    followed by one "another organization" (or "2 other organizations") for the rest.
    """
    rows = (
        TransferItem.objects.filter(transfer_id__in=list(transfer_ids))
        .values_list("transfer_id", "from_organization_id", "from_organization__name")
        .distinct()
        .order_by("transfer_id", "from_organization__name", "from_organization_id")
    )
    sources: dict[int, list[tuple[int, str]]] = {}
    for transfer_id, organization_id, name in rows:
        sources.setdefault(transfer_id, []).append((organization_id, name))
    reader = reader or OrganizationNames(frozenset(), sees_all=True)
    return {transfer_id: reader.labels(pairs) for transfer_id, pairs in sources.items()}


def describe_sources(names: list[str], count: int | None = None) -> str:
    """'Acme West', 'Acme West and Acme North', 'Acme West and another organization',
    '2 other organizations', or '3 organizations'; `names` as `source_names` gives them,
    `count` the number of source organizations."""
    count = len(names) if count is None else count
    if count <= 2 and names:
        return " and ".join(names)
    return f"{count:,} organizations"


def success_message(record: Transfer, reader: OrganizationNames | None = None) -> str:
    """'Moved 3 tokens from Acme West to Acme East', naming only what `reader` may see."""
    names = source_names([record.pk], reader).get(record.pk, [])
    destination = reader.label(record.to_organization) if reader else record.to_organization.name
    plural = "" if record.token_count == 1 else "s"
    return (
        f"Moved {record.token_count:,} token{plural} from {describe_sources(names)} "
        f"to {destination}"
    )


def table_link_items(
    record: Transfer, items: QuerySet[TransferItem]
) -> tuple[list[tuple[str, str]], bool]:
    """Query-string pairs for the Port Tokens table showing this transfer's tokens.

    `items` are the transfer's items the viewer may see (`selectors.transfer_items`). Up
    to MAX_FILTERS tokens (the table's filter limit) are named one by one; for more, the
    table is filtered on the destination. The flag says which (True: by serial).
    """
    if items.count() <= MAX_FILTERS:
        serials = items.order_by("token__serial").values_list("token__serial", flat=True)
        return [("filter", f"token_sn:is:{serial}") for serial in serials] + [
            ("match", "any")
        ], True
    return [("filter", f"org_id:is:{record.to_organization.org_id}")], False
