"""Discourse's OpenAPI description as the contract for the bridge and for the test double.

Every request the bridge sends and every answer the double gives is validated here. The spec
is generated from Discourse's own API tests and misses a few things Discourse really does; each
such gap is listed in ``SPEC_GAPS`` with the fact it rests on (``shared/discourse/README.md``),
and is checked against a narrower local rule instead of being waved through.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC_PATH = Path(__file__).resolve().parent / "openapi.json"  # see NOTICE.md

SPEC_GAPS = {
    "createTopicPostPM tags": "tags on create are sent by common clients, absent from the spec",
    "adminListUsersFlag []": "a filter that matches nobody answers [] (the spec's minItems: 1 "
    "comes from its one example)",
    "error answers": "404/403/422/429/5xx are not described per operation; Discourse answers "
    "{errors: [...], error_type} (and extras.wait_seconds on an admin-key 429)",
    "web hooks": "/admin/api/web_hooks* is not in the spec; shape from Discourse's serializer",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "error_type": {"type": "string"},
        "extras": {
            "type": "object",
            "properties": {"wait_seconds": {"type": "integer", "minimum": 0}},
        },
    },
}

WEB_HOOK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "payload_url", "content_type", "web_hook_event_types", "active"],
    "properties": {
        "id": {"type": "integer"},
        "payload_url": {"type": "string", "pattern": "^https?://"},
        "content_type": {"type": "integer", "enum": [1, 2]},
        "secret": {"type": "string"},
        "active": {"type": "boolean"},
        "web_hook_event_types": {
            "type": "array",
            "items": {"type": "object", "required": ["name"]},
        },
        "category_ids": {"type": "array", "items": {"type": "integer"}},
    },
}
WEB_HOOK_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["web_hook"],
    "additionalProperties": False,
    "properties": {
        "web_hook": {
            "type": "object",
            "required": ["payload_url", "content_type", "web_hook_event_type_ids"],
            "properties": {
                "payload_url": {"type": "string", "pattern": "^https?://"},
                "content_type": {"type": "integer", "enum": [1, 2]},
                "secret": {"type": "string", "minLength": 12},
                "active": {"type": "boolean"},
                "wildcard_web_hook": {"type": "boolean"},
                "web_hook_event_type_ids": {"type": "array", "items": {"type": "integer"}},
                "category_ids": {"type": "array", "items": {"type": "integer"}},
            },
        }
    },
}


class ContractViolation(AssertionError):
    """A request or an answer that the OpenAPI description does not allow."""


@functools.cache
def spec() -> dict[str, Any]:
    """The official description, with its server set to loopback (where the double listens)."""
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    document["servers"] = [{"url": "http://127.0.0.1"}]
    return document


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec())


def operation(method: str, template: str) -> dict[str, Any]:
    return dict(spec()["paths"][template][method.lower()])


def response_schema(method: str, template: str, status: int = 200) -> dict[str, Any]:
    """The JSON schema of an operation's answer."""
    answer = operation(method, template)["responses"][str(status)]
    schema: dict[str, Any] = answer["content"]["application/json"]["schema"]
    return schema


def complete(schema: dict[str, Any], given: Any) -> Any:
    """``given`` with every property the schema requires filled in with a neutral value.

    The double fills what it really knows (ids, titles, text) and lets the schema supply the
    dozens of presentation fields Discourse also sends, so its answers have the spec's shape.
    """
    kinds = schema.get("type")
    if isinstance(kinds, list):
        if given is None and "null" in kinds:
            return None
        kinds = next((k for k in kinds if k != "null"), "null") if given is None else kinds[0]
    if given is None:
        if "enum" in schema:
            return schema["enum"][0]
        defaults: dict[str, Any] = {
            "string": "",
            "integer": 0,
            "number": 0,
            "boolean": False,
            "array": [],
            "null": None,
        }
        if kinds in defaults:
            return copy.copy(defaults[kinds])
        given = {}
    if isinstance(given, dict) and (kinds == "object" or "properties" in schema):
        result = dict(given)
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in result:
                result[name] = complete(properties.get(name, {}), None)
        for name, value in list(result.items()):
            if name in properties and isinstance(value, dict | list):
                result[name] = complete(properties[name], value)
        return result
    if isinstance(given, list) and "items" in schema:
        return [complete(schema["items"], item) for item in given]
    return given


def request_of(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes | None
) -> MockRequest:
    return MockRequest(
        "http://127.0.0.1",
        method.lower(),
        path,
        args=query,
        headers=headers,
        data=body or b"",
        content_type=headers.get("Content-Type", "application/json").split(";")[0],
    )


def check_request(
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes | None,
) -> None:
    """Raise ContractViolation unless the spec (or a listed gap) allows this request."""
    if path.startswith("/admin/api/web_hooks"):
        if method == "POST":
            _check_json(WEB_HOOK_REQUEST_SCHEMA, body, "web hook request")
        return
    if method == "POST" and path == "/posts.json" and body:
        document = json.loads(body)
        tags = document.pop("tags", None)
        if tags is not None:  # the listed gap, held to its own rule
            _check_json({"type": "array", "items": {"type": "string"}}, tags, "tags")
        body = json.dumps(document).encode()
    try:
        openapi().validate_request(request_of(method, path, query, headers, body))
    except Exception as exc:
        raise ContractViolation(f"{method} {path}: {_explain(exc)}") from exc


def check_response(
    method: str,
    path: str,
    query: dict[str, str],
    status: int,
    content_type: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Raise ContractViolation unless the spec (or a listed gap) allows this answer."""
    if status >= 400:
        if status == 429 and not headers.get("Retry-After", "").isdigit():
            raise ContractViolation(f"{method} {path}: a 429 without a Retry-After in seconds")
        if content_type == "application/json":
            _check_json(ERROR_SCHEMA, body, f"{status} answer")
        return
    if path.startswith("/admin/api/web_hooks"):
        document = json.loads(body)
        hooks = document.get("web_hooks", [document.get("web_hook")])
        for hook in hooks:
            _check_json(WEB_HOOK_SCHEMA, hook, "web hook")
        return
    if path.startswith("/admin/users/list/") and json.loads(body) == []:
        return  # the listed gap: nobody matched the filter
    request = request_of(method, path, query, {"Content-Type": "application/json"}, None)
    try:
        openapi().validate_response(
            request, MockResponse(body, status_code=status, content_type=content_type)
        )
    except Exception as exc:
        raise ContractViolation(f"answer to {method} {path} ({status}): {_explain(exc)}") from exc


def _check_json(schema: dict[str, Any], document: Any, what: str) -> None:
    if isinstance(document, bytes | str):
        try:
            document = json.loads(document or b"null")
        except ValueError as exc:
            raise ContractViolation(f"{what} is not JSON: {exc}") from exc
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    if errors:
        raise ContractViolation(f"{what}: {errors[0].message}")


def _explain(exc: BaseException) -> str:
    parts = [str(exc)]
    cause = exc.__cause__
    while cause is not None:
        errors = getattr(cause, "schema_errors", None)
        if errors:
            parts.append("; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors))
        cause = cause.__cause__
    return " | ".join(parts)
