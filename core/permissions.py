"""API-key access control, switched on by configuration (API_KEY_REQUIRED)."""

from __future__ import annotations

from django.conf import settings
from rest_framework_api_key.permissions import HasAPIKey

# The request attribute that carries the prefix of the key this permission verified; the
# throttle (core.throttling) counts per verified key, never per a header it did not check.
VERIFIED_KEY_ATTRIBUTE = "verified_api_key_prefix"


class ApiKeyWhenRequired(HasAPIKey):
    """With API_KEY_REQUIRED on, a request needs `Authorization: Api-Key <key>` of an unrevoked,
    unexpired key (stored hashed); with it off, every request passes."""

    message = "A valid API key is required: send the header 'Authorization: Api-Key <key>'."

    def has_permission(self, request, view) -> bool:
        if not settings.API_KEY_REQUIRED:
            return True
        if not super().has_permission(request, view):
            return False
        setattr(request, VERIFIED_KEY_ATTRIBUTE, self.get_key(request).partition(".")[0])
        return True
