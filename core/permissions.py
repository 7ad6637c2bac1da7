"""Access control: API keys, switched on by configuration (API_KEY_REQUIRED), and who may
scrape /metrics (METRICS_ALLOWED_NETWORKS)."""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework_api_key.permissions import HasAPIKey

from core.services.idempotency import SHARED_SCOPE

# The request attribute that carries the prefix of the key this permission verified; the
# throttle (core.throttling) counts per verified key, never per a header it did not check.
VERIFIED_KEY_ATTRIBUTE = "verified_api_key_prefix"


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
        setattr(request, VERIFIED_KEY_ATTRIBUTE, api_key.prefix)
        request.api_key_name = api_key.name
        return True


def idempotency_scope(request) -> str:
    """Whose idempotency keys a request uses: its API key (prefix) when keys are required, which
    the permission above has verified by the time a handler runs; else one shared scope."""
    prefix = getattr(request, VERIFIED_KEY_ATTRIBUTE, None)
    if settings.API_KEY_REQUIRED and prefix:
        return "api-key:" + prefix
    return SHARED_SCOPE


# Headers a reverse proxy adds: a request that carries one came from outside through a proxy.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _container_networks() -> tuple[list, list]:
    """(subnets this host is directly attached to, gateways of its default routes), from the
    kernel's IPv4 routing table. A published container port is reached through the gateway
    (Docker's proxy) or from an outside address, never from a peer on the subnet."""
    subnets, gateways = [], []
    try:
        lines = Path("/proc/net/route").read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return subnets, gateways
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        destination, gateway, mask = (
            ipaddress.IPv4Address(int(value, 16).to_bytes(4, "little"))
            for value in (fields[1], fields[2], fields[7])
        )
        if int(destination) == 0 and int(mask) == 0:
            gateways.append(gateway)
        elif int(gateway) == 0:
            subnets.append(ipaddress.IPv4Network(f"{destination}/{mask}", strict=False))
    return subnets, gateways


@cache
def metrics_networks() -> tuple[tuple, frozenset]:
    """(networks allowed to scrape /metrics, addresses refused even inside them)."""
    allowed, refused = [], set()
    for entry in settings.METRICS_ALLOWED_NETWORKS:
        if entry == settings.METRICS_CONTAINER_NETWORKS:
            subnets, gateways = _container_networks()
            allowed.extend(subnets)
            refused.update(gateways)
        else:
            allowed.append(ipaddress.ip_network(entry, strict=False))
    return tuple(allowed), frozenset(refused)


class MetricsScraper(BasePermission):
    """GET /metrics without an API key, from the networks of METRICS_ALLOWED_NETWORKS only, and
    never through a reverse proxy."""

    message = "Metrics are served to the local and internal networks only."

    def has_permission(self, request, view) -> bool:
        if request.method not in view.allowed_methods:
            return True  # answered 405 Method Not Allowed by the view
        if any(header in request.META for header in _PROXY_HEADERS):
            return False
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        allowed, refused = metrics_networks()
        if address in refused:
            return False
        return any(address in network for network in allowed)
