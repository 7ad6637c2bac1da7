"""Root URL configuration: the API, its OpenAPI schema and docs page, and (when enabled) the
admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.exceptions import json_not_found

urlpatterns = [
    path("", include("core.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("schema/", SpectacularAPIView.as_view(), name="schema-slash"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs-slash"),
    # The admin only when DJANGO_ADMIN_ENABLED (off by default): see config/settings.py.
    *([path("admin/", admin.site.urls)] if settings.ADMIN_ENABLED else []),
    # Anything else is an unknown route: JSON 404, in debug mode too.
    re_path(r"^", json_not_found),
]

handler400 = "core.exceptions.json_bad_request"
handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"
