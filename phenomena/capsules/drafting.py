"""Draft a capsule per language from a published CLEAR or GREEN alert, its advice as the one tip.

The wording is the phenomenon type's templates (``wording``); the alert gives the advice and the
type, the commune its name and prevention page. Every part is cut to its limit at a word
boundary, the tip first, so the link to the prevention page is never cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from phenomena.alert import Alert
from phenomena.capsules.capsule import PUBLIC_TLPS, Capsule, CapsuleRefused, Part, fit
from phenomena.capsules.said import said
from phenomena.capsules.wording import Wording, check_language
from phenomena.errors import InvalidValue
from phenomena.territory import Language, Municipality

MAX_LINK = 200
_SHORTEST_TIP = 20  # below this, a cut tip says nothing
_LINK = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def check_public(alert: Alert) -> None:
    """Refuse, with the reason and what to do, an alert that may not reach residents."""
    tlp = alert.content.tlp
    if tlp not in PUBLIC_TLPS:
        raise said(
            CapsuleRefused,
            "{ref} is {tlp}: capsules go to residents, so only TLP:CLEAR and TLP:GREEN alerts "
            "can become one. Ask its author for a GREEN version without the restricted "
            "details, or keep it among partners",
            ref=alert.ref,
            tlp=tlp.label,
        )
    if not alert.status.is_open:
        raise said(
            CapsuleRefused,
            "{ref} is {status}: capsules follow current, published alerts; draft one from an "
            "alert that is published",
            ref=alert.ref,
            status=alert.status.value,
        )


def check_link(link: str) -> str:
    """The prevention page's address, which must be a web address residents can open."""
    value = link.strip()
    if not _LINK.fullmatch(value) or len(value) > MAX_LINK:
        raise said(
            InvalidValue,
            "{link} is not a prevention page address: give the commune's page as https://... "
            "(at most {most} characters)",
            link=repr(link),
            most=MAX_LINK,
        )
    return value


def languages_of(municipality: Municipality) -> tuple[str, ...]:
    """The languages capsules for a municipality are written in: its official ones."""
    return tuple(language.value for language in municipality.languages) or ("fr",)


def names_of(municipality: Municipality) -> dict[str, str]:
    """The municipality's name in each capsule language (its own name where it has no other)."""
    return {
        "fr": municipality.name_fr,
        "nl": municipality.name_nl,
        "de": municipality.name_de or municipality.own_name,
        "en": municipality.own_name,
    }


def draft_capsules(
    alert: Alert,
    *,
    commune: str | Mapping[str, str],
    prevention_url: str,
    languages: Sequence[str | Language],
    advice: Mapping[str, str] | None = None,
) -> tuple[Capsule, ...]:
    """One capsule per language (in the order given), or ``CapsuleRefused`` for a non-public alert.

    ``commune`` is its name, or its name per language code (``names_of`` builds one). An alert
    has its advice in one language: ``advice`` gives it in others (by language code), and the
    posts are built around that instead.
    """
    check_public(alert)
    link = check_link(prevention_url)
    codes = [check_language(x.value if isinstance(x, Language) else x) for x in languages]
    if not codes:
        raise InvalidValue("no language to write the capsule in: give the area's languages")
    capsules = []
    for code in dict.fromkeys(codes):
        name = commune if isinstance(commune, str) else _name_in(commune, code)
        tip = (advice or {}).get(code)
        capsules.append(draft_capsule(alert, commune=name, link=link, language=code, advice=tip))
    return tuple(capsules)


def _name_in(names: Mapping[str, str], language: str) -> str:
    name = names.get(language) or next((n for n in names.values() if n), None)
    if not name:
        raise InvalidValue("the commune has no name: give its name to draft a capsule")
    return name


def draft_capsule(
    alert: Alert, *, commune: str, link: str, language: str, advice: str | None = None
) -> Capsule:
    """The capsule of one language (its tip ``advice``, else the alert's); the caller has checked
    that the alert is public."""
    words = Wording(language)
    kind = alert.content.type
    commune = " ".join(commune.split())
    advice = " ".join((advice or alert.content.advice or "").split())
    lead = words.of(kind, "lead", commune=commune)
    more = words("more", commune=commune, link=link)
    short_head = fit(f"{lead} {advice}".strip(), Part.SHORT.limit - len(link) - 1)
    return Capsule(
        alert_ref=alert.ref,
        kind=kind,
        tlp=alert.content.tlp,
        language=language,
        commune=commune,
        link=link,
        title=fit(words.of(kind, "title"), Part.TITLE.limit),
        tip=fit(advice, Part.TIP.limit),
        short=f"{short_head} {link}",
        long=_long_post(words, lead, advice, more),
        hashtags=fit(
            _hashtags(words, kind_tag=words.of(kind, "hashtag"), commune=commune),
            Part.HASHTAGS.limit,
        ),
    )


def _long_post(words: Wording, lead: str, advice: str, more: str) -> str:
    """Lead, the tip, whom to call, where to read more: the tip cut if the whole is too long."""
    contact = words("contact")
    intro = words("tip-intro")
    fixed = [lead, intro, contact, more]
    room = Part.LONG.limit - sum(len(x) for x in fixed) - 3 * len("\n\n") - len(" ")
    tip = f"{intro} {fit(advice, room)}" if advice and room >= _SHORTEST_TIP else ""
    paragraphs = [p for p in (lead, tip, contact, more) if p]
    text = "\n\n".join(paragraphs)
    if len(text) <= Part.LONG.limit:
        return text
    return fit(text, Part.LONG.limit)  # a lead so long that even without the tip it does not fit


def _hashtags(words: Wording, kind_tag: str, commune: str) -> str:
    place = "#" + "".join(part[:1].upper() + part[1:] for part in re.findall(r"[^\W_]+", commune))
    tags = [words("hashtag-prevention"), kind_tag]
    if len(place) > 1:
        tags.append(place)
    return " ".join(dict.fromkeys(tags))
