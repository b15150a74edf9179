"""A member's Matrix ID at the door: well formed, and on the server prevnet serves."""

from __future__ import annotations

import pytest

from phenomena.errors import DocumentErrors, InvalidValue
from phenomena.partners import check_member_id
from phenomena.partners_file import parse_partner_file
from phenomena.territory import TerritoryRegistry
from tests.unit.test_partners_file import GOOD

SERVER = "prevnet.localhost"


def test_a_local_id_is_accepted_as_written() -> None:
    assert check_member_id("  @jean.dupont:prevnet.localhost ", SERVER) == (
        "@jean.dupont:prevnet.localhost"
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "@x:evil.example",
            "@x:evil.example is on another server; prevnet serves prevnet.localhost: "
            "use @x:prevnet.localhost",
        ),
        (
            "@x:prevnet.localhost:8448",
            "@x:prevnet.localhost:8448 is on another server; prevnet serves prevnet.localhost: "
            "use @x:prevnet.localhost",
        ),
        (
            "@x:sub.prevnet.localhost",
            "@x:sub.prevnet.localhost is on another server; prevnet serves prevnet.localhost: "
            "use @x:prevnet.localhost",
        ),
        (
            "nobody",
            "'nobody' is not a Matrix user ID: write it as @name:prevnet.localhost "
            "(lower-case letters, digits and . _ = - / + before the colon)",
        ),
        (
            "@Jean:prevnet.localhost",
            "'@Jean:prevnet.localhost' is not a Matrix user ID: it is written in lower case, "
            "e.g. @jean:prevnet.localhost",
        ),
        ("@x:", "'@x:' is not a Matrix user ID: write it as @name:prevnet.localhost"),
        ("@:prevnet.localhost", "is not a Matrix user ID: write it as @name:prevnet.localhost"),
        ("@a b:prevnet.localhost", "is not a Matrix user ID: write it as @name:prevnet.localhost"),
        (
            "@" + "a" * 300 + ":prevnet.localhost",
            "is not a Matrix user ID: write it as @name:prevnet.localhost",
        ),
    ],
)
def test_foreign_and_malformed_ids_are_refused_with_what_to_write(
    written: str, expected: str
) -> None:
    with pytest.raises(InvalidValue) as raised:
        check_member_id(written, SERVER)
    assert expected in str(raised.value)


def test_the_partner_file_names_the_line_of_a_foreign_member(
    territories: TerritoryRegistry,
) -> None:
    text = GOOD.replace("@bob:prevnet.example", "@bob:evil.example")
    with pytest.raises(DocumentErrors) as raised:
        parse_partner_file(text, territories, server_name="prevnet.example")
    (error,) = raised.value.errors
    assert error.line == GOOD.splitlines().index('  - matrix_id: "@bob:prevnet.example"') + 1
    assert error.message == (
        "@bob:evil.example is on another server; prevnet serves prevnet.example: "
        "use @bob:prevnet.example"
    )


def test_the_partner_file_lists_a_foreign_member_with_the_other_errors(
    territories: TerritoryRegistry,
) -> None:
    text = GOOD.replace("@alice:prevnet.example", "@alice:evil.example").replace(
        "kind: federal", "kind: galactic"
    )
    with pytest.raises(DocumentErrors) as raised:
        parse_partner_file(text, territories, server_name="prevnet.example")
    messages = [e.message for e in raised.value.errors]
    assert len(messages) == 2
    assert "unknown organisation kind 'galactic'" in messages[0]
    assert "@alice:evil.example is on another server" in messages[1]


def test_a_file_of_the_served_server_reads_as_before(territories: TerritoryRegistry) -> None:
    with_server = parse_partner_file(GOOD, territories, server_name="prevnet.example")
    assert with_server == parse_partner_file(GOOD, territories)
