"""The numbers above the table for a view: matching tokens per status, how many end
within 30, 60 and 90 days, and how many the user could move and what keeps the others.

Where the kept counts (`TokenCount`) answer the status counts, no token is read for
them, and each other number is a query of its own that an index answers: the plan-end
index for the windows, a count that stops just past what one selection holds for
"select all" (`inventory.views.selection`). Otherwise every number needs the matching
tokens read, so they are counted in ONE pass: grouped by status (the facet counts of
`filtering.status_counts`), each group also counting its plan ends in each window and
its movable tokens and obstacles; the groups whose status matches the view
(`filtering.status_in_view`) add up to the view's windows and movable counts. A broad
filter then reads its tokens once instead of three times.

The quick search of a reader of many tokens (a superuser) is asked through the index of
each field it looks in (`filtering.search_condition(broad=True)`), so the pass reads
only the matching tokens, not all the reader's; a reader of a few organizations reads
their tokens, testing each against the matching EVSEs, orders and parts hashed once.

When few tokens match, the page's ids are read by finding the matches and sorting them
(`few_matches`: the pass counted them), not by walking the sort's index until a page of
matches has turned up, which for a rare word means walking most of the table. For a
reader of a few organizations, the pass on PostgreSQL also gathers the ids of the
matches, so that the page sorts just those rows rather than test every token of the
reader against the filter a second time (the demo user's `station_name:contains:garage`
at a million tokens: two reads of 110 ms each, of which the second now takes 2 ms).
"""

from dataclasses import dataclass

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connections
from django.db.models import Count
from django.db.models.expressions import RawSQL

from inventory.eligibility import Obstacle, movable_aggregates, movable_from
from inventory.filtering import (
    answered_by_kept_counts,
    facet_state,
    filter_tokens,
    matching_count,
    status_counts,
    status_in_view,
)
from inventory.models import PortToken
from inventory.renewals import Window, ends_within, window_counts
from inventory.selectors import matching_tokens, visible_token_count, visible_tokens
from inventory.viewstate import ViewState

#: A reader who may see more tokens than this has the quick search asked through the
#: indexes (at a million tokens: 0.1 s against 0.5 s for the superuser's `q=garage`,
#: where a reader of 20,000 tokens takes 1.6 s that way against 0.07 s hashed).
BROAD_SEARCH_READER = 200_000
#: Up to this many matching tokens, the page sorts the matches rather than walk an index.
FEW_MATCHES = 5_000


@dataclass(frozen=True)
class ViewSummary:
    #: Matching tokens per status, as `filtering.status_counts` counts them.
    statuses: dict[str, int]
    #: Tokens matching the view.
    total: int
    #: How many of them end within 30, 60 and 90 days.
    windows: list[Window]
    #: How many of them the user could move (key None) and what keeps the others
    #: (`eligibility.movable_counts`); None where they were not counted in the pass.
    movable: dict[Obstacle | None, int] | None
    #: The pass asked the quick search through the indexes (BROAD_SEARCH_READER).
    broad_search: bool = False
    #: The pass counted the matching tokens, and there are at most FEW_MATCHES.
    few_matches: bool = False
    #: With few matches, their ids, where the pass gathered them (a narrow reader's).
    match_ids: list[int] | None = None

    def page_tokens(self, user, state: ViewState):
        """The matching tokens for reading the page's ids: those the pass found, when it
        gathered them; through the indexes when the search was, and few match (many are
        found sooner by walking the sort's index)."""
        if self.match_ids is not None:
            # Still asked of the reader's tokens: the ids narrow them, never widen them.
            # As a set to join (unnest), so that PostgreSQL looks the ids up by key: as a
            # list (`id IN (...)`) it tested every token of the organization index.
            ids = RawSQL("SELECT unnest(%s::bigint[])", [self.match_ids])
            return visible_tokens(user).filter(pk__in=ids)
        return matching_tokens(user, state, broad_search=self.broad_search and self.few_matches)


def view_summary(user, state: ViewState, *, count_movable: bool) -> ViewSummary:
    """The status counts, the total and the "ends within" windows of the view, and, when
    `count_movable` and the tokens are read anyway, the movable counts."""
    tokens = visible_tokens(user)
    if answered_by_kept_counts(facet_state(state)):
        statuses = status_counts(tokens, state)
        return ViewSummary(
            statuses, matching_count(statuses, state), ends_within(user, state), None
        )
    counting = window_counts()
    aggregates = {"tokens": Count("pk"), **counting.aggregates}
    # A superuser's count (every organization's kept counts) only when it decides.
    readable = visible_token_count(user) if state.search_words or not user.is_superuser else 0
    broad_search = bool(state.search_words) and readable > BROAD_SEARCH_READER
    if count_movable:
        aggregates |= movable_aggregates(user)
    # Ids the pass can afford to hand back: at most a member's few organizations' tokens
    # (a superuser's could be millions).
    gather_ids = (
        not user.is_superuser
        and readable <= BROAD_SEARCH_READER
        and connections[tokens.db].vendor == "postgresql"
    )
    groups = (
        filter_tokens(tokens, facet_state(state), broad_search=broad_search)
        .order_by()
        .values("status")
        .annotate(**aggregates, **({"ids": ArrayAgg("pk")} if gather_ids else {}))
    )
    statuses = dict.fromkeys(PortToken.Status.values, 0)
    in_view = dict.fromkeys(aggregates, 0)
    match_ids = []
    for group in groups:
        statuses[group["status"]] = group["tokens"]
        if status_in_view(state, group["status"]):
            for name in aggregates:
                in_view[name] += group[name]
            if gather_ids:
                match_ids += group["ids"]
    few_matches = in_view["tokens"] <= FEW_MATCHES
    return ViewSummary(
        statuses,
        in_view["tokens"],
        counting.windows(in_view),
        movable_from(in_view) if count_movable else None,
        broad_search=broad_search,
        few_matches=few_matches,
        match_ids=match_ids if gather_ids and few_matches and match_ids else None,
    )
