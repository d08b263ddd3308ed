"""The API keys page (`/accounts/api-tokens/`): a user's personal keys for the JSON API.

They create a named key with an optional expiry and see it once, on the page that answers
the creation (it is never stored, so it cannot be shown again); they see when each key was
last used, and revoke it. Thin: `inventory.api.keys` makes, lists and revokes keys.
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from inventory.api.keys import (
    MAX_EXPIRY_DAYS,
    NAME_LENGTH,
    KeyProblem,
    check_expiry_days,
    clean_name,
    create_api_key,
    revoke_api_key,
    user_api_keys,
)

#: The lifetimes the form offers, in days ("" never expires).
EXPIRY_CHOICES = [("", "Never"), ("30", "30 days"), ("90", "90 days"), ("365", "1 year")]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_LENGTH,
        help_text="What will use it, e.g. “nightly audit export”.",
    )
    expires_days = forms.TypedChoiceField(
        label="Expires",
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=f"After that the key stops working (the command allows 1 to "
        f"{MAX_EXPIRY_DAYS:,} days).",
    )

    def clean_name(self):
        try:
            return clean_name(self.cleaned_data["name"])
        except KeyProblem as problem:
            raise forms.ValidationError(str(problem)) from None

    def clean_expires_days(self):
        try:
            return check_expiry_days(self.cleaned_data["expires_days"])
        except KeyProblem as problem:
            raise forms.ValidationError(str(problem)) from None


@require_http_methods(["GET", "POST"])
def api_token_list(request):
    created = None
    form = ApiKeyForm()
    status = 200
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            row, key = create_api_key(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
            )
            created = {"row": row, "key": key}
            form = ApiKeyForm()
        else:
            status = 400
    now = timezone.now()
    keys = [
        {"key": row, "state": _state(row, now), "active": _state(row, now) == "Active"}
        for row in user_api_keys(request.user)
    ]
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "created": created,
            "keys": keys,
            "docs_url": reverse("api:docs"),
            "list_url": request.build_absolute_uri(reverse("api:port_tokens")),
        },
        status=status,
    )
    # The page that shows a new key must never be kept by a cache or the back button.
    response["Cache-Control"] = "no-store"
    return response


def _state(row, now) -> str:
    if row.revoked_at is not None:
        return "Revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "Expired"
    return "Active"


@require_POST
def api_token_revoke(request, pk):
    row = revoke_api_key(user=request.user, pk=pk)
    messages.success(request, f"Revoked “{row.name}” ({row.prefix}…): it no longer works.")
    return HttpResponseRedirect(reverse("api_tokens"), status=303)
