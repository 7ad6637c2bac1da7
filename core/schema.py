"""OpenAPI schema hooks (drf-spectacular)."""

from __future__ import annotations


def one_path_per_endpoint(endpoints, **_):
    """Each route is served with and without a trailing slash; list it once, without."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path == "/" or not path.endswith("/")
    ]
