"""The Discourse contract itself: it refuses what Discourse would not send or accept.

The double's answers are its own (``serializers``), so these tests show the contract has teeth:
a request or an answer one field off the spec is a violation, errors included, and the web-hook
deliveries the double sends are what Discourse sends.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.support.discourse import contract
from tests.support.discourse.double import DiscourseDouble
from tests.support.discourse.post_serializers import created_post, web_hook_post, web_hook_topic
from tests.support.synapse import free_port

HEADERS = {"Api-Key": "double-admin-key", "Api-Username": "system"}
JSON = {**HEADERS, "Content-Type": "application/json"}
CREATE = {"title": "Cambriolages en série à Mons", "raw": "Trois maisons visitées cette nuit."}


def post_answer(discourse: DiscourseDouble) -> dict[str, Any]:
    post = discourse.forum.create_topic("system", CREATE["title"], CREATE["raw"], None, [], None)
    return created_post(discourse.forum, post)


def check_post_answer(document: Any) -> None:
    contract.check_response(
        "POST", "/posts.json", {}, 200, "application/json", json.dumps(document).encode(), {}
    )


def test_a_request_outside_the_spec_is_refused() -> None:
    body = json.dumps(CREATE).encode()
    contract.check_request("POST", "/posts.json", {}, JSON, body)
    for wrong in ({**CREATE, "category": "five"}, {"title": CREATE["title"]}):
        with pytest.raises(contract.ContractViolation):
            contract.check_request("POST", "/posts.json", {}, JSON, json.dumps(wrong).encode())
    with pytest.raises(contract.ContractViolation, match="tags"):
        contract.check_request(
            "POST", "/posts.json", {}, JSON, json.dumps({**CREATE, "tags": [7]}).encode()
        )


async def test_an_answer_outside_the_spec_is_refused(discourse: DiscourseDouble) -> None:
    answer = post_answer(discourse)
    check_post_answer(answer)
    missing = {k: v for k, v in answer.items() if k != "topic_slug"}
    for wrong in (missing, {**answer, "post_number": "1"}, {**answer, "invented": True}):
        with pytest.raises(contract.ContractViolation):
            check_post_answer(wrong)


def test_error_answers_are_held_to_what_discourse_sends() -> None:
    def check(
        status: int, body: Any, headers: dict[str, str], kind: str = "application/json"
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        contract.check_response("GET", "/categories.json", {}, status, kind, raw, headers)

    throttled = {"errors": ["Slow down."], "error_type": "rate_limit"}
    limits = {"Retry-After": "12", "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"}
    extras = {"wait_seconds": 12, "time_left": "12 seconds"}
    check(429, {**throttled, "extras": extras}, limits)
    check(429, b"Slow down, too many requests from this IP address", limits, "text/plain")
    check(403, {"errors": ["Not permitted."], "error_type": "invalid_access"}, {})
    check(502, b"<html>Bad Gateway</html>", {}, "text/html")
    refused: list[tuple[int, Any, dict[str, str], str]] = [
        (429, {**throttled, "extras": extras}, {}, "application/json"),  # no Retry-After
        (429, {**throttled, "extras": {**extras, "wait_seconds": 3}}, limits, "application/json"),
        (429, throttled, limits, "application/json"),  # no extras
        (403, {"errors": ["Not permitted."], "error_type": "not_found"}, {}, "application/json"),
        (403, {"error": "Not permitted."}, {}, "application/json"),
        (404, b"<html>gone</html>", {}, "text/html"),
        (503, b"", {}, "text/html"),
    ]
    for status, body, headers, kind in refused:
        with pytest.raises(contract.ContractViolation):
            check(status, body, headers, kind)


async def test_the_double_checks_a_request_before_its_key_and_its_errors_after(
    discourse: DiscourseDouble,
) -> None:
    bad_key = {**JSON, "Api-Key": "wrong"}
    async with aiohttp.ClientSession(discourse.url) as http:
        async with http.post("/posts.json", json={"title": 5}, headers=bad_key) as answer:
            assert answer.status == 400  # outside the spec, whatever the key
        assert len(discourse.violations) == 1 and "POST /posts.json" in discourse.violations[0]
        discourse.violations.clear()
        async with http.get("/categories.json", headers=bad_key) as answer:
            assert answer.status == 403
        discourse.down = True
        async with http.get("/categories.json", headers=HEADERS) as answer:
            assert answer.status == 503
        discourse.down = False
        discourse.scripted.append(("GET", "/categories.json", "error"))
        async with http.get("/categories.json", headers=HEADERS) as answer:
            assert answer.status == 502
        discourse.admin_limit = 2  # the 502 counted: one more, then throttled
        statuses = []
        for _ in range(2):
            async with http.get("/categories.json", headers=HEADERS) as answer:
                statuses.append(answer.status)
                retry = answer.headers.get("Retry-After")
        assert statuses == [200, 429] and retry is not None and int(retry) >= 1
    assert discourse.violations == []  # the 403, 503, 502 and 429 were all as Discourse sends them


async def test_web_hook_deliveries_have_discourses_shape(discourse: DiscourseDouble) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    secret = "a-long-shared-secret"
    try:
        hook = {
            "payload_url": f"http://127.0.0.1:{port}/hook",
            "content_type": 1,
            "secret": secret,
            "web_hook_event_type_ids": [1, 2],
        }
        async with (
            aiohttp.ClientSession(discourse.url) as http,
            http.post("/admin/api/web_hooks.json", json={"web_hook": hook}, headers=JSON) as answer,
        ):
            assert answer.status == 200
        discourse.add_user("marie", "Marie Lambert", "marie@mons.be")
        category = discourse.forum.uncategorized
        topic = discourse.publish_as("marie", category, CREATE["title"], CREATE["raw"])
        discourse.reply_as("system", topic.id, "Merci, transmis aux patrouilles de nuit.")
        await discourse.settle()
    finally:
        await runner.cleanup()
    events = [(h["X-Discourse-Event-Type"], h["X-Discourse-Event"]) for h, _ in received]
    assert events == [
        ("topic", "topic_created"),
        ("post", "post_created"),
        ("post", "post_created"),
    ]
    for headers, body in received:
        contract.check_web_hook_delivery(headers, body, secret)
        assert headers["X-Discourse-Event-Signature"].startswith("sha256=")
        assert headers["X-Discourse-Instance"] == discourse.url
    topic_body = json.loads(received[0][1])
    assert set(topic_body) == {"topic"} and topic_body["topic"]["title"] == CREATE["title"]
    assert topic_body["topic"]["created_by"]["username"] == "marie"
    reply = json.loads(received[2][1])["post"]
    assert reply["topic_title"] == CREATE["title"] and reply["post_number"] == 2
    assert reply["raw"].startswith("Merci") and "can_edit" not in reply
    assert discourse.violations == []


async def test_a_malformed_web_hook_delivery_is_refused(discourse: DiscourseDouble) -> None:
    post = discourse.forum.create_topic("system", CREATE["title"], CREATE["raw"], None, [], None)
    topic = discourse.forum.topics[post.topic_id]
    secret = "a-long-shared-secret"

    def check(event: str, document: Any, signed_with: str | None = secret) -> None:
        body = json.dumps(document).encode()
        headers = discourse.web_hook_headers(signed_with, "1", event, body)
        contract.check_web_hook_delivery(headers, body, secret)

    good_post = web_hook_post(discourse.forum, post)
    check("post_created", {"post": good_post})
    check("topic_created", {"topic": web_hook_topic(discourse.forum, topic)})
    no_title = {k: v for k, v in good_post.items() if k != "topic_title"}
    for event, document, key in [
        ("post_created", {"post": no_title}, secret),
        ("post_created", {"post": {**good_post, "can_edit": True}}, secret),  # a viewer's field
        ("post_created", {"topic": web_hook_topic(discourse.forum, topic)}, secret),
        ("post_created", {"post": good_post}, "another-secret-entirely"),
        ("post_created", {"post": good_post}, None),
    ]:
        with pytest.raises(contract.ContractViolation):
            check(event, document, key)
