"""The few sentences only e-mails say, in the four languages of prevnet's members.

The labels bulletins share with chat (Area, Period, UPDATED...) come from the gettext catalogues
of ``bots/locale``; these are kept here so the mail adapter does not grow the chat catalogues.
"""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "open": {
        "en": "Open it in Matrix",
        "fr": "L'ouvrir dans Matrix",
        "nl": "Openen in Matrix",
        "de": "In Matrix öffnen",
    },
    "amber": {
        "en": "This alert is {tlp}: its text stays in Matrix. Open it there to read it.",
        "fr": "Cette alerte est {tlp} : son texte reste dans Matrix. Ouvrez-la là pour la lire.",
        "nl": "Deze melding is {tlp}: de tekst blijft in Matrix. Open ze daar om ze te lezen.",
        "de": "Diese Warnung ist {tlp}: ihr Text bleibt in Matrix. Öffnen Sie sie dort.",
    },
    "reply": {
        "en": "Reply to this e-mail to answer in the alert's thread.",
        "fr": "Répondez à cet e-mail pour répondre dans le fil de l'alerte.",
        "nl": "Beantwoord deze e-mail om te reageren in de draad van de melding.",
        "de": "Antworten Sie auf diese E-Mail, um im Thread der Warnung zu antworten.",
    },
    "reply_in_matrix": {
        "en": "E-mailed replies are not taken for this alert: answer in its thread in Matrix.",
        "fr": "Les réponses par e-mail ne sont pas reçues pour cette alerte : répondez dans son "
        "fil dans Matrix.",
        "nl": "Antwoorden per e-mail worden voor deze melding niet aanvaard: reageer in de draad "
        "in Matrix.",
        "de": "Antworten per E-Mail werden für diese Warnung nicht angenommen: antworten Sie im "
        "Thread in Matrix.",
    },
    "ack": {
        "en": "Tell the author your organisation has seen it",
        "fr": "Signaler à l'auteur que votre organisation l'a vue",
        "nl": "Laat de auteur weten dat uw organisatie ze gezien heeft",
        "de": "Dem Verfasser melden, dass Ihre Organisation sie gesehen hat",
    },
    "unsubscribe": {
        "en": "Stop bulletins by e-mail",
        "fr": "Ne plus recevoir les bulletins par e-mail",
        "nl": "Geen bulletins meer per e-mail",
        "de": "Keine Bulletins mehr per E-Mail",
    },
    "why": {
        "en": "You receive this because you chose bulletins by e-mail in prevnet.",
        "fr": "Vous recevez ceci parce que vous avez choisi les bulletins par e-mail dans prevnet.",
        "nl": "U ontvangt dit omdat u in prevnet bulletins per e-mail koos.",
        "de": "Sie erhalten dies, weil Sie in prevnet Bulletins per E-Mail gewählt haben.",
    },
}


def mail_text(key: str, language: str, **values: str) -> str:
    """One sentence in ``language`` (English for a language prevnet does not have)."""
    texts = _TEXTS[key]
    return texts.get(language, texts["en"]).format(**values)
