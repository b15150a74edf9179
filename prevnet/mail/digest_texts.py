"""The few sentences only digest e-mails say, in the four languages of prevnet's members.

Kept apart from ``mail_texts`` (bulletins) so the digest adds no sentence to a bulletin's file.
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "amber": {
        "en": "{tlp}: its text stays in Matrix",
        "fr": "{tlp} : son texte reste dans Matrix",
        "nl": "{tlp}: de tekst blijft in Matrix",
        "de": "{tlp}: ihr Text bleibt in Matrix",
    },
    "chart": {
        "en": "Alerts by type and week",
        "fr": "Alertes par type et par semaine",
        "nl": "Meldingen per type en per week",
        "de": "Warnungen nach Art und Woche",
    },
    "why": {
        "en": "You receive this because you chose the weekly digest by e-mail in prevnet.",
        "fr": "Vous recevez ceci parce que vous avez choisi le résumé hebdomadaire par e-mail "
        "dans prevnet.",
        "nl": "U ontvangt dit omdat u in prevnet het wekelijkse overzicht per e-mail koos.",
        "de": "Sie erhalten dies, weil Sie in prevnet die Wochenübersicht per E-Mail gewählt "
        "haben.",
    },
    "unsubscribe": {
        "en": "Stop e-mails from prevnet",
        "fr": "Ne plus recevoir d'e-mails de prevnet",
        "nl": "Geen e-mails meer van prevnet",
        "de": "Keine E-Mails mehr von prevnet",
    },
}


def digest_text(key: str, language: str, **values: str) -> str:
    """One sentence in ``language`` (English for a language prevnet does not have)."""
    texts = _TEXTS[key]
    return texts.get(language, texts["en"]).format(**values)
