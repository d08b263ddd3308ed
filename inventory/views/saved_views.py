"""Saved-view pages and the table's Views menu.

Routes (SPEC "Saved views"): `/inventory/views/` lists the views a user may use (GET) and
saves one (POST, 303 to the view); `/inventory/views/<id>/` opens one on the table (302);
the owner's edit, delete, default and "clear default" routes answer 303 back to a safe
local `next`, else to the list. For the Port Tokens page: `default_view_redirect` (a plain
visit opens the user's default view) and `views_menu` (the Views menu's context).

Thin: the rules live in `inventory.saved_views`; input it refuses comes back as form
errors on the list page (400), never as a server error.
"""

from typing import NamedTuple
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inventory.forms import OrganizationSelect, organization_choices
from inventory.models import SAVED_VIEW_NAME_LENGTH, SavedView
from inventory.saved_views import (
    OPEN_VIEW_PARAMETER,
    clear_default_view,
    default_view,
    delete_view,
    owned_view_for_user,
    save_view,
    set_default_view,
    sharing_choices,
    table_url,
    update_view,
    usable_views,
    view_for_user,
)
from inventory.viewstate import NO_VIEW_QUERY, parse_view_state, query_items_except

FIELDS = ("name", "query", "share_with")


class SavedViewForm(forms.Form):
    """Renders the name, sharing and state of a view. Lenient on purpose: the service
    checks every field and reports every problem at once (see `_with_errors`)."""

    name = forms.CharField(
        label="Name",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": SAVED_VIEW_NAME_LENGTH, "autocomplete": "off"}),
        help_text=f"Up to {SAVED_VIEW_NAME_LENGTH} characters, different from your other views.",
    )
    share_with = forms.CharField(
        label="Share with",
        required=False,
        widget=OrganizationSelect,
        help_text="Members of an organization you manage can open it; only you can change it.",
    )
    query = forms.CharField(
        label="Table query",
        required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text=(
            "What the view shows: the part of a Port Tokens address after the “?” "
            "(filters, columns, sort). Empty: the plain table."
        ),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_with"].widget.choices = [
            ("", "Only me"),
            *organization_choices(organizations),
        ]


class ViewRow(NamedTuple):
    """One view as the list page and the menu show it to one reader."""

    view: SavedView
    owned: bool
    open_url: str
    owner: str
    shared_with: str
    edit_form: SavedViewForm | None

    @property
    def summary(self) -> str:
        """What the view shows, in words: 'Org Name is Acme and Status is New; sorted by
        Org Name, descending'."""
        state = parse_view_state(QueryDict(self.view.query))
        joiner = " or " if state.match == "any" else " and "
        parts = [joiner.join(f.describe() for f in state.filters)]
        if state.q:
            parts.append(f"search “{state.q}”")
        if state.sort_given:
            order = ", descending" if state.sort_descending else ""
            parts.append(f"sorted by {state.sort_column.label}{order}")
        if state.messages:
            count = len(state.messages)
            parts.append(f"{count} piece{'s' if count > 1 else ''} no longer usable")
        return "; ".join(part for part in parts if part) or "Every token"


# --- the list ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def saved_view_list(request):
    if request.method == "GET":
        return _render_list(request)
    values = _posted(request, defaults=dict.fromkeys(FIELDS, ""))
    try:
        view = save_view(user=request.user, **values)
    except ValidationError as error:
        save_form = _with_errors(_form(request, values, "save"), error)
        return _render_list(request, save_form=save_form, status=400)
    messages.success(request, f"Saved the view “{view.name}”.")
    return _see_other(reverse("inventory:saved_view", args=[view.pk]))


@require_GET
def saved_view_open(request, pk):
    return HttpResponseRedirect(table_url(view_for_user(request.user, pk)))


@require_POST
def saved_view_edit(request, pk):
    """Change what the POST names (`name`, `query`, `share_with`); a field left out keeps
    its value, so "Update with current view" sends only the query and "Rename" no query."""
    view = owned_view_for_user(request.user, pk)
    current = {
        "name": view.name,
        "query": view.query,
        "share_with": view.shared_with.org_id if view.shared_with else "",
    }
    values = _posted(request, defaults=current)
    try:
        update_view(user=request.user, view=view, **values)
    except ValidationError as error:
        edit_form = _with_errors(_form(request, values, f"view{pk}"), error)
        return _render_list(request, edit_forms={view.pk: edit_form}, status=400)
    messages.success(request, f"Saved the view “{view.name}”.")
    return _back(request)


@require_POST
def saved_view_delete(request, pk):
    return _on_owned_view(request, pk, delete_view, "Deleted the view “{name}”.")


@require_POST
def saved_view_default(request, pk):
    return _on_owned_view(
        request, pk, set_default_view, "The Port Tokens page now opens with “{name}”."
    )


@require_POST
def saved_view_default_clear(request):
    clear_default_view(user=request.user)
    messages.success(request, "The Port Tokens page now opens without a saved view.")
    return _back(request)


def _on_owned_view(request, pk, service, message: str):
    """Run `service` on the user's own view `pk` (403 or 404 for any other), say
    `message` with the view's `{name}`, and go back."""
    view = owned_view_for_user(request.user, pk)
    service(user=request.user, view=view)
    messages.success(request, message.format(name=view.name))
    return _back(request)


def _render_list(request, *, save_form=None, edit_forms=None, status=200):
    edit_forms = edit_forms or {}
    organizations = list(sharing_choices(request.user))
    rows = []
    for view in usable_views(request.user):
        owned = view.owner_id == request.user.pk
        edit_form = edit_forms.get(view.pk)
        if owned and edit_form is None:
            edit_form = SavedViewForm(
                initial=_values_of(view), organizations=organizations, auto_id=f"view{view.pk}-%s"
            )
        rows.append(_row(request.user, view, edit_form if owned else None))
    context = {
        "rows": rows,
        "has_default": any(row.view.is_default for row in rows if row.owned),
        "save_form": save_form
        or SavedViewForm(organizations=organizations, auto_id="save-view-%s"),
        "open_edit": next(iter(edit_forms), None),
        "manages_any": bool(organizations),
    }
    return render(request, "inventory/saved_views.html", context, status=status)


def _row(user, view: SavedView, edit_form: SavedViewForm | None) -> ViewRow:
    owned = view.owner_id == user.pk
    owner = view.owner.get_full_name() or view.owner.get_username()
    return ViewRow(
        view=view,
        owned=owned,
        open_url=reverse("inventory:saved_view", args=[view.pk]),
        owner="You" if owned else owner,
        shared_with=view.shared_with.name if view.shared_with else "Only you",
        edit_form=edit_form,
    )


def _posted(request, *, defaults: dict[str, str]) -> dict[str, str]:
    return {name: request.POST.get(name, default) for name, default in defaults.items()}


def _form(request, values: dict[str, str], prefix: str) -> SavedViewForm:
    return SavedViewForm(
        values, organizations=list(sharing_choices(request.user)), auto_id=f"{prefix}-%s"
    )


def _with_errors(form: SavedViewForm, error: ValidationError) -> SavedViewForm:
    form.is_valid()  # always valid: the fields are lenient; this gives it cleaned_data
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field, message)
    return form


def _values_of(view: SavedView) -> dict[str, str]:
    return {
        "name": view.name,
        "query": view.query,
        "share_with": view.shared_with.org_id if view.shared_with else "",
    }


def _back(request):
    """303 to the POST's `next` when it is a URL of this site, else to the list."""
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return _see_other(target if safe else reverse("inventory:saved_views"))


def _see_other(url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(url, status=303)


# --- the Port Tokens page -----------------------------------------------------------------


def default_view_redirect(request) -> HttpResponseRedirect | None:
    """For a plain visit of the table (no query string at all): a 302 to the user's
    default view, if they chose one (SPEC "View state"); None otherwise."""
    if request.META.get("QUERY_STRING"):
        return None
    view = default_view(request.user)
    return HttpResponseRedirect(table_url(view)) if view else None


def views_menu(request, state) -> dict:
    """The Views menu of the table: the views the user may use (their own, then the shared
    ones with who shared them), which one is open (`state.view`; an id the user may not
    use marks nothing, and is dropped from the state so no link carries it), the owner's
    actions on it, and the save form for the current view."""
    views = list(usable_views(request.user))
    open_view = next((view for view in views if view.pk == state.view), None)
    state.view = open_view.pk if open_view else None
    organizations = list(sharing_choices(request.user))
    here = request.get_full_path()
    without_view = urlencode(query_items_except(request.GET, (OPEN_VIEW_PARAMETER,)))
    # Columns always named: a saved view shows the same columns to every reader, whatever
    # column choice each has saved.
    current = state.query_string(columns=state.columns, page=None, view=None)
    items = [
        {"row": _row(request.user, view, None), "is_open": view == open_view} for view in views
    ]
    owned_open = open_view if open_view and open_view.owner_id == request.user.pk else None
    return {
        "own": [item for item in items if item["row"].owned],
        "shared": [item for item in items if not item["row"].owned],
        "open": open_view,
        "owned_open": owned_open,
        "current_query": current,
        "here": here,
        "manages_any": bool(organizations),
        # Never the bare path: that would open the default view (SPEC "Saved views").
        "after_delete": f"{request.path}?{without_view or NO_VIEW_QUERY}",
        "save_form": SavedViewForm(
            initial={"query": current}, organizations=organizations, auto_id="save-view-%s"
        ),
        "rename_form": SavedViewForm(
            initial=_values_of(owned_open), organizations=organizations, auto_id="rename-view-%s"
        )
        if owned_open
        else None,
    }
