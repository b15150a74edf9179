"""Weekly digests in the rooms: a text summary and a chart of alerts by type and week.

The chart is a PNG drawn with matplotlib and uploaded encrypted when the room is encrypted
(the homeserver never sees it in clear).
"""

from __future__ import annotations

import io
from typing import Any

import nio
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bots.i18n import Labels
from bots.useful_commands import by_type_lines
from phenomena.budget import RoomVolume
from phenomena.digest import Digest
from phenomena.priority import Priority
from phenomena.territory import TerritoryRegistry


def digest_text(digest: Digest, labels: Labels, territories: TerritoryRegistry) -> str:
    """The text of a digest in the room's language(s)."""
    lines = [f"{labels('Weekly digest')} ({digest.week_ending:%d/%m/%Y})", ""]
    if digest.open:
        lines.append(f"{labels('Open alerts')}:")
        for alert in digest.open:
            names = alert.content.type.names
            type_name = " / ".join(
                dict.fromkeys(names.get(lang, names["en"]) for lang in labels.languages)
            )
            area = ", ".join(
                territories.municipalities[n].own_name for n in alert.content.municipalities[:4]
            )
            line = f"- {alert.ref} {alert.content.tlp.label} {type_name}: {area}"
            if alert.content.priority is Priority.INFO:  # no bulletin said it: the digest does
                lines += [f"{line} [{labels('info')}]", f"  {alert.content.summary}"]
            else:
                lines.append(line)
    else:
        lines.append(labels("No open alerts."))
    if digest.new:
        lines += ["", f"{labels('New this week')}: {', '.join(a.ref for a in digest.new)}"]
    if digest.volume is not None:
        lines += ["", _volume_line(digest, labels)]
    if digest.usefulness:
        lines += ["", *by_type_lines(labels, digest.usefulness)]
    return "\n".join(lines)


def _volume_line(digest: Digest, labels: Labels) -> str:
    volume = digest.volume or RoomVolume()
    line = labels(
        "Bulletins in this room in the last 7 days: {normal} normal, {urgent} urgent.",
        normal=str(volume.normal),
        urgent=str(volume.urgent),
    )
    if digest.budget is not None:
        line += " " + labels("Budget: {budget} normal bulletins a week.", budget=str(digest.budget))
    return line


def digest_chart(digest: Digest, labels: Labels) -> bytes:
    """A stacked bar chart of the room's alerts by type and week, as PNG bytes."""
    figure = Figure(figsize=(6.4, 3.2), dpi=100)  # no pyplot: no global state, no GUI backend
    axes = figure.subplots()
    positions = range(len(digest.weeks))
    bottom = [0] * len(digest.weeks)
    for kind, counts in digest.counts.items():
        name = kind.names.get(labels.first, kind.names["en"])
        axes.bar(positions, counts, bottom=bottom, label=name)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xticks(list(positions), [f"{w:%d/%m}" for w in digest.weeks], fontsize=8)
    axes.set_xlabel(labels("week"))
    axes.set_title(labels("Alerts by type and week"), fontsize=10)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if digest.counts:
        axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def image_content(
    client: nio.AsyncClient, room_id: str, png: bytes, name: str, thread_root: str | None = None
) -> dict[str, Any]:
    """Upload a PNG (encrypted in encrypted rooms) and return the ``m.image`` content."""
    room = client.rooms.get(room_id)
    encrypted = bool(room and room.encrypted)
    response, keys = await client.upload(
        io.BytesIO(png),
        content_type="image/png",
        filename=name,
        encrypt=encrypted,
        filesize=len(png),
    )
    if not isinstance(response, nio.UploadResponse):
        raise ConnectionError(f"could not upload the chart: {response}")
    info = {"mimetype": "image/png", "size": len(png)}
    content: dict[str, Any] = {"msgtype": "m.image", "body": name, "info": info}
    if encrypted and keys:
        content["file"] = {"url": response.content_uri, "mimetype": "image/png", **keys}
    else:
        content["url"] = response.content_uri
    if thread_root:
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread_root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": thread_root},
        }
    return content


async def post_room_digest(
    client: nio.AsyncClient,
    post: Any,
    room_id: str,
    digest: Digest,
    languages: tuple[str, ...],
    territories: TerritoryRegistry,
) -> None:
    """Post one room's digest: the text, then the chart. Idempotent within the week."""
    labels = Labels(languages)
    week = f"{digest.week_ending:%G-W%V}"
    text = digest_text(digest, labels, territories)
    # it quotes info alerts' summaries: an "@room" in one must not ring the room on the bot's power
    content = {"msgtype": "m.notice", "body": text, "m.mentions": {}}
    await post(room_id, content, tx_id=f"prevnet-digest-{digest.room}-{week}")
    png = digest_chart(digest, labels)
    image = await image_content(client, room_id, png, f"alerts-{week}.png")
    await post(room_id, image, tx_id=f"prevnet-digest-chart-{digest.room}-{week}")
