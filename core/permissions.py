"""API-key access control, switched on by configuration (API_KEY_REQUIRED)."""

from __future__ import annotations

from django.conf import settings
from rest_framework_api_key.permissions import HasAPIKey


class ApiKeyWhenRequired(HasAPIKey):
    """With API_KEY_REQUIRED on, a request needs `Authorization: Api-Key <key>` of an unrevoked,
    unexpired key (stored hashed); with it off, every request passes.

    The verified key's name is left on the request as `api_key_name` (None with keys off), so a
    view can pass it to the decision log as the caller's name."""

    message = "A valid API key is required: send the header 'Authorization: Api-Key <key>'."

    def has_permission(self, request, view) -> bool:
        request.api_key_name = None
        if not settings.API_KEY_REQUIRED:
            return True
        key = self.get_key(request)
        if not key:
            return False
        try:
            # The same checks as HasAPIKey: an unrevoked key whose hash matches, not expired.
            api_key = self.model.objects.get_from_key(key)
        except self.model.DoesNotExist:
            return False
        if api_key.has_expired:
            return False
        request.api_key_name = api_key.name
        return True
