"""The user's saved column choice: read on every visit, written only by the column chooser.

Opening a URL never changes anything saved (SPEC "View state"): a `columns=` in a link
shows those columns for that visit only. The choice is stored when the user applies the
chooser, a POST with CSRF protection, so a link from anyone cannot rearrange their table.
"""

from django.db import IntegrityError, transaction
from django.utils.timezone import now

from inventory.columns import COLUMNS_BY_KEY
from inventory.models import ColumnPreference


def saved_column_keys(user) -> list[str] | None:
    """The column keys the user last chose, in display order, or None."""
    if not user.is_authenticated:
        return None
    saved = ColumnPreference.objects.filter(user=user).values_list("column_keys", flat=True).first()
    keys = [key for key in saved.split(",") if key in COLUMNS_BY_KEY] if saved else []
    return keys or None


def save_column_choice(*, user, column_keys: list[str]) -> None:
    """Store `column_keys` (known keys, display order, at least one) as the user's choice."""
    if not column_keys or any(key not in COLUMNS_BY_KEY for key in column_keys):
        raise ValueError(f"Not a column choice: {column_keys!r}")
    value = ",".join(column_keys)
    if ColumnPreference.objects.filter(user=user).update(column_keys=value, updated_at=now()):
        return
    try:
        with transaction.atomic():
            ColumnPreference.objects.create(user=user, column_keys=value)
    except IntegrityError:
        # A parallel request created the row first; the later choice wins.
        ColumnPreference.objects.filter(user=user).update(column_keys=value, updated_at=now())


def clear_column_choice(*, user) -> None:
    """Forget the user's choice, so the table shows the default columns again."""
    ColumnPreference.objects.filter(user=user).delete()
