"""The words of the invitation and reset e-mails, in the four languages of prevnet's members."""

from __future__ import annotations

LANGUAGES = ("en", "fr", "nl", "de")

_TEXTS: dict[str, dict[str, str]] = {
    "subject_invite": {
        "en": "Your invitation to prevnet, the prevention partners' network",
        "fr": "Votre invitation à prevnet, le réseau des partenaires de la prévention",
        "nl": "Uw uitnodiging voor prevnet, het netwerk van de preventiepartners",
        "de": "Ihre Einladung zu prevnet, dem Netzwerk der Präventionspartner",
    },
    "subject_reset": {
        "en": "prevnet: choose a new password",
        "fr": "prevnet : choisissez un nouveau mot de passe",
        "nl": "prevnet: kies een nieuw wachtwoord",
        "de": "prevnet: wählen Sie ein neues Passwort",
    },
    "hello": {
        "en": "Hello {name},",
        "fr": "Bonjour {name},",
        "nl": "Beste {name},",
        "de": "Guten Tag {name},",
    },
    "what": {
        "en": "prevnet is the closed network where prevention services, police zones and "
        "regional and federal services share alerts about crime phenomena (a wave of "
        "burglaries, a scam going round) and talk about them. It runs on Matrix, an open chat "
        "standard; only invited members of partner organisations can join.",
        "fr": "prevnet est le réseau fermé où les services de prévention, les zones de police "
        "et les services régionaux et fédéraux partagent des alertes sur des phénomènes de "
        "criminalité (une vague de cambriolages, une arnaque qui circule) et en discutent. Il "
        "fonctionne sur Matrix, un standard ouvert de messagerie ; seuls les membres invités des "
        "organisations partenaires y ont accès.",
        "nl": "prevnet is het gesloten netwerk waar preventiediensten, politiezones en "
        "gewestelijke en federale diensten meldingen over criminele fenomenen delen (een golf "
        "van inbraken, een oplichtingstruc die de ronde doet) en erover overleggen. Het werkt op "
        "Matrix, een open chatstandaard; alleen uitgenodigde leden van partnerorganisaties "
        "hebben toegang.",
        "de": "prevnet ist das geschlossene Netzwerk, in dem Präventionsdienste, Polizeizonen "
        "sowie regionale und föderale Dienste Warnungen über Kriminalitätsphänomene teilen "
        "(eine Einbruchswelle, eine kursierende Betrugsmasche) und darüber sprechen. Es läuft "
        "auf Matrix, einem offenen Chat-Standard; nur eingeladene Mitglieder der "
        "Partnerorganisationen haben Zugang.",
    },
    "account": {
        "en": "Your account:",
        "fr": "Votre compte :",
        "nl": "Uw account:",
        "de": "Ihr Konto:",
    },
    "homeserver": {
        "en": "Homeserver",
        "fr": "Serveur d'accueil (homeserver)",
        "nl": "Thuisserver (homeserver)",
        "de": "Heimserver (Homeserver)",
    },
    "user_id": {
        "en": "Your Matrix ID",
        "fr": "Votre identifiant Matrix",
        "nl": "Uw Matrix-ID",
        "de": "Ihre Matrix-ID",
    },
    "clients": {
        "en": "Install a Matrix app: Element (https://element.io/download: web, Windows, macOS, "
        "Linux, iPhone, Android) is the one we recommend; FluffyChat also works. At login, "
        'choose "other homeserver", enter the address above, then your Matrix ID and the '
        "password you choose below.",
        "fr": "Installez une application Matrix : nous recommandons Element "
        "(https://element.io/download : web, Windows, macOS, Linux, iPhone, Android) ; "
        "FluffyChat convient aussi. À la connexion, choisissez « autre serveur », saisissez "
        "l'adresse ci-dessus, puis votre identifiant Matrix et le mot de passe choisi ci-dessous.",
        "nl": "Installeer een Matrix-app: wij raden Element aan (https://element.io/download: "
        "web, Windows, macOS, Linux, iPhone, Android); FluffyChat werkt ook. Kies bij het "
        'aanmelden "andere server", vul het adres hierboven in, dan uw Matrix-ID en het '
        "wachtwoord dat u hieronder kiest.",
        "de": "Installieren Sie eine Matrix-App: wir empfehlen Element "
        "(https://element.io/download: Web, Windows, macOS, Linux, iPhone, Android); "
        'FluffyChat geht auch. Wählen Sie bei der Anmeldung "anderer Server", geben Sie die '
        "Adresse oben ein, dann Ihre Matrix-ID und das Passwort, das Sie unten wählen.",
    },
    "choose": {
        "en": "Choose your password here (the link works once, for 72 hours):",
        "fr": "Choisissez votre mot de passe ici (le lien fonctionne une fois, pendant "
        "72 heures) :",
        "nl": "Kies hier uw wachtwoord (de link werkt één keer, 72 uur lang):",
        "de": "Wählen Sie hier Ihr Passwort (der Link funktioniert einmal, 72 Stunden lang):",
    },
    "reset": {
        "en": "A new password was asked for the prevnet account {user_id}. Choose it here "
        "(the link works once, for 72 hours):",
        "fr": "Un nouveau mot de passe a été demandé pour le compte prevnet {user_id}. "
        "Choisissez-le ici (le lien fonctionne une fois, pendant 72 heures) :",
        "nl": "Er werd een nieuw wachtwoord gevraagd voor de prevnet-account {user_id}. Kies "
        "het hier (de link werkt één keer, 72 uur lang):",
        "de": "Für das prevnet-Konto {user_id} wurde ein neues Passwort angefordert. Wählen "
        "Sie es hier (der Link funktioniert einmal, 72 Stunden lang):",
    },
    "not_you": {
        "en": "If you did not ask for this, ignore this e-mail: nothing changes.",
        "fr": "Si vous n'avez rien demandé, ignorez cet e-mail : rien ne change.",
        "nl": "Hebt u niets gevraagd, negeer dan deze e-mail: er verandert niets.",
        "de": "Wenn Sie nichts angefordert haben, ignorieren Sie diese E-Mail: nichts ändert sich.",
    },
    "never": {
        "en": "prevnet never sends a password by e-mail and never asks for yours.",
        "fr": "prevnet n'envoie jamais de mot de passe par e-mail et ne vous demande jamais le "
        "vôtre.",
        "nl": "prevnet stuurt nooit een wachtwoord per e-mail en vraagt nooit het uwe.",
        "de": "prevnet verschickt nie ein Passwort per E-Mail und fragt nie nach Ihrem.",
    },
}


def text(key: str, language: str, **values: str) -> str:
    """One sentence in ``language`` (English for a language prevnet does not write)."""
    forms = _TEXTS[key]
    return forms.get(language, forms["en"]).format(**values)
