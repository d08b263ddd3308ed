"""Which tokens may move: the transfer eligibility rule, written once.

A token may move when it is New or Available, applied to no EVSE, and in an organization
the user manages (any organization, for a superuser). The rule is a set of database
conditions, one per `Obstacle`, so that every surface reads the same rule from the same
place: the table's checkboxes and the transfer review (`with_obstacles`, then
`obstacles(row)`) and the transfer form's preselection (`movable_tokens`). The words each
surface uses for an obstacle are its own; which tokens they concern is decided here.
"""

import enum

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from inventory.models import PortToken
from inventory.selectors import managed_organizations


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
