"""The renewals forecast page: the view state parsed as the table parses it, the forecast
of `inventory.renewals`, and every link back to the table built from that one state."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from inventory.renewals import (
    DEFAULT_SPLIT,
    SPLITS,
    forecast,
    narrowed_query,
    widens_with_match_any,
)
from inventory.renewals_chart import draw
from inventory.viewstate import StateMessage, parse_view_state


def renewals_forecast(request):
    state = parse_view_state(request.GET)
    split = (request.GET.get("split") or "").replace("\x00", "").strip().lower() or DEFAULT_SPLIT
    messages = list(state.messages)
    if split not in SPLITS:
        messages.append(StateMessage("split", f"Split {split[:40]!r} ignored: use status or org."))
        split = DEFAULT_SPLIT
    result = forecast(request.user, state, split=split)
    table_url = reverse("inventory:port_tokens")

    def link(*filters) -> str:
        return f"{table_url}?{narrowed_query(state, *filters)}"

    rows = [
        {
            "period": period,
            "total": result.period_total(period),
            "url": link(period.end_filter),
            "cells": [
                {
                    "count": result.count(period, series),
                    "url": link(period.end_filter, series.filter) if series.filter else None,
                }
                for series in result.series
            ],
        }
        for period in result.periods
    ]
    view_query = state.query_string(page=None)
    here = reverse("inventory:renewals")
    context = {
        "state": state,
        "state_messages": messages,
        "forecast": result,
        "chart": draw(result, lambda period: link(period.end_filter)),
        "rows": rows,
        "series_totals": [result.series_total(series) for series in result.series],
        "split_links": [
            {
                "label": label,
                "url": f"{here}?{urlencode([*state.query_items(page=None), ('split', key)])}",
                "current": key == split,
            }
            for key, label in SPLITS.items()
        ],
        "split_label": SPLITS[split].lower(),
        "table_url": f"{table_url}?{view_query}" if view_query else table_url,
        "widens": widens_with_match_any(state),
        "filter_texts": [f.describe() for f in state.filters],
    }
    return render(request, "inventory/renewals.html", context)
