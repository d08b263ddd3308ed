from django.core.paginator import Paginator
from django.shortcuts import render

from inventory.filtering import filter_tokens, ordering, parse_view_state
from inventory.selectors import token_rows, visible_organizations, visible_tokens


def port_token_list(request):
    state = parse_view_state(request.GET)
    tokens = filter_tokens(visible_tokens(request.user), state).order_by(*ordering(state))
    paginator = Paginator(tokens.values_list("pk", flat=True), state.per_page)
    page = paginator.get_page(state.page)
    rows = token_rows(tokens.filter(pk__in=list(page.object_list)), state.columns)
    return render(
        request,
        "inventory/port_tokens.html",
        {"state": state, "page": page, "rows": rows, "columns": state.columns},
    )


def organization_list(request):
    organizations = visible_organizations(request.user).order_by("name")
    return render(request, "inventory/organizations.html", {"organizations": organizations})
