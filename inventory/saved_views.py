"""Saved views: who may use, change and share a named table state, and a user's default.

A saved view keeps the table's query string (SPEC "View state": filters, `q`, `match`,
`columns`, `sort`, `per_page`) as it was saved, and the table parses it when the view is
opened: a view whose filters became invalid opens with the table's usual message next to
each ignored piece instead of being changed behind its owner's back. What a view shows is
always `selectors.matching_tokens(reader, state)`, so a shared view never shows a reader
more than the reader may see.

Access, one function each, raising rather than leaking:
- `usable_views(user)`: their own views and those shared with an organization they belong to;
- `view_for_user(user, pk)`: one of those; 404 alike for any other and for none at all;
- `owned_view_for_user(user, pk)`: the user's own view; 403 for one they may only use.
Services (keyword-only, atomic): `save_view`, `update_view`, `delete_view`,
`set_default_view`, `clear_default_view`. Input a person can correct raises
ValidationError by field (`name`, `query`, `share_with`), every problem at once.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.urls import reverse

from inventory.models import SAVED_VIEW_NAME_LENGTH, Organization, SavedView
from inventory.selectors import managed_organizations, visible_organizations
from inventory.viewstate import VIEW_PARAMETER

#: The pieces of the table's view state a saved view keeps (SPEC "View state").
STATE_PARAMETERS = ("filter", "q", "match", "columns", "sort", "per_page")
#: Where a reader is in the table, not what it shows: dropped from a saved query. Anything
#: else (another page's parameters, a filter builder's unsubmitted fields) is refused.
DROPPED_PARAMETERS = ("page", "view")
#: Room for a pasted column of serials (an `in` filter), and a bound on what one row holds.
MAX_QUERY_LENGTH = 100_000
MAX_QUERY_FIELDS = 200
#: The `view=` parameter that tells the table which saved view is open.
OPEN_VIEW_PARAMETER = VIEW_PARAMETER


# --- access ----------------------------------------------------------------------------


def usable_views(user) -> QuerySet[SavedView]:
    """The views `user` may open: their own, then those shared with an organization they
    belong to (any shared view for a superuser), each group by name, with owner and
    organization loaded."""
    if not (user.is_authenticated and user.is_active):
        return SavedView.objects.none()
    member_of = visible_organizations(user).values("pk")
    own_first = Case(When(owner=user, then=Value(0)), default=Value(1))
    return (
        SavedView.objects.filter(Q(owner=user) | Q(shared_with_id__in=member_of))
        .select_related("owner", "shared_with")
        .order_by(own_first, Lower("name"), "pk")
    )


def view_for_user(user, pk) -> SavedView:
    """The view `pk` if `user` may use it. Raises Http404 alike for a view that does not
    exist and one that is private to, or shared away by, someone else."""
    return get_object_or_404(usable_views(user), pk=pk)


def owned_view_for_user(user, pk) -> SavedView:
    """The view `pk` if `user` owns it. Raises PermissionDenied (403) for a view they may
    use but not change, and Http404 as `view_for_user` for any other."""
    view = view_for_user(user, pk)
    _require_owner(user, view)
    return view


def default_view(user) -> SavedView | None:
    """The view a plain visit of the table opens for `user`, if they chose one."""
    return usable_views(user).filter(owner=user, is_default=True).first()


def table_url(view: SavedView) -> str:
    """The table showing `view`: its state, then `view=<id>` to say which one is open."""
    open_view = urlencode([(OPEN_VIEW_PARAMETER, view.pk)])
    return f"{reverse('inventory:port_tokens')}?" + "&".join(filter(None, [view.query, open_view]))


def sharing_choices(user) -> QuerySet[Organization]:
    """The organizations `user` may share a view with: those they manage."""
    return managed_organizations(user).order_by("name", "org_id")


# --- services --------------------------------------------------------------------------


@transaction.atomic
def save_view(*, user, name: str, query: str, share_with: str | None) -> SavedView:
    """Save a new view of `user`. `query` is the table's query string (a leading `?`, or
    the table's whole URL, is accepted); `share_with` an Org ID the user manages, or empty
    for a private view."""
    view = SavedView(owner=user)
    _apply(view, user=user, name=name, query=query, share_with=share_with)
    return view


@transaction.atomic
def update_view(*, user, view: SavedView, name: str, query: str, share_with: str | None):
    """Change the owner's `view`: name, state and sharing, under the rules of `save_view`.
    Unsharing takes effect at once: other readers no longer find the view."""
    _require_owner(user, view)
    _apply(view, user=user, name=name, query=query, share_with=share_with)
    return view


@transaction.atomic
def delete_view(*, user, view: SavedView) -> None:
    """Delete the owner's `view`, for every reader (and as the owner's default)."""
    _require_owner(user, view)
    view.delete()


@transaction.atomic
def set_default_view(*, user, view: SavedView) -> None:
    """Make the owner's `view` their default: a plain visit of the table opens it."""
    _require_owner(user, view)
    # The owner's views locked first, so two requests choosing different defaults at once
    # run one after the other rather than colliding on "one default per owner".
    list(SavedView.objects.select_for_update().filter(owner=user).values_list("pk"))
    SavedView.objects.filter(owner=user, is_default=True).exclude(pk=view.pk).update(
        is_default=False
    )
    SavedView.objects.filter(pk=view.pk).update(is_default=True)
    view.is_default = True


@transaction.atomic
def clear_default_view(*, user) -> None:
    """Forget `user`'s default view: a plain visit shows the plain table again."""
    SavedView.objects.filter(owner=user, is_default=True).update(is_default=False)


# --- rules -----------------------------------------------------------------------------


def table_query(text: str) -> str:
    """The table state in `text` as a view stores it: `page`, `view` and the filter
    builder's fields dropped, every other piece kept as given (a bad filter included: the
    table says what is wrong with it when the view opens). Raises ValidationError when
    `text` is not a table query: another page's URL, or a parameter the table does not
    read."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(
            f"The table query is longer than {MAX_QUERY_LENGTH:,} characters: "
            "narrow the view before saving it."
        )
    if text.startswith("/") or "://" in text:
        url = urlsplit(text)
        if url.path != reverse("inventory:port_tokens"):
            raise ValidationError("That is not a table query: use a view of the Port Tokens table.")
        text = url.query
    try:
        pairs = parse_qsl(
            text.removeprefix("?"), keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS
        )
    except ValueError:
        raise ValidationError(
            f"That is not a table query: it has more than {MAX_QUERY_FIELDS} pieces."
        ) from None
    unknown = sorted({key for key, _ in pairs} - {*STATE_PARAMETERS, *DROPPED_PARAMETERS})
    if unknown:
        names = ", ".join(repr(key[:40]) for key in unknown[:5])
        raise ValidationError(
            f"That is not a table query: the table has no {names}. "
            "Save a view from the Port Tokens table."
        )
    return urlencode([(key, value) for key, value in pairs if key in STATE_PARAMETERS])


def _apply(view: SavedView, *, user, name: str, query: str, share_with: str | None) -> None:
    """Check every field, then write the view, or raise every problem at once."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    name_problem = _name_problem(name, owner=user, view=view)
    if name_problem:
        errors["name"] = [name_problem]
    try:
        view.query = table_query(query)
    except ValidationError as error:
        errors["query"] = error.messages
    try:
        view.shared_with = _sharing_organization(user, share_with)
    except ValidationError as error:
        errors["share_with"] = error.messages
    if errors:
        raise ValidationError(errors)
    view.name = name
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        # A parallel request saved the same name first.
        raise ValidationError({"name": [_duplicate_name(name)]}) from None


def _name_problem(name: str, *, owner, view: SavedView) -> str | None:
    if not name:
        return "Give the view a name."
    if len(name) > SAVED_VIEW_NAME_LENGTH:
        return (
            f"A view's name is at most {SAVED_VIEW_NAME_LENGTH} characters; "
            f"this one has {len(name)}."
        )
    # Compared as the database's uniqueness compares them: whatever their case.
    same_name = (
        SavedView.objects.filter(owner=owner)
        .annotate(folded=Lower("name"))
        .filter(folded=Lower(Value(name)))
    )
    if view.pk:
        same_name = same_name.exclude(pk=view.pk)
    if same_name.exists():
        return _duplicate_name(name)
    return None


def _duplicate_name(name: str) -> str:
    return f"You already have a view named “{name}”: choose another name, or update that view."


def _sharing_organization(user, org_id: str | None) -> Organization | None:
    org_id = (org_id or "").strip()
    if not org_id:
        return None
    organization = managed_organizations(user).filter(org_id=org_id).first()
    if organization is None:
        # The same words whether the organization exists or not: nothing leaks.
        raise ValidationError(
            "You can share a view only with an organization you manage; "
            f"{org_id[:64]!r} is not one of them."
        )
    return organization


def _require_owner(user, view: SavedView) -> None:
    if view.owner_id != user.pk:
        raise PermissionDenied("Only the owner of a view may change it.")
