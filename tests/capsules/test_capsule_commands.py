"""``!capsule`` on a real database (SQLite and PostgreSQL), as the bot hands commands over:
drafting in the direct chat with the screen's findings, AMBER refused, four eyes, edits that
reset approval, the weekly cap with waiting capsules published when the week turns, and the
cocoon letter on demand, only for an alert detection proposed."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from bots.capsule_commands import CapsuleDesk, register_capsule_commands
from bots.commands import Context, Reply
from phenomena.alert import parse_ref
from phenomena.capsules.files import CapsuleFile
from phenomena.capsules.service import CapsuleState, parse_capsule_ref
from phenomena.events import CapsulePublished
from phenomena.room_keys import direct_key
from phenomena.storage.capsules import SqlCapsules
from phenomena.storage.database import Database
from phenomena.storage.outbox import Outbox
from phenomena.storage.schema import AlertRow
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry
from prevnet.capsule_files import letter_file
from tests.capsules.alerts import detected
from tests.support.alert_desk import Desk, direct, ref_in

ALERT = """!alert new
type: residential-burglary
area: Mons
from: 2026-11-20
tlp: {tlp}
summary: Several burglaries in the evening, rear windows forced.
advice: Fermez portes et fenêtres à clé, même pour une courte absence."""

TZ = "Europe/Brussels"


@pytest.fixture
async def desk(db: Database, territories: TerritoryRegistry) -> Desk:
    found = Desk(db, territories)
    await found.load_demo()
    return found


def capsules(
    desk: Desk, per_week: int = 2, sent: list[tuple[str, CapsuleFile]] | None = None
) -> CapsuleDesk:
    """The capsule commands on ``desk``; files put in direct chats are appended to ``sent``."""

    async def send_file(matrix_id: str, file: CapsuleFile) -> None:
        assert sent is not None
        sent.append((matrix_id, file))

    found = CapsuleDesk(
        desk.desk,
        SqlCapsules(desk.db),
        per_week,
        "Europe/Brussels",
        desk.clock,
        letter_of=letter_file,
        send_file=send_file,
    )
    register_capsule_commands(desk.registry, found)
    return found


async def proposed_by_detection(desk: Desk, ref: str) -> None:
    """Record that detection proposed alert ``ref`` (as ``phenomena.services.detection`` does)."""
    async with SqlUnitOfWork(desk.db.sessions) as unit:
        await unit.detections.add(detected(parse_ref(ref)))
        await unit.commit()


async def published(desk: Desk, tlp: str = "green") -> str:
    ref = ref_in(await desk.say("inspecteur.mons", ALERT.format(tlp=tlp)))
    await desk.say("inspecteur.mons", f"!alert publish {ref}")
    return ref


def text(reply: Reply | None) -> str:
    assert reply is not None
    return reply.text


def capsule_ref(reply: Reply | None) -> str:
    """``C-3`` from ``Draft C-3 of A-12 ...``."""
    return text(reply).split()[1]


async def test_a_draft_goes_to_the_direct_chat_with_the_screens_findings(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    reply = await desk.say("prevention.mons", f"!capsule {ref}", room="zone:5324")
    assert reply is not None and reply.private
    assert "zone" not in reply.pointer.lower() and ref not in reply.pointer
    assert text(reply).startswith("Brouillon C-") and f"de {ref}" in text(reply)  # French room
    assert "https://www.mons.be/vivre-a-mons/prevention" in text(reply)
    assert "[fr] Mons" in text(reply)
    assert "tip: Fermez portes et fenêtres à clé" in text(reply)
    assert "Contrôle" in text(reply)


async def test_the_screen_shows_what_an_edit_brings_in(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    reply = await desk.say(
        "prevention.mons", f"!capsule edit {c} short: Une vague alarmante rue de la Station 12"
    )
    assert "anxiety word «vague" in text(reply)
    assert "exact address «rue de la Station 12»" in text(reply)


async def test_amber_and_red_alerts_are_refused_with_the_reason(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk, "amber")
    reply = await desk.say("inspecteur.mons", f"!capsule {ref}", room="province:50000")
    assert "TLP:AMBER" in text(reply)  # said in the (French) room's language
    assert "seules les alertes TLP:CLEAR et TLP:GREEN" in text(reply)
    assert reply is not None and reply.private  # the room is not told the alert's label
    assert await SqlCapsules(desk.db).get(1) is None


async def test_the_author_cannot_approve_a_second_person_can(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    own = await desk.say("prevention.mons", f"!capsule approve {c}")
    assert "you wrote" in text(own) and "second person" in text(own)
    store = SqlCapsules(desk.db)
    assert (await store.get(parse_capsule_ref(c))).state is CapsuleState.DRAFT  # type: ignore[union-attr]
    police = await desk.say("inspecteur.mons", f"!capsule approve {c}")  # no moderator, no commune
    assert "commune prevention service of its zone or a moderator" in text(police)
    other_commune = await desk.say("prevention.quevy", f"!capsule approve {c}")  # zone 5324
    assert "published" in text(other_commune)
    record = await store.get(parse_capsule_ref(c))
    assert record is not None and record.state is CapsuleState.PUBLISHED
    assert record.approver == "@prevention.quevy:prevnet.test"
    events = [e for _, e in await Outbox(desk.db, "bots").events(delivered=False)]
    assert CapsulePublished(parse_capsule_ref(c), "53053") in events


async def test_a_moderator_approves(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("inspecteur.mons", f"!capsule {ref}"))
    reply = await desk.say("analyste.mons", f"!capsule approve {c}")
    assert "published" in text(reply)


async def test_an_edit_after_approval_needs_approving_again(desk: Desk) -> None:
    capsules(desk, per_week=1)
    ref = await published(desk)
    first = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("analyste.mons", f"!capsule approve {first}")
    second = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    waits = await desk.say("analyste.mons", f"!capsule approve {second}")
    assert "waits" in text(waits)
    changed = await desk.say("prevention.mons", f"!capsule edit {second} title: Un bon réflexe")
    assert "is a draft" in text(changed)
    store = SqlCapsules(desk.db)
    desk.clock.now += timedelta(days=8)
    assert await store.publish_due(desk.clock(), 1, "Europe/Brussels") == []  # a draft stays
    record = await store.get(parse_capsule_ref(second))
    assert record is not None and record.state is CapsuleState.DRAFT and record.approver is None
    published_one = await desk.say("prevention.mons", f"!capsule edit {first} title: Autre")
    assert "is published" in text(published_one) and "draft a new capsule" in text(published_one)


async def test_beyond_the_cap_capsules_wait_and_go_out_in_order_when_the_week_turns(
    desk: Desk,
) -> None:
    capsules(desk, per_week=1)
    ref = await published(desk)
    refs = [capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}")) for _ in range(3)]
    answers = [text(await desk.say("analyste.mons", f"!capsule approve {c}")) for c in refs]
    assert "published" in answers[0] and "waits" in answers[1] and "waits" in answers[2]
    store = SqlCapsules(desk.db)
    assert await store.publish_due(desk.clock(), 1, "Europe/Brussels") == []  # same week
    desk.clock.now += timedelta(days=7)
    assert await store.publish_due(desk.clock(), 1, "Europe/Brussels") == [
        parse_capsule_ref(refs[1])
    ]
    assert await store.publish_due(desk.clock(), 1, "Europe/Brussels") == []  # run again: none
    desk.clock.now += timedelta(days=7)
    assert await store.publish_due(desk.clock(), 1, "Europe/Brussels") == [
        parse_capsule_ref(refs[2])
    ]
    weeks = [(await store.get(parse_capsule_ref(c))).week for c in refs]  # type: ignore[union-attr]
    assert weeks == ["2026-W47", "2026-W48", "2026-W49"]
    events = [e for _, e in await Outbox(desk.db, "bots").events(delivered=False)]
    assert [e.capsule_id for e in events if isinstance(e, CapsulePublished)] == [
        parse_capsule_ref(c) for c in refs
    ]


async def test_show_tells_where_the_capsule_stands(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    shown = await desk.say("analyste.mons", f"!capsule show {c}")
    assert shown is not None and shown.private and "is a draft" in shown.text


async def test_a_command_seen_again_after_a_crash_does_nothing_twice(desk: Desk) -> None:
    capsules(desk)
    ref = await published(desk)
    member = await desk.member("prevention.mons")
    context = Context(
        sender=member.matrix_id,
        member=member,
        room_id=direct(member.matrix_id),
        room_key=direct_key(member.matrix_id),
        event_id="$the-same-event",
        audience=frozenset({member.matrix_id}),
    )
    first = await desk.registry.dispatch(context, f"!capsule {ref}")
    assert text(first).startswith("Draft C-1 ")
    assert await desk.registry.dispatch(context, f"!capsule {ref}") is None  # silent
    assert await SqlCapsules(desk.db).get(2) is None


async def test_two_approvals_at_the_same_instant_keep_the_cap(desk: Desk) -> None:
    capsules(desk, per_week=1)
    ref = await published(desk)
    refs = [capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}")) for _ in range(2)]
    stores = [SqlCapsules(desk.db), SqlCapsules(desk.db)]  # as two instances would
    approved = await asyncio.gather(
        *(
            s.approve(parse_capsule_ref(c), "@analyste.mons:prevnet.test", desk.clock(), 1, TZ)
            for s, c in zip(stores, refs, strict=True)
        )
    )
    assert sorted(r.state.value for r in approved) == ["published", "waiting"]


async def test_the_cocoon_letter_is_for_an_alert_detection_proposed_only(desk: Desk) -> None:
    sent: list[tuple[str, CapsuleFile]] = []
    capsules(desk, sent=sent)
    ref = await published(desk)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    draft = await desk.say("prevention.mons", f"!capsule letter {c}")
    assert "is a draft" in text(draft) and f"!capsule approve {c}" in text(draft)
    await desk.say("analyste.mons", f"!capsule approve {c}")
    refused = await desk.say("prevention.mons", f"!capsule letter {c}", room="zone:5324")
    assert refused is not None and refused.private
    assert f"{ref} n'a pas été proposée par la détection" in text(refused)
    assert "imprimez plutôt l'affiche" in text(refused)
    assert sent == []

    await proposed_by_detection(desk, ref)
    reply = await desk.say(
        "prevention.mons", f"!capsule letter {c} streets: rue de Nimy, rue des Gaillers"
    )
    assert reply is not None and reply.private and "cocoon letter" in reply.text
    [(to, letter)] = sent
    assert to == "@prevention.mons:prevnet.test"
    assert letter.name == f"capsule-{parse_capsule_ref(c)}-fr-letter.pdf"
    page = PdfReader(io.BytesIO(letter.data)).pages[0]
    assert "rue de Nimy, rue des Gaillers" in " ".join(page.extract_text().split())
    stranger = await desk.say("preventie.oostende", f"!capsule letter {c}")
    assert "no capsule" in text(stranger) and len(sent) == 1


async def test_no_letter_once_the_alert_is_no_longer_green(desk: Desk) -> None:
    sent: list[tuple[str, CapsuleFile]] = []
    capsules(desk, sent=sent)
    ref = await published(desk)
    await proposed_by_detection(desk, ref)
    c = capsule_ref(await desk.say("prevention.mons", f"!capsule {ref}"))
    await desk.say("analyste.mons", f"!capsule approve {c}")
    async with desk.db.sessions() as session, session.begin():  # made AMBER afterwards
        await session.execute(
            update(AlertRow).where(AlertRow.id == parse_ref(ref)).values(tlp="amber")
        )
    refused = await desk.say("prevention.mons", f"!capsule letter {c}")
    assert "TLP:AMBER" in text(refused) and sent == []
