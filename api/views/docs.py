"""The API's documentation page, drawn on the server from its OpenAPI document.

No Swagger UI or ReDoc from a CDN: the Content-Security-Policy allows only this site's
own scripts, and a page drawn from the document needs none.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from api.problems import CODES, Problem
from api.v1 import api

METHODS = ("get", "post", "put", "patch", "delete")


def type_of(schema: dict[str, Any]) -> str:
    """A schema's type as a person reads it: "string (date)", "Person or null", "list of X"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " or ".join(type_of(part) for part in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        return "object"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def schema_named(schema: dict[str, Any]) -> str:
    """The named schema a type is, or is a list of: what its words link to ("" if none)."""
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[1])
    if schema.get("type") == "array":
        return schema_named(schema.get("items", {}))
    return ""


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": type_of(spec),
            "required": name in required,
            "description": spec.get("description", ""),
        }
        for name, spec in schema.get("properties", {}).items()
    ]


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for route, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": route,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "type": type_of(parameter.get("schema", {})),
                            "required": parameter.get("required", False),
                            "description": parameter.get("description", "")
                            or parameter.get("schema", {}).get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": type_of(body["schema"]) if body else "",
                    "body_schema": schema_named(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "type": type_of(_answer_schema(answer)),
                            "schema": schema_named(_answer_schema(answer)),
                        }
                        for status, answer in operation.get("responses", {}).items()
                    ],
                }
            )
    return found


def _answer_schema(answer: dict[str, Any]) -> dict[str, Any]:
    return dict(answer.get("content", {}).get("application/json", {}).get("schema", {}))


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    document = api.get_openapi_schema(
        path_prefix=reverse("api:openapi-json").removesuffix("/openapi.json")
    )
    schemas = document.get("components", {}).get("schemas", {})
    context = {
        "info": document["info"],
        "operations": _operations(document),
        "schemas": [
            {"name": name, "description": spec.get("description", ""), "fields": _fields(spec)}
            for name, spec in sorted(schemas.items())
        ],
        "codes": sorted(CODES.items()),
    }
    return render(request, "api/docs.html", context)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    response = Problem(404, "not_found", "The API has no such address; see /api/v1/docs/.")
    return response.response()
