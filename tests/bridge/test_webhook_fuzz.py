"""Whatever arrives at the web hook receiver, it answers 2xx, 400 or 401, never a crash, and
nothing unsigned ever reaches the outbox."""

from __future__ import annotations

import hashlib
import hmac
import json

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.store import BridgeStore
from bridge.webhook import WEBHOOK_PATH, WebhookReceiver, signature_ok
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.unit_of_work import SqlUnitOfWork

SECRET = "fuzzing-secret-value"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
posts = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | st.text(max_size=5),
        "topic_id": st.integers(-3, 10**9) | st.text(max_size=5),
        "post_number": st.integers(-1, 5) | st.none(),
        "username": st.text(max_size=10),
        "cooked": st.text(max_size=50),
        "category_id": st.integers(-1, 100) | st.none() | st.text(max_size=3),
        "topic_title": st.text(max_size=20),
    },
)
bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | posts.map(lambda p: json.dumps({"post": p}).encode())
)


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_signature_check() -> None:
    body = b'{"post": {}}'
    assert signature_ok(SECRET, body, sign(body))
    assert not signature_ok(SECRET, body + b" ", sign(body))
    assert not signature_ok(SECRET, body, None)
    assert not signature_ok("", body, sign(body))
    assert not signature_ok(SECRET, body, sign(body).upper())


async def test_any_delivery_gets_a_clear_answer(db: Database) -> None:
    async def categories() -> dict[int, str]:
        return {5: "Toolbox"}

    receiver = WebhookReceiver(
        SECRET,
        lambda once: SqlUnitOfWork(db.sessions, once=once),
        BridgeStore(db),
        api_username="system",
        base_url="https://toolbox.example.be",
        toolbox_categories=categories,
    )
    app = web.Application()
    app.add_routes(receiver.routes())
    cases: list[tuple[bytes, bool, str, str]] = []

    # Hypothesis draws the cases (it cannot drive a coroutine on the running loop); each is
    # then sent for real, and a failing one is printed whole.
    @settings(max_examples=200, deadline=None, database=None)
    @given(
        body=bodies,
        signed=st.booleans(),
        event=st.sampled_from(["post_created", "topic_created", "ping", "", "post_edited"]),
        event_id=st.text(max_size=6),
    )
    def draw(body: bytes, signed: bool, event: str, event_id: str) -> None:
        cases.append((body, signed, event, event_id))

    draw()
    async with TestClient(TestServer(app)) as client:
        for body, signed, event, event_id in cases:
            headers = {"X-Discourse-Event": event, "X-Discourse-Event-Id": event_id}
            headers = {k: v for k, v in headers.items() if v.isprintable() and v == v.strip()}
            if signed:
                headers["X-Discourse-Event-Signature"] = sign(body)
            response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
            case = (body, signed, event, event_id)
            assert response.status in (200, 400, 401), (case, await response.text())
            if not signed:
                assert response.status == 401, case
            answer = await response.json()
            assert response.status == 200 or "error" in answer, case
    events = await Outbox(db, "t").events()
    assert all(type(e).__name__ == "ToolboxTopicCreated" for _, e in events)
