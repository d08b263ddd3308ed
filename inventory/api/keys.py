"""Personal API keys: made for a user, shown once, stored only as a hash, checked in
constant time, revoked by their owner.

A key reads `pt_<10 hex>.<43 random characters>`. The part before the dot is its prefix:
stored in clear (unique), it finds the key's row and tells a user's keys apart on the API
keys page. The whole key is stored as its SHA-256: a key carries 256 random bits, so a
slow password hash would add nothing but time on every request. The page, the command and
the authentication class call the functions below and nothing else.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from inventory.models import ApiKey

PREFIX_START = "pt_"
#: The most days a key may last; a key for longer simply has no expiry.
MAX_EXPIRY_DAYS = 3650
NAME_LENGTH = ApiKey._meta.get_field("name").max_length
#: A key's last use is written at most this often, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)
# Compared against when no key has the presented prefix, so a miss costs what a hit does.
_UNUSED_HASH = hashlib.sha256(b"no such key").hexdigest()


class KeyProblem(ValueError):
    """A key cannot be made as asked; the message says what to change."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def user_api_keys(user) -> QuerySet[ApiKey]:
    """The user's keys, newest first, revoked ones included (they show as revoked)."""
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def clean_name(name: str) -> str:
    """The key's name stripped; raises KeyProblem for a blank or too long one."""
    name = (name or "").strip()
    if not name:
        raise KeyProblem("Give the key a name, e.g. the script or machine that will use it.")
    if len(name) > NAME_LENGTH:
        raise KeyProblem(f"The name has {len(name)} characters; at most {NAME_LENGTH}.")
    if "\x00" in name:
        raise KeyProblem("The name contains a NUL character.")
    return name


def check_expiry_days(days: int | None) -> int | None:
    """`days` if it is a usable lifetime (1 to MAX_EXPIRY_DAYS, or None: never expires)."""
    if days is not None and not 1 <= days <= MAX_EXPIRY_DAYS:
        raise KeyProblem(
            f"A key expires after 1 to {MAX_EXPIRY_DAYS:,} days, or never; not {days} days."
        )
    return days


def create_api_key(*, user, name: str, expires_days: int | None = None) -> tuple[ApiKey, str]:
    """Make a key for `user`; returns the stored row and the key itself, which is never
    stored and cannot be shown again. Raises KeyProblem for a bad name or lifetime."""
    name = clean_name(name)
    expires_days = check_expiry_days(expires_days)
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    for _ in range(3):
        prefix = PREFIX_START + secrets.token_hex(5)
        key = f"{prefix}.{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                row = ApiKey.objects.create(
                    user=user,
                    name=name,
                    prefix=prefix,
                    key_hash=hash_key(key),
                    expires_at=expires_at,
                )
        except IntegrityError:  # the same prefix drawn twice: draw again
            continue
        return row, key
    raise IntegrityError("Could not draw an unused API key prefix.")


def revoke_api_keys(keys: QuerySet[ApiKey]) -> int:
    """Revoke these keys, at once and for good; a key revoked before keeps its moment.
    Returns how many were revoked now."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_api_key(*, user, pk: int) -> ApiKey:
    """Revoke one of `user`'s keys. Http404 for a key that is not theirs, as for one that
    does not exist."""
    row = get_object_or_404(ApiKey, pk=pk, user=user)
    revoke_api_keys(ApiKey.objects.filter(pk=row.pk))
    row.refresh_from_db(fields=["revoked_at"])
    return row


class KeyRefused(Exception):
    """The presented key is not a usable key; the message says why, for the caller."""


def key_user(key: str):
    """The active user a presented key belongs to, its last use recorded.

    Raises KeyRefused for a malformed, unknown, revoked or expired key, or one of an
    inactive user. The hash comparison takes the same time whether or not the prefix is
    known, and whatever the key's first differing character.
    """
    prefix, dot, _ = key.partition(".")
    row = None
    if dot and prefix.startswith(PREFIX_START) and len(prefix) <= 16:
        row = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    matches = hmac.compare_digest(hash_key(key), row.key_hash if row else _UNUSED_HASH)
    if row is None or not matches:
        raise KeyRefused("Invalid API key.")
    now = timezone.now()
    if row.revoked_at is not None:
        raise KeyRefused("This API key has been revoked.")
    if row.expires_at is not None and row.expires_at <= now:
        raise KeyRefused("This API key has expired; create a new one.")
    if not row.user.is_active:
        raise KeyRefused("The user of this API key is inactive.")
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_PRECISION:
        # Conditional, so that of simultaneous requests one writes; none when recent.
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION),
            pk=row.pk,
        ).update(last_used_at=now)
    return row.user
