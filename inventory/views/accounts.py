"""Account pages: the login (offering a password reset only when the site can send
email), the reset pages that answer 404 without email, and the page shown when login
throttling refuses a sign-in."""

import math
from functools import wraps

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from inventory.dbfunctions import PACIFIC
from inventory.signin import lockout_ends_at


class LoginView(auth_views.LoginView):
    """Django's login; its page links to the password reset only when email works."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["password_reset_available"] = settings.EMAIL_CONFIGURED
        return context


def _only_with_email(view):
    """`view`, answering 404 while the site has no email configured (EMAIL_URL): a reset
    link that can never arrive is worse than no reset. Checked per request."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.EMAIL_CONFIGURED:
            raise Http404("Password reset is off: this site sends no email.")
        return view(request, *args, **kwargs)

    return wrapper


password_reset = _only_with_email(auth_views.PasswordResetView.as_view())
password_reset_done = _only_with_email(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = _only_with_email(auth_views.PasswordResetConfirmView.as_view())
password_reset_complete = _only_with_email(auth_views.PasswordResetCompleteView.as_view())


def locked_out(request, original_response=None, credentials=None):
    """The answer to a sign-in refused by login throttling (AXES_LOCKOUT_CALLABLE), on
    this site's login and the admin's: 429, Retry-After, and a page in the site's look
    saying when this username may try again from this address."""
    username = get_client_username(request, credentials) or ""
    ends_at = lockout_ends_at(request, username)
    now = timezone.now()
    seconds = max(1, math.ceil((ends_at - now).total_seconds()))
    ends_at = timezone.localtime(ends_at, PACIFIC)
    context = {
        "username": username,
        "minutes": math.ceil(seconds / 60),
        "ends_at": ends_at,
        "ends_another_day": ends_at.date() != timezone.localtime(now, PACIFIC).date(),
        "failure_limit": get_failure_limit(request, credentials),
        "lockout_minutes": round(get_cool_off(request).total_seconds() / 60),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
