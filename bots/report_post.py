"""The monthly attention report in ``#admin``: its text, then its chart as an encrypted image.

The chart is always uploaded encrypted (the homeserver keeps only ciphertext), whatever the
client has synced of the room yet: ``#admin`` is an encrypted room.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import nio

Post = Callable[..., Awaitable[str]]  # ``Bot.post(room_id, content, tx_id=...)``


async def encrypted_image(
    client: nio.AsyncClient, png: bytes, name: str, body: str
) -> dict[str, Any]:
    """Upload a PNG encrypted and return the ``m.image`` content that carries its key."""
    response, keys = await client.upload(
        io.BytesIO(png), content_type="image/png", filename=name, encrypt=True, filesize=len(png)
    )
    if not isinstance(response, nio.UploadResponse) or not keys:
        raise ConnectionError(f"could not upload the report's chart: {response}")
    return {
        "msgtype": "m.image",
        "body": body,
        "filename": name,
        "info": {"mimetype": "image/png", "size": len(png)},
        "file": {"url": response.content_uri, "mimetype": "image/png", **keys},
    }


async def post_report(
    client: nio.AsyncClient, post: Post, room_id: str, text: str, png: bytes, period: str
) -> None:
    """Post the report's text and chart; the same ``period`` again posts nothing new (the
    transaction IDs are the period's)."""
    content = {"msgtype": "m.notice", "body": text, "m.mentions": {}}  # an "@room" in a name
    await post(room_id, content, tx_id=f"prevnet-attention-report-{period}")
    image = await encrypted_image(
        client, png, f"attention-report-{period}.png", f"Attention report chart, {period}"
    )
    await post(room_id, image, tx_id=f"prevnet-attention-report-chart-{period}")
