"""The partner registry file: a good file, and every error of a bad one with its line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phenomena.errors import DocumentErrors
from phenomena.partners import OrganisationKind, Role, TerritoryKind, TerritoryRef
from phenomena.partners_file import parse_partner_file
from phenomena.territory import TerritoryRegistry

GOOD = """\
organisations:
  - key: zp-mons-quevy
    name: Zone de police Mons/Quévy
    kind: police-zone
    territories: [zone 5324]
  - key: pcs-mons
    name: PSSP Mons
    kind: commune prevention service
    territories: [Mons, "53084"]
  - key: spf-interieur
    name: SPF Intérieur
    kind: federal
    territories: belgium
  - key: prov-hainaut
    name: Province de Hainaut
    kind: province
    territories: [province Hainaut]
members:
  - matrix_id: "@alice:prevnet.example"
    name: Alice Dupont
    organisation: zp-mons-quevy
    roles: [author, moderator]
    email: alice@example.org
  - matrix_id: "@bob:prevnet.example"
    name: Bob Peeters
    organisation: pcs-mons
"""


def test_a_good_file(territories: TerritoryRegistry) -> None:
    doc = parse_partner_file(GOOD, territories)
    orgs = {o.key: o for o in doc.organisations}
    assert orgs["zp-mons-quevy"].kind is OrganisationKind.POLICE_ZONE
    assert orgs["zp-mons-quevy"].territories == (TerritoryRef(TerritoryKind.ZONE, "5324"),)
    assert orgs["pcs-mons"].kind is OrganisationKind.COMMUNE
    assert {t.key for t in orgs["pcs-mons"].territories} == {"53053", "53084"}
    assert orgs["spf-interieur"].territories == (TerritoryRef(TerritoryKind.COUNTRY, "be"),)
    assert orgs["prov-hainaut"].territories == (TerritoryRef(TerritoryKind.PROVINCE, "50000"),)
    alice, bob = doc.members
    assert alice.roles == {Role.MEMBER, Role.AUTHOR, Role.MODERATOR}
    assert alice.email == "alice@example.org"
    assert bob.roles == {Role.MEMBER}
    assert doc.lines["member:@bob:prevnet.example"] == 24


def test_every_error_with_its_line(territories: TerritoryRegistry) -> None:
    bad = """\
organisations:
  - key: Bad Key
    name: X
    kind: police
    territories: [Monss, zone 9999]
  - key: ok-org
    name: Ok
    kind: gang
  - key: ok-org
    name: Twice
    kind: other
members:
  - matrix_id: "alice"
    name: Alice
    organisation: ok-org
  - matrix_id: "@bob:x"
    name: Bob
    organisation: ok-org
    roles: [author, king]
    phone: 123
"""
    with pytest.raises(DocumentErrors) as caught:
        parse_partner_file(bad, territories)
    found = [(e.line, e.message.split(":")[0]) for e in caught.value.errors]
    lines = [line or 0 for line, _ in found]
    assert lines == sorted(lines)
    text = "\n".join(str(e) for e in caught.value.errors)
    assert "line 2: 'Bad Key' is not an organisation key" in text
    assert "line 5: unknown municipality 'Monss'. Did you mean: Mons (Bergen)" in text
    assert "line 5: unknown police zone '9999'" in text
    assert "line 8: unknown organisation kind 'gang'" in text
    assert "line 9: organisation 'ok-org' is listed twice" in text
    assert "line 13: 'alice' is not a Matrix user ID" in text
    assert "line 19: unknown role 'king'" in text
    assert "line 20: unknown field 'phone'" in text


def test_unquoted_matrix_id_gets_a_hint(territories: TerritoryRegistry) -> None:
    with pytest.raises(DocumentErrors) as caught:
        parse_partner_file("members:\n  - matrix_id: @alice:x\n", territories)
    (error,) = caught.value.errors
    assert error.line == 2
    assert "put Matrix IDs in quotes" in error.message


def test_empty_and_wrong_shapes(territories: TerritoryRegistry) -> None:
    for text, expected in [
        ("", "the file is empty"),
        ("- a\n- b\n", "should be a mapping"),
        ("teams: []\n", "unknown section 'teams'"),
        ("organisations: hello\n", "should be a list"),
    ]:
        with pytest.raises(DocumentErrors, match=expected):
            parse_partner_file(text, territories)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_registry_or_line_errors(
    territories: TerritoryRegistry, text: str
) -> None:
    try:
        parse_partner_file(text, territories)
    except DocumentErrors as exc:
        assert exc.errors
