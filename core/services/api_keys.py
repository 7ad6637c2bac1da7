"""Create, list and revoke API keys (stored hashed by djangorestframework-api-key)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from rest_framework_api_key.models import APIKey


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    name: str
    created: dt.datetime
    expiry_date: dt.datetime | None
    revoked: bool


def create_key(name: str, *, valid_days: int | None = None) -> tuple[str, str]:
    """A new key; returns (prefix, full key). The full key is shown once and never stored."""
    expiry = timezone.now() + dt.timedelta(days=valid_days) if valid_days else None
    api_key, key = APIKey.objects.create_key(name=name, expiry_date=expiry)
    return api_key.prefix, key


def revoke_key(prefix: str) -> bool:
    """Revoke the key with this prefix; False when there is no such unrevoked key."""
    return APIKey.objects.filter(prefix=prefix, revoked=False).update(revoked=True) == 1


def list_keys() -> list[KeyInfo]:
    return [
        KeyInfo(k.prefix, k.name, k.created, k.expiry_date, k.revoked)
        for k in APIKey.objects.order_by("created")
    ]
