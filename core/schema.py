"""OpenAPI schema hooks (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension


def one_path_per_endpoint(endpoints, **_):
    """Each route is served with and without a trailing slash; list it once, without."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path == "/" or not path.endswith("/")
    ]


class NumberFieldSchema(OpenApiSerializerFieldExtension):
    """A money or rate field is a JSON number with at most `decimal_places` decimals."""

    target_class = "core.serializers.NumberField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        # JSON Schema wants a number here (0.01 for two places); the API itself parses Decimal.
        schema["multipleOf"] = 10**-self.target.decimal_places
        return schema
