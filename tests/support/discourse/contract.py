"""Discourse's OpenAPI description as the contract for the bridge and for the test double.

Every request the bridge sends and every answer the double gives is validated here; the double
builds its answers itself (``serializers``), so this check is independent of them. The spec is
generated from Discourse's own API tests and misses a few things Discourse really does; each
such gap is listed in ``SPEC_GAPS`` with the fact it rests on (``shared/discourse/README.md``,
Discourse's source), and is checked against a narrower local rule instead of being waved through.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
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
    "error answers": "the spec describes no 4xx or 5xx answer of any operation; see ERROR_SCHEMA",
    "web hooks": "/admin/api/web_hooks* is not in the spec; shape from Discourse's serializer",
    "web hook payloads": "deliveries are not in the spec; see web_hook_payload_schema",
    "featured_topic null": "a user who featured no topic has featured_topic: null "
    "(UserSerializer); the spec's one example had one",
}

# Discourse's error answers (app/controllers/application_controller.rb, ``render_json_error``
# and its ``rescue_from`` handlers): a JSON object with ``errors`` (messages) and
# ``error_type`` (``invalid_access`` for 403, ``not_found``, ``invalid_parameters``,
# ``record_invalid``, ``rate_limit``); a throttled request (RateLimiter::LimitExceeded) adds
# ``extras: {wait_seconds, time_left}`` and the headers ``Retry-After`` (seconds) and
# ``Discourse-Rate-Limit-Error-Code``. The per-IP limiter in front of Rails answers 429 in
# plain text, and a proxy in front of a failing or stopped Discourse answers 5xx in HTML.

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "error_type": {
            "enum": [
                "invalid_access",
                "not_found",
                "invalid_parameters",
                "record_invalid",
                "rate_limit",
                "not_logged_in",
            ]
        },
        "extras": {
            "type": "object",
            "properties": {
                "wait_seconds": {"type": "integer", "minimum": 0},
                "time_left": {"type": "string"},
            },
        },
    },
}
ERROR_TYPES = {403: "invalid_access", 404: "not_found", 429: "rate_limit"}
RATE_LIMITED_SCHEMA: dict[str, Any] = {
    **ERROR_SCHEMA,
    "required": ["errors", "error_type", "extras"],
    "properties": {
        **ERROR_SCHEMA["properties"],
        "extras": {
            **ERROR_SCHEMA["properties"]["extras"],
            "required": ["wait_seconds", "time_left"],
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


# Web-hook deliveries (not in the spec). Headers and signature: shared/discourse/README.md and
# Discourse's Jobs::EmitWebHookEvent. Bodies: ``{"post": {...}}`` is WebHookPostSerializer, the
# API's post without what only a viewer sees and with its topic's title, category and counts;
# ``{"topic": {...}}`` is WebHookTopicViewSerializer, the topic view without its post stream,
# details, drafts and timers and with ``created_by`` and ``last_poster``.
WEB_HOOK_HEADERS = (
    "X-Discourse-Instance",
    "X-Discourse-Event-Id",
    "X-Discourse-Event-Type",
    "X-Discourse-Event",
)
WEB_HOOK_POST_LEAVES_OUT = (
    "can_edit can_delete can_recover can_wiki can_view_edit_history yours actions_summary "
    "flair_url flair_bg_color flair_color readers_count"
)
WEB_HOOK_POST_ADDS: dict[str, Any] = {
    "raw": {"type": "string"},
    "topic_title": {"type": "string", "minLength": 1},
    "category_id": {"type": "integer"},
    "category_slug": {"type": "string"},
    "topic_posts_count": {"type": "integer", "minimum": 1},
    "topic_filtered_posts_count": {"type": "integer", "minimum": 0},
    "topic_archetype": {"enum": ["regular", "private_message"]},
}
WEB_HOOK_TOPIC_LEAVES_OUT = (
    "post_stream timeline_lookup draft draft_key draft_sequence message_bus_last_id "
    "suggested_topics has_summary actions_summary chunk_size topic_timer details image_url "
    "slow_mode_seconds slow_mode_enabled_until bookmarks show_read_indicator"
)


class ContractViolation(AssertionError):
    """A request or an answer that the OpenAPI description does not allow."""


@functools.cache
def spec() -> dict[str, Any]:
    """The official description, with its server set to loopback (where the double listens)."""
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    document["servers"] = [{"url": "http://127.0.0.1"}]
    user = _answer_schema(document, "get", "/u/by-external/{external_id}.json")
    featured = user["properties"]["user"]["properties"]["featured_topic"]
    featured["type"] = ["object", "null"]  # the listed gap "featured_topic null"
    return document


@functools.cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec())


def _answer_schema(document: dict[str, Any], method: str, template: str) -> dict[str, Any]:
    answer = document["paths"][template][method]["responses"]["200"]
    schema: dict[str, Any] = answer["content"]["application/json"]["schema"]
    return schema


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
        _check_error(f"{method} {path}", status, content_type, body, headers)
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


def _check_error(
    what: str, status: int, content_type: str, body: bytes, headers: dict[str, str]
) -> None:
    """An error answer as Discourse (or the proxy in front of it) sends one; see ERROR_SCHEMA."""
    if status >= 500:
        if content_type == "text/html" and body.strip():
            return  # the proxy's page: Discourse down or failing
        if content_type != "application/json":
            raise ContractViolation(f"{what}: a {status} answer must be an HTML page or JSON")
        _check_json(ERROR_SCHEMA, body, f"{what}: {status} answer")
        return
    if status == 429:
        wait = headers.get("Retry-After", "")
        if not wait.isdigit():
            raise ContractViolation(f"{what}: a 429 without a Retry-After in seconds")
        if content_type == "text/plain":
            return  # the per-IP limiter's answer
        if not headers.get("Discourse-Rate-Limit-Error-Code"):
            raise ContractViolation(f"{what}: a 429 without Discourse-Rate-Limit-Error-Code")
        _check_json(RATE_LIMITED_SCHEMA, body, f"{what}: 429 answer")
        if json.loads(body)["extras"]["wait_seconds"] != int(wait):
            raise ContractViolation(f"{what}: extras.wait_seconds differs from Retry-After")
        return
    if content_type != "application/json":
        raise ContractViolation(f"{what}: a {status} answer from Discourse's API is JSON")
    _check_json(ERROR_SCHEMA, body, f"{what}: {status} answer")
    expected = ERROR_TYPES.get(status)
    if expected is not None and json.loads(body).get("error_type") != expected:
        raise ContractViolation(f"{what}: a {status} answer has error_type {expected!r}")


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


@functools.cache
def web_hook_payload_schema(kind: str) -> dict[str, Any]:
    """The body of a ``post_*`` or ``topic_*`` delivery, from the spec's post and topic view."""
    if kind == "post":
        inner = copy.deepcopy(_answer_schema(spec(), "post", "/posts.json"))
        leaves_out, adds = WEB_HOOK_POST_LEAVES_OUT.split(), WEB_HOOK_POST_ADDS
    elif kind == "topic":
        inner = copy.deepcopy(_answer_schema(spec(), "get", "/t/{id}.json"))
        details = inner["properties"]["details"]["properties"]
        leaves_out = WEB_HOOK_TOPIC_LEAVES_OUT.split()
        adds = {"created_by": details["created_by"], "last_poster": details["last_poster"]}
    else:
        raise ValueError(f"no web-hook payload of type {kind!r} is described")
    for name in leaves_out:
        inner["properties"].pop(name, None)
    inner["properties"] |= adds
    inner["required"] = [n for n in inner["required"] if n not in leaves_out] + list(adds)
    inner["additionalProperties"] = False
    return {
        "type": "object",
        "required": [kind],
        "additionalProperties": False,
        "properties": {kind: inner},
    }


def check_web_hook_delivery(headers: dict[str, str], body: bytes, secret: str | None) -> None:
    """Raise ContractViolation unless this delivery is what Discourse sends for a post or topic."""
    missing = [name for name in WEB_HOOK_HEADERS if not headers.get(name)]
    if missing:
        raise ContractViolation(f"web hook delivery without {', '.join(missing)}")
    kind, event = headers["X-Discourse-Event-Type"], headers["X-Discourse-Event"]
    if kind not in ("post", "topic") or not event.startswith(f"{kind}_"):
        raise ContractViolation(f"web hook event {event!r} of type {kind!r}")
    if secret:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        signature = headers.get("X-Discourse-Event-Signature", "")
        if not hmac.compare_digest(signature, f"sha256={digest}"):
            raise ContractViolation("web hook delivery without a valid sha256= signature")
    _check_json(web_hook_payload_schema(kind), body, f"{event} payload")
