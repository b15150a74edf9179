"""The commune's prevention page and BIN/PLP coordinators, read from the partner file and stored
with its organisation on SQLite and PostgreSQL; a wrong address is refused with its line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phenomena.errors import DocumentErrors
from phenomena.partners_file import parse_partner_file
from phenomena.services import partners as use
from phenomena.storage.database import Database
from phenomena.storage.unit_of_work import SqlUnitOfWork
from phenomena.territory import TerritoryRegistry

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FILE = """organisations:
  - key: pcs-mons
    name: PSSP Mons
    kind: commune
    territories: [Mons]
    prevention_page: {page}
    coordinators: [{coordinators}]
"""


async def test_the_page_and_the_coordinators_are_stored_and_changed(
    db: Database, territories: TerritoryRegistry
) -> None:
    page = "https://www.mons.be/prevention"
    doc = parse_partner_file(
        FILE.format(page=page, coordinators="Bin.Hyon@Example.org, plp@example.org"), territories
    )
    await use.import_partners(SqlUnitOfWork(db.sessions), doc, "cli:test", NOW)
    async with SqlUnitOfWork(db.sessions) as uow:
        found = await uow.organisations.get("pcs-mons")
    assert found is not None and found.prevention_url == page
    assert found.coordinators == ("Bin.Hyon@example.org", "plp@example.org")

    changed = parse_partner_file(
        FILE.format(page=page, coordinators="plp@example.org"), territories
    )
    report = await use.import_partners(SqlUnitOfWork(db.sessions), changed, "cli:test", NOW)
    assert report.organisations_changed == ["pcs-mons"]
    async with SqlUnitOfWork(db.sessions) as uow:
        found = await uow.organisations.get("pcs-mons")
    assert found is not None and found.coordinators == ("plp@example.org",)


@pytest.mark.parametrize(
    ("page", "coordinators", "said"),
    [
        ("mons.be", "plp@example.org", "is not a prevention page address"),
        ("https://www.mons.be/p", "not an address", "is not an e-mail address"),
    ],
)
def test_a_wrong_page_or_address_is_refused_with_its_line(
    territories: TerritoryRegistry, page: str, coordinators: str, said: str
) -> None:
    with pytest.raises(DocumentErrors) as refused:
        parse_partner_file(FILE.format(page=page, coordinators=coordinators), territories)
    assert said in str(refused.value)
