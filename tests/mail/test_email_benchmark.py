"""The e-mail benchmark's own code path, at a small size, so it cannot rot unnoticed."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

from benchmarks.email import measure
from phenomena.storage.database import Database
from phenomena.territory import TerritoryRegistry


async def test_each_member_gets_one_mail_from_prevnet_and_one_from_the_floor(
    db: Database, territories: TerritoryRegistry, tmp_path: Path
) -> None:
    result = await measure(db, tmp_path, territories, members=5, repeat=1)

    [measured] = result.rounds
    assert len(result.addresses) == 5
    assert measured.prevnet_mails == dict.fromkeys(result.addresses, 1)
    assert measured.floor_mails == dict.fromkeys(result.addresses, 1)
    subjects = {
        str(message_from_bytes(d.content, policy=default)["Subject"]) for d in measured.delivered
    }
    assert all(s.startswith("[TLP:GREEN] ") for s in subjects), subjects
