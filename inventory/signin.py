"""Sign-in throttling around django-axes (configured in settings, AXES_*): the address a
login comes from, and when a locked-out username may try again from it."""

import ipaddress
from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.utils import timezone


def client_ip_address(request) -> str | None:
    """The address failures are counted against (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse proxies stand in front of the app:
    then the entry of X-Forwarded-For that many places from its right end, the address
    the outermost proxy saw. A header too short or not holding an address falls back to
    REMOTE_ADDR, so a forged header can never pick the address being throttled."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote


def lockout_ends_at(request, username: str | None) -> datetime:
    """When the lockout of `username` at this request's address ends: the lockout period
    after the failure that caused it (a retry while locked does not move it)."""
    last_failure = AccessAttempt.objects.filter(
        username=username, ip_address=request.axes_ip_address
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last_failure or timezone.now()) + get_cool_off(request)
