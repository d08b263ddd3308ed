"""Transfer pages. Thin: parse the request, ask the access module (inventory.selectors),
the transfer service (inventory.transfers) and the history (inventory.transfer_history),
render."""

import re
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from inventory.eligibility import movable_but_already_in
from inventory.filtersets import TransferHistoryFilter
from inventory.forms import TransferForm
from inventory.models import Transfer
from inventory.selection import remove_serials, selected_serials
from inventory.selectors import (
    OrganizationLabel,
    managed_organizations,
    organization_names,
    transfer_for_user,
    transfer_items,
)
from inventory.transfer_history import (
    describe_sources,
    source_names,
    success_message,
    table_link_items,
)
from inventory.transfers import (
    MAX_TOKENS,
    Preselection,
    TransferRefused,
    preselect_serials,
    review_transfer,
    transfer_tokens,
)

HISTORY_PER_PAGE = 25
DETAIL_PER_PAGE = 100
# The review lists every problem, but only this many of the tokens that will move: the
# count and the sources say the rest, and 10,000 rows would bury the button.
REVIEW_ROWS = 500
# With more organizations than this, the destination list gets a filter box.
SEARCHABLE_FROM = 8


@require_http_methods(["GET", "POST"])
def transfer_form(request):
    organizations = list(managed_organizations(request.user).order_by("name", "org_id"))
    if request.method == "GET":
        if request.GET.get("selected") == "1":
            preselection = Preselection(selected_serials(request.session), [])
        else:
            preselection = preselect_serials(request.user, request.GET)
        typed, apart = _typeable(preselection.serials)
        form = TransferForm(initial={"token_sns": "\n".join(typed)}, organizations=organizations)
        return _render_form(
            request, form, organizations, notes=preselection.notes, listed_apart=apart
        )

    data = request.POST
    notes = []
    if data.get("action") == DROP_PROBLEMS:
        data, notes = _without_problems(request, organizations)
    form = TransferForm(data, organizations=organizations)
    listed_apart = _listed_apart(data)
    if not form.is_valid():
        return _render_form(request, form, organizations, status=400, listed_apart=listed_apart)
    arguments = {
        "user": request.user,
        "serials": form.cleaned_data["token_sns"] + listed_apart,
        "to_org": form.cleaned_data["to_org"],
        "note": form.cleaned_data["note"],
    }
    # Anything but an explicit transfer only reviews: a stray or missing action never moves.
    if data.get("action") == "transfer":
        try:
            record = transfer_tokens(
                **arguments, reviewed_sources=data.getlist("reviewed_from") or None
            )
        except TransferRefused as refused:
            review = refused.review
        else:
            # Moved tokens leave the table's selection; what is left there stays.
            remove_serials(request.session, arguments["serials"])
            messages.success(request, success_message(record, organization_names(request.user)))
            url = reverse("inventory:transfer_detail", args=[record.pk])
            return HttpResponseRedirect(url, status=303)
    else:
        review = review_transfer(**arguments)
    for name, errors in review.errors.items():
        for error in errors:
            form.add_error(name, error)
    return _render_form(
        request,
        form,
        organizations,
        review=review,
        notes=notes,
        listed_apart=listed_apart,
        serials=arguments["serials"],
        status=200 if review.ok else 400,
    )


#: The review's "Remove the N tokens that cannot move and review again".
DROP_PROBLEMS = "drop_problems"
#: What the Token S/Ns box splits on: a serial holding one of these is listed apart.
_SPLITS = re.compile(r"[\s,;]")


def _typeable(serials: list[str]) -> tuple[list[str], list[str]]:
    """The serials the Token S/Ns box can hold, and those it would split (a serial with a
    space, comma or semicolon), which the form lists apart, each exactly as it is."""
    typed = [serial for serial in serials if not _SPLITS.search(serial)]
    return typed, [serial for serial in serials if _SPLITS.search(serial)]


def _listed_apart(data) -> list[str]:
    return [serial for serial in data.getlist("token") if serial.strip()]


def _without_problems(request, organizations) -> tuple:
    """The posted form with each token listed once and every token that cannot move taken
    out, and a note naming what was taken out."""
    data = request.POST.copy()
    form = TransferForm(data, organizations=organizations)
    form.is_valid()
    serials = list(dict.fromkeys(form.cleaned_data.get("token_sns", []) + _listed_apart(data)))
    review = review_transfer(
        user=request.user,
        serials=serials,
        to_org=form.cleaned_data.get("to_org"),
        note=form.cleaned_data.get("note", ""),
    )
    problems = [problem.serial for problem in review.problems]
    dropped = set(problems)
    typed, apart = _typeable([serial for serial in serials if serial not in dropped])
    data["token_sns"] = "\n".join(typed)
    data.setlist("token", apart)
    data["action"] = "review"
    named = ", ".join(problems[:NAMED_DROPPED])
    more = len(problems) - NAMED_DROPPED
    note = (
        f"Removed {len(problems):,} Token S/N{pluralize(len(problems))} that cannot move: "
        + named
        + (f" and {more:,} more" if more > 0 else "")
        + "."
    )
    return data, [note] if problems else ["Each token is now listed once."]


#: Dropped serials the note names before counting the rest.
NAMED_DROPPED = 20


def _render_form(
    request,
    form,
    organizations,
    *,
    review=None,
    notes=(),
    listed_apart=(),
    serials=(),
    status=200,
):
    context = {
        "form": form,
        "review": review,
        "review_rows": review.movable[:REVIEW_ROWS] if review else [],
        "movable_count": f"{len(review.movable):,}" if review else "0",
        "notes": notes,
        "listed_apart": listed_apart,
        "manages_any": bool(organizations),
        "searchable": len(organizations) > SEARCHABLE_FROM,
        "max_tokens": MAX_TOKENS,
        **(_review_groups(request.user, review, serials) if review else {}),
    }
    return render(request, "inventory/transfer_form.html", context, status=status)


def _review_groups(user, review, serials) -> dict:
    """The review's problems in two groups: the tokens already in the destination that
    could move otherwise (named as such: they are where the transfer would take them) and
    those that cannot move; and the offer to take them all out of the list."""
    there = (
        movable_but_already_in(user, [p.serial for p in review.problems], review.destination)
        if review.destination and review.problems
        else set()
    )
    problems = [p for p in review.problems if p.serial not in there]
    already = [p for p in review.problems if p.serial in there]
    listed_once = len(set(serials)) < len(serials)
    removable = len(review.problems)
    offer = None
    if review.problems and len(set(serials)) > removable:
        offer = (
            f"Remove the {removable:,} token{pluralize(removable)} that cannot move "
            "and review again"
        )
    elif listed_once and not review.problems:
        offer = "List each token once and review again"
    return {
        "problems": problems,
        "problem_count": f"{len(problems):,}",
        "already_there": already,
        "already_count": f"{len(already):,}",
        "drop_offer": offer,
        "drop_action": DROP_PROBLEMS,
    }


class HistoryRow(NamedTuple):
    """One line of the history list, with the organizations as this reader may see them."""

    transfer: Transfer
    sources: str
    destination: OrganizationLabel


def transfer_list(request):
    history = TransferHistoryFilter(request.GET, user=request.user)
    organization = history.organization
    page = Paginator(history.qs, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    reader = organization_names(request.user)
    names = source_names((record.pk for record in page if record.source_count <= 2), reader)
    rows = [
        HistoryRow(
            record,
            describe_sources(names.get(record.pk, []), record.source_count),
            reader.label(record.to_organization),
        )
        for record in page
    ]
    return render(
        request,
        "inventory/transfer_list.html",
        {
            "filter_form": history.form,
            "organization": organization,
            "page": page,
            "rows": rows,
            "page_query": urlencode({"org": organization.org_id}) if organization else "",
        },
    )


def transfer_detail(request, pk):
    record = transfer_for_user(request.user, pk)
    reader = organization_names(request.user)
    items = transfer_items(record, request.user, reader=reader)
    page = Paginator(items, DETAIL_PER_PAGE).get_page(request.GET.get("page"))
    # Only a member of the destination (or a superuser) can see the moved tokens in the
    # table: for a reader of a source only they are now in another organization.
    in_destination = reader.may_name(record.to_organization_id)
    table_url, by_serial = None, False
    if in_destination:
        link_items, by_serial = table_link_items(record, items)
        table_url = f"{reverse('inventory:port_tokens')}?{urlencode(link_items)}"
    return render(
        request,
        "inventory/transfer_detail.html",
        {
            "transfer": record,
            "page_title": f"Transfer #{record.pk}",
            "sources": source_names([record.pk], reader).get(record.pk, []),
            "destination": reader.label(record.to_organization),
            "page": page,
            "rows": [(item, reader.label(item.from_organization)) for item in page],
            "in_destination": in_destination,
            "table_url": table_url,
            "table_by_serial": by_serial,
            "hidden_count": record.token_count - page.paginator.count,
        },
    )
