"""Transfer pages. Thin: parse the request, ask the access module (inventory.selectors),
the transfer service (inventory.transfers) and the history (inventory.transfer_history),
render."""

from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from inventory.filtersets import TransferHistoryFilter
from inventory.forms import TransferForm
from inventory.models import Transfer
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
        preselection = preselect_serials(request.user, request.GET)
        form = TransferForm(
            initial={"token_sns": "\n".join(preselection.serials)}, organizations=organizations
        )
        return _render_form(request, form, organizations, notes=preselection.notes)

    form = TransferForm(request.POST, organizations=organizations)
    if not form.is_valid():
        return _render_form(request, form, organizations, status=400)
    arguments = {
        "user": request.user,
        "serials": form.cleaned_data["token_sns"],
        "to_org": form.cleaned_data["to_org"],
        "note": form.cleaned_data["note"],
    }
    # Anything but an explicit transfer only reviews: a stray or missing action never moves.
    if request.POST.get("action") == "transfer":
        try:
            record = transfer_tokens(
                **arguments, reviewed_sources=request.POST.getlist("reviewed_from") or None
            )
        except TransferRefused as refused:
            review = refused.review
        else:
            messages.success(request, success_message(record, organization_names(request.user)))
            url = reverse("inventory:transfer_detail", args=[record.pk])
            return HttpResponseRedirect(url, status=303)
    else:
        review = review_transfer(**arguments)
    for name, errors in review.errors.items():
        for error in errors:
            form.add_error(name, error)
    return _render_form(
        request, form, organizations, review=review, status=200 if review.ok else 400
    )


def _render_form(request, form, organizations, *, review=None, notes=(), status=200):
    context = {
        "form": form,
        "review": review,
        "review_rows": review.movable[:REVIEW_ROWS] if review else [],
        "movable_count": f"{len(review.movable):,}" if review else "0",
        "problem_count": f"{len(review.problems):,}" if review else "0",
        "notes": notes,
        "manages_any": bool(organizations),
        "searchable": len(organizations) > SEARCHABLE_FROM,
        "max_tokens": MAX_TOKENS,
    }
    return render(request, "inventory/transfer_form.html", context, status=status)


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
