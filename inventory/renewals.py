"""The renewals forecast: how many tokens of a view reach their Plan End Date in each
Pacific month, and how many end within the next 30, 60 and 90 days.

Periods. "Today" is the Pacific calendar day of `django.utils.timezone.now()`
(`today_pacific`). The forecast counts the tokens of a view (`selectors.matching_tokens`)
in fifteen periods: "ended before" (a plan end before Pacific midnight starting the current
month), the current month and the next 11 (each from the Pacific midnight of its first day
up to, not including, that of the next month's), "later" (from the Pacific midnight
starting the 13th month on) and "no end date". Each period is one filter of the table, so a
count and the table it links to agree: `between:<first day>..<last day>` for a month,
`before:<first day of the current month>`, `after:<last day of the 12th month>` and `is:`
(empty) for no end date.

Ends within N days (the status summary) counts the plan ends from the Pacific midnight
starting today up to the end of the Pacific day N days ahead: the days today..today+N, both
included, exactly what the link `between:<today>..<today+N>` shows. A plan that ends later
today (or ended earlier today) ends within 30 days.

Queries. The forecast is ONE grouped query by status (or organization: plus one query
for the names of those shown): in each group, how many plan ends fall before each month
boundary, computed here as aware datetimes, so it needs no time zone support from the
database (SQLite has none) and compares each stored value with constants instead of
converting it; each period is the difference of two such counts
(`grouped_period_counts`). The 30/60/90 counts are one aggregate over the plan ends of
the next 90 days, a range the plan-end index reads.

Drawing the forecast as a chart is `inventory.renewals_chart`'s job.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from inventory.columns import COLUMNS_BY_KEY
from inventory.dbfunctions import PACIFIC, date_text
from inventory.models import Organization, PortToken
from inventory.selectors import matching_tokens
from inventory.temporal import RANGE_SEPARATOR, days, pacific_day_start
from inventory.viewstate import Filter, ViewState

PLAN_END = COLUMNS_BY_KEY["plan_end_date"]
MONTHS = 12
#: "Ends within" windows of the status summary, in days.
WINDOW_DAYS = (30, 60, 90)
#: With the split by organization, the organizations with the most tokens in the forecast
#: get a series each; the others are added up as "Other organizations".
TOP_ORGANIZATIONS = 5
SPLITS = {"status": "Status", "org": "Organization"}
DEFAULT_SPLIT = "status"

# The period codes the grouped query answers with: months are 0 to 11.
ENDED_BEFORE = -1
LATER = MONTHS
NO_END_DATE = MONTHS + 1
OTHER = "other"


def today_pacific() -> date:
    """Today's date in Pacific Time: the day every forecast and window counts from."""
    return timezone.now().astimezone(PACIFIC).date()


def month_start(day: date, months_later: int = 0) -> date:
    """The first day of the month `months_later` months after the month of `day`."""
    years, month = divmod(day.month - 1 + months_later, 12)
    return date(day.year + years, month + 1, 1)


@dataclass(frozen=True)
class Period:
    """One bar of the forecast: its code in the grouped query, how it reads (`label` on
    the axis, `title` in full) and the table filter that shows its tokens."""

    code: int
    label: str
    title: str
    end_filter: Filter


def _day_range(first: date, last: date) -> str:
    """A `between` filter's value: both days included."""
    return f"{date_text(first)}{RANGE_SEPARATOR}{date_text(last)}"


def periods(today: date) -> list[Period]:
    """Ended before, the current month and the next 11, later, no end date."""
    first = month_start(today)
    last_month_end = month_start(today, MONTHS) - timedelta(days=1)
    found = [
        Period(
            ENDED_BEFORE,
            "Ended before",
            f"Ended before {first:%B %Y}",
            Filter(PLAN_END, "before", date_text(first)),
        )
    ]
    for index in range(MONTHS):
        start = month_start(today, index)
        end = month_start(today, index + 1) - timedelta(days=1)
        found.append(
            Period(
                index,
                f"{start:%b %Y}",
                f"{start:%B %Y}",
                Filter(PLAN_END, "between", _day_range(start, end)),
            )
        )
    found.append(
        Period(
            LATER,
            "Later",
            f"After {last_month_end:%B %Y}",
            Filter(PLAN_END, "after", date_text(last_month_end)),
        )
    )
    found.append(Period(NO_END_DATE, "No end date", "No end date", Filter(PLAN_END, "is", "")))
    return found


def grouped_period_counts(tokens, by: str, today: date) -> list[tuple[int, object, int]]:
    """(period code, value of `by`, tokens) for every period of `tokens` that holds any.

    One grouped query by `by` alone (status or organization): per group, how many plan
    ends fall before each Pacific month boundary (the midnights starting each month, as
    aware datetimes: no time zone in SQL), how many have one at all, and how many tokens;
    a period is the difference of two neighbouring counts. Grouped by a column the
    planner knows, PostgreSQL splits the count among its parallel workers, where a
    CASE per token grouped by its result was counted by one process (a million tokens,
    runs taken in turns: 310 to 390 ms against 420 to 620 ms).
    """
    bounds = [pacific_day_start(month_start(today, n)) for n in range(MONTHS + 1)]
    before = [f"before_{n}" for n in range(MONTHS + 1)]
    aggregates = {
        name: Count("plan_end_date", filter=Q(plan_end_date__lt=bound))
        for name, bound in zip(before, bounds, strict=True)
    }
    groups = (
        tokens.order_by()
        .values(by)
        .annotate(**aggregates, dated=Count("plan_end_date"), tokens=Count("*"))
    )
    rows = []
    for group in groups:
        ended = [group[name] for name in before]
        periods = {
            ENDED_BEFORE: ended[0],
            **{n: ended[n + 1] - ended[n] for n in range(MONTHS)},
            LATER: group["dated"] - ended[MONTHS],
            NO_END_DATE: group["tokens"] - group["dated"],
        }
        rows += [(code, group[by], n) for code, n in periods.items() if n]
    return rows


@dataclass(frozen=True)
class Series:
    """One part of each stacked bar: a status or an organization (or the rest of them).
    `css` names its colour in the stylesheet; `filter` narrows the table to it (None for
    "Other organizations", which no one filter names)."""

    key: str
    label: str
    css: str
    filter: Filter | None


@dataclass
class Forecast:
    today: date
    split: str
    periods: list[Period]
    series: list[Series]
    #: Tokens by (period code, series key); absent means none.
    counts: dict[tuple[int, str], int] = field(default_factory=dict)

    def count(self, period: Period, series: Series) -> int:
        return self.counts.get((period.code, series.key), 0)

    def period_total(self, period: Period) -> int:
        return sum(self.count(period, series) for series in self.series)

    def series_total(self, series: Series) -> int:
        return sum(self.count(period, series) for period in self.periods)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def forecast(user, state: ViewState, *, split: str = DEFAULT_SPLIT) -> Forecast:
    """The tokens of this view that `user` may see, by period (see the module docstring)
    and by status (`split="status"`) or organization (`split="org"`): one grouped query,
    plus one for the names of the organizations shown."""
    today = today_pacific()
    by = "status" if split == "status" else "organization_id"
    rows = grouped_period_counts(matching_tokens(user, state), by, today)
    if split == "status":
        series = [
            Series(
                status,
                status,
                f"fill-{status.lower()}",
                Filter(COLUMNS_BY_KEY["status"], "is", status),
            )
            for status in PortToken.Status.values
        ]
        counts = {(code, status): n for code, status, n in rows}
    else:
        series, counts = _organization_series(rows)
    return Forecast(today, split, periods(today), series, counts)


def _organization_series(rows) -> tuple[list[Series], dict[tuple[int, str], int]]:
    """The organizations with the most tokens in the forecast (by name for equal counts),
    then "Other organizations" for the rest, from the grouped (period, organization id,
    count) rows."""
    totals: dict[int, int] = {}
    for _, organization_id, n in rows:
        totals[organization_id] = totals.get(organization_id, 0) + n
    names = {}
    if totals:
        ranked = sorted(totals, key=lambda pk: -totals[pk])
        # Only as many names as can be shown, plus those tied with the last one shown, so
        # that a tie is broken by name rather than by the database's order.
        cut = totals[ranked[min(TOP_ORGANIZATIONS, len(ranked)) - 1]]
        candidates = [pk for pk in ranked if totals[pk] >= cut]
        names = {
            pk: (name, org_id)
            for pk, name, org_id in Organization.objects.filter(pk__in=candidates).values_list(
                "pk", "name", "org_id"
            )
        }
    top = sorted(names, key=lambda pk: (-totals[pk], names[pk][0], names[pk][1]))
    top = top[:TOP_ORGANIZATIONS]
    series = [
        Series(
            names[pk][1],
            names[pk][0],
            f"fill-org-{position}",
            Filter(COLUMNS_BY_KEY["org_id"], "is", names[pk][1]),
        )
        for position, pk in enumerate(top, start=1)
    ]
    shown = {pk: names[pk][1] for pk in top}
    counts: dict[tuple[int, str], int] = {}
    for code, organization_id, n in rows:
        key = shown.get(organization_id, OTHER)
        counts[(code, key)] = counts.get((code, key), 0) + n
    if len(totals) > len(top):
        series.append(Series(OTHER, "Other organizations", "fill-other", None))
    return series, counts


# --- ends within 30 / 60 / 90 days ---------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Tokens whose plan ends within `days` days (see the module docstring)."""

    days: int
    count: int
    end_filter: Filter


@dataclass(frozen=True)
class WindowCounts:
    """How to count the "ends within" windows from today: in a query of one's own
    (`ends_within`) or in another's pass over the tokens (`inventory.summary`).

    `aggregates` count, per window, the plan ends in it (`within_<days>`): the Plan End
    itself (never empty in these ranges), not the primary key, so that the plan-end
    index alone can answer them. `widest` is the condition of the widest window."""

    today: date
    widest: Q
    aggregates: dict[str, Count]

    def windows(self, counts: dict[str, int]) -> list[Window]:
        """The windows, each with its filter, from the counts of the aggregates."""
        return [
            Window(
                n,
                counts[f"within_{n}"],
                Filter(PLAN_END, "between", _day_range(self.today, self.today + timedelta(n))),
            )
            for n in WINDOW_DAYS
        ]


def window_counts() -> WindowCounts:
    today = today_pacific()
    spans = {n: days(PLAN_END, today, today + timedelta(days=n + 1)) for n in WINDOW_DAYS}
    return WindowCounts(
        today,
        spans[max(WINDOW_DAYS)],
        {f"within_{n}": Count(PLAN_END.path, filter=spans[n]) for n in WINDOW_DAYS},
    )


def ends_within(user, state: ViewState) -> list[Window]:
    """How many tokens of this view end within 30, 60 and 90 days: one aggregate query
    over the plan ends of the next 90 days."""
    counting = window_counts()
    tokens = matching_tokens(user, state).order_by().filter(counting.widest)
    return counting.windows(tokens.aggregate(**counting.aggregates))


# --- links ---------------------------------------------------------------------------------


def narrowed_query(state: ViewState, *extra: Filter) -> str:
    """The table's query string for this view narrowed by `extra` filters, from page 1.

    With one filter or none "match any" means the same as "match all", so it is dropped
    and the added filters narrow. With several filters and "match any" the table has no
    way to say "(any of these) and this month": the added filter becomes one more
    alternative (`widens_with_match_any` tells the page to say so).
    """
    match = state.match if len(state.filters) > 1 else None
    return state.query_string(filters=[*state.filters, *extra], match=match, page=None)


def widens_with_match_any(state: ViewState) -> bool:
    """True when a filter added to this view widens it rather than narrowing it."""
    return state.match == "any" and len(state.filters) > 1
