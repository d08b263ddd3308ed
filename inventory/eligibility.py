"""Which tokens may move: the transfer eligibility rule, written once.

A token may move when it is New or Available, applied to no EVSE, and in an organization
the user manages (any organization, for a superuser). The rule is a set of database
conditions, one per `Obstacle`, so that every surface reads the same rule from the same
place: the table's checkboxes and the transfer review (`with_obstacles`, then
`obstacles(row)`), the transfer form's preselection (`movable_tokens`) and the table's
"Select all N matching" (`movable_counts`). The words each
surface uses for an obstacle are its own; which tokens they concern is decided here.
"""

import enum

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from inventory.models import PortToken
from inventory.selectors import managed_organizations, visible_tokens


class Obstacle(enum.Enum):
    """What keeps a token from moving, whatever the destination, in the order pages name
    them."""

    STATUS = "status"  # Active or Expired
    APPLIED = "applied"  # applied to an EVSE
    NOT_MANAGER = "not_manager"  # in an organization the user does not manage


def eligibility(user) -> dict[Obstacle, Q]:
    """For each obstacle, the condition a token meets when that obstacle is not in its
    way for `user`. A token may move when it meets all of them."""
    return {
        Obstacle.STATUS: Q(status__in=PortToken.TRANSFERABLE_STATUSES),
        Obstacle.APPLIED: Q(evse__isnull=True),
        Obstacle.NOT_MANAGER: Q(organization_id__in=managed_organizations(user).values("pk")),
    }


def movable_tokens(tokens: QuerySet[PortToken], user) -> QuerySet[PortToken]:
    """The tokens of `tokens` that `user` could move now."""
    return tokens.filter(*eligibility(user).values())


def with_obstacles(tokens: QuerySet[PortToken], user) -> QuerySet[PortToken]:
    """`tokens` with a flag per obstacle on each row, computed by the database in the same
    query; read them with `obstacles(row)`. On a `values()` query the flags join each row
    dict, so call it after `values()`."""
    return tokens.annotate(
        **{
            _flag(obstacle): ExpressionWrapper(condition, output_field=BooleanField())
            for obstacle, condition in eligibility(user).items()
        }
    )


def obstacles(row: dict) -> list[Obstacle]:
    """What keeps the token of one `with_obstacles(...)` row dict from moving, in
    `Obstacle` order; empty when it may move."""
    return [obstacle for obstacle in Obstacle if not row[_flag(obstacle)]]


def _flag(obstacle: Obstacle) -> str:
    return f"clear_of_{obstacle.value}"


def movable_counts(tokens: QuerySet[PortToken], user) -> dict[Obstacle | None, int]:
    """How many of `tokens` `user` could move now (under the key None), and how many each
    obstacle keeps from moving, each token counted under its first obstacle (in `Obstacle`
    order) so that the counts add up to the whole. One query."""
    return movable_from(tokens.order_by().aggregate(**movable_aggregates(user)))


def movable_aggregates(user) -> dict[str, Count]:
    """The aggregates behind `movable_counts`, for counting them in a query of one's own
    or in another's pass over the tokens (`inventory.summary`); `movable_from` reads
    their results."""
    conditions = eligibility(user)
    counts = {"movable": Count("pk", filter=Q(*conditions.values()))}
    clear_so_far = Q()
    for obstacle, condition in conditions.items():
        # Named apart from the fields ("status"), which an alias would shadow.
        counts[f"kept_by_{obstacle.value}"] = Count("pk", filter=clear_so_far & ~condition)
        clear_so_far &= condition
    return counts


def movable_from(found: dict[str, int]) -> dict[Obstacle | None, int]:
    """`movable_counts`'s answer from the results of `movable_aggregates`."""
    return {
        None: found["movable"],
        **{obstacle: found[f"kept_by_{obstacle.value}"] for obstacle in Obstacle},
    }


def movable_but_already_in(user, serials: list[str], organization) -> set[str]:
    """Which of `serials` name tokens `user` could move that are in `organization`
    already: a transfer there has nothing to do for them, and the review says so rather
    than calling them tokens that cannot move."""
    # A serial no token could have (a NUL, which PostgreSQL refuses in any query) is none.
    askable = [serial for serial in serials if "\x00" not in serial]
    tokens = visible_tokens(user).filter(serial__in=askable, organization=organization)
    return set(movable_tokens(tokens, user).values_list("serial", flat=True))
