"""The words of the set-password and forgotten-password pages, in prevnet's four languages."""

from __future__ import annotations

LANGUAGES = ("en", "fr", "nl", "de")

_TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Choose your prevnet password",
        "fr": "Choisissez votre mot de passe prevnet",
        "nl": "Kies uw prevnet-wachtwoord",
        "de": "Wählen Sie Ihr prevnet-Passwort",
    },
    "for": {
        "en": "For the account {user_id}.",
        "fr": "Pour le compte {user_id}.",
        "nl": "Voor de account {user_id}.",
        "de": "Für das Konto {user_id}.",
    },
    "rule": {
        "en": "At least 12 characters, and not your user name. A sentence of a few words is "
        "easy to remember and hard to guess.",
        "fr": "Au moins 12 caractères, et pas votre nom d'utilisateur. Une phrase de quelques "
        "mots se retient facilement et se devine difficilement.",
        "nl": "Minstens 12 tekens, en niet uw gebruikersnaam. Een zin van enkele woorden is "
        "makkelijk te onthouden en moeilijk te raden.",
        "de": "Mindestens 12 Zeichen und nicht Ihr Benutzername. Ein Satz aus einigen Wörtern "
        "ist leicht zu merken und schwer zu erraten.",
    },
    "password": {"en": "Password", "fr": "Mot de passe", "nl": "Wachtwoord", "de": "Passwort"},
    "again": {
        "en": "The same again",
        "fr": "Encore une fois",
        "nl": "Nogmaals",
        "de": "Noch einmal",
    },
    "save": {"en": "Set password", "fr": "Enregistrer", "nl": "Opslaan", "de": "Speichern"},
    "too_short": {
        "en": "This password is shorter than 12 characters: choose a longer one.",
        "fr": "Ce mot de passe fait moins de 12 caractères : choisissez-en un plus long.",
        "nl": "Dit wachtwoord is korter dan 12 tekens: kies een langer.",
        "de": "Dieses Passwort ist kürzer als 12 Zeichen: wählen Sie ein längeres.",
    },
    "too_long": {
        "en": "This password is longer than 512 characters: choose a shorter one.",
        "fr": "Ce mot de passe dépasse 512 caractères : choisissez-en un plus court.",
        "nl": "Dit wachtwoord is langer dan 512 tekens: kies een korter.",
        "de": "Dieses Passwort ist länger als 512 Zeichen: wählen Sie ein kürzeres.",
    },
    "has_name": {
        "en": "The password contains your user name: choose one without it.",
        "fr": "Le mot de passe contient votre nom d'utilisateur : choisissez-en un sans.",
        "nl": "Het wachtwoord bevat uw gebruikersnaam: kies er een zonder.",
        "de": "Das Passwort enthält Ihren Benutzernamen: wählen Sie eines ohne ihn.",
    },
    "mismatch": {
        "en": "The two passwords differ: type the same one twice.",
        "fr": "Les deux mots de passe diffèrent : tapez deux fois le même.",
        "nl": "De twee wachtwoorden verschillen: typ twee keer hetzelfde.",
        "de": "Die beiden Passwörter unterscheiden sich: geben Sie zweimal dasselbe ein.",
    },
    "done": {
        "en": "Your password is set. Log in with Element (or another Matrix app): homeserver "
        "{homeserver}, user {user_id}.",
        "fr": "Votre mot de passe est enregistré. Connectez-vous avec Element (ou une autre "
        "application Matrix) : serveur {homeserver}, utilisateur {user_id}.",
        "nl": "Uw wachtwoord is ingesteld. Meld u aan met Element (of een andere Matrix-app): "
        "server {homeserver}, gebruiker {user_id}.",
        "de": "Ihr Passwort ist gespeichert. Melden Sie sich mit Element (oder einer anderen "
        "Matrix-App) an: Server {homeserver}, Benutzer {user_id}.",
    },
    "invalid": {
        "en": "This link is not valid: it may be cut short or changed. Copy the whole link "
        "from the e-mail, or ask for a new one.",
        "fr": "Ce lien n'est pas valide : il est peut-être incomplet ou modifié. Copiez le lien "
        "entier depuis l'e-mail, ou demandez-en un nouveau.",
        "nl": "Deze link is niet geldig: hij is misschien onvolledig of gewijzigd. Kopieer de "
        "hele link uit de e-mail, of vraag een nieuwe.",
        "de": "Dieser Link ist ungültig: er ist vielleicht unvollständig oder verändert. "
        "Kopieren Sie den ganzen Link aus der E-Mail oder fordern Sie einen neuen an.",
    },
    "expired": {
        "en": "This link has expired: links work for 72 hours. Ask for a new one.",
        "fr": "Ce lien a expiré : les liens fonctionnent 72 heures. Demandez-en un nouveau.",
        "nl": "Deze link is verlopen: links werken 72 uur. Vraag een nieuwe.",
        "de": "Dieser Link ist abgelaufen: Links gelten 72 Stunden. Fordern Sie einen neuen an.",
    },
    "used": {
        "en": "This link has already been used: a password was chosen with it. If you do not "
        "know it, ask for a new link.",
        "fr": "Ce lien a déjà servi : un mot de passe a été choisi avec lui. Si vous ne le "
        "connaissez pas, demandez un nouveau lien.",
        "nl": "Deze link werd al gebruikt: er werd een wachtwoord mee gekozen. Kent u het "
        "niet, vraag dan een nieuwe link.",
        "de": "Dieser Link wurde schon benutzt: damit wurde ein Passwort gewählt. Wenn Sie es "
        "nicht kennen, fordern Sie einen neuen Link an.",
    },
    "replaced": {
        "en": "A newer link was sent to you since: use the latest e-mail, or ask for a new link.",
        "fr": "Un lien plus récent vous a été envoyé depuis : utilisez le dernier e-mail, ou "
        "demandez un nouveau lien.",
        "nl": "Sindsdien werd u een nieuwere link gestuurd: gebruik de laatste e-mail, of "
        "vraag een nieuwe link.",
        "de": "Seitdem wurde Ihnen ein neuerer Link geschickt: nutzen Sie die letzte E-Mail "
        "oder fordern Sie einen neuen Link an.",
    },
    "inactive": {
        "en": "This account is not active: ask an administrator of your organisation.",
        "fr": "Ce compte n'est pas actif : adressez-vous à un administrateur de votre "
        "organisation.",
        "nl": "Deze account is niet actief: vraag het aan een beheerder van uw organisatie.",
        "de": "Dieses Konto ist nicht aktiv: wenden Sie sich an einen Administrator Ihrer "
        "Organisation.",
    },
    "csrf": {
        "en": "This form has expired or did not come from this page: reload the page and try "
        "again.",
        "fr": "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et "
        "réessayez.",
        "nl": "Dit formulier is verlopen of kwam niet van deze pagina: laad de pagina opnieuw "
        "en probeer het nog eens.",
        "de": "Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite: laden Sie die "
        "Seite neu und versuchen Sie es noch einmal.",
    },
    "slow_down": {
        "en": "Too many attempts: wait {minutes} minutes, then try again.",
        "fr": "Trop de tentatives : attendez {minutes} minutes, puis réessayez.",
        "nl": "Te veel pogingen: wacht {minutes} minuten en probeer het dan opnieuw.",
        "de": "Zu viele Versuche: warten Sie {minutes} Minuten und versuchen Sie es dann erneut.",
    },
    "unsure": {
        "en": "The homeserver did not answer in time: your password may have been saved. Try "
        "logging in with it; if that does not work, ask for a new link.",
        "fr": "Le serveur n'a pas répondu à temps : votre mot de passe a peut-être été "
        "enregistré. Essayez de vous connecter avec lui ; sinon, demandez un nouveau lien.",
        "nl": "De server antwoordde niet op tijd: uw wachtwoord is misschien opgeslagen. Probeer "
        "ermee in te loggen; lukt dat niet, vraag dan een nieuwe link.",
        "de": "Der Server hat nicht rechtzeitig geantwortet: Ihr Passwort wurde vielleicht "
        "gespeichert. Versuchen Sie, sich damit anzumelden; sonst fordern Sie einen neuen Link an.",
    },
    "failed": {
        "en": "The password could not be set just now; the link still works. Try again in a "
        "few minutes.",
        "fr": "Le mot de passe n'a pas pu être enregistré pour l'instant ; le lien fonctionne "
        "toujours. Réessayez dans quelques minutes.",
        "nl": "Het wachtwoord kon nu niet worden ingesteld; de link werkt nog. Probeer het over "
        "enkele minuten opnieuw.",
        "de": "Das Passwort konnte gerade nicht gespeichert werden; der Link gilt weiter. "
        "Versuchen Sie es in einigen Minuten erneut.",
    },
    "forgot_title": {
        "en": "Forgotten password",
        "fr": "Mot de passe oublié",
        "nl": "Wachtwoord vergeten",
        "de": "Passwort vergessen",
    },
    "forgot_ask": {
        "en": "Give the e-mail address registered for your prevnet account: a link to choose a "
        "new password is sent there.",
        "fr": "Indiquez l'adresse e-mail enregistrée pour votre compte prevnet : un lien pour "
        "choisir un nouveau mot de passe y sera envoyé.",
        "nl": "Geef het e-mailadres dat voor uw prevnet-account geregistreerd is: er wordt een "
        "link naartoe gestuurd om een nieuw wachtwoord te kiezen.",
        "de": "Geben Sie die für Ihr prevnet-Konto registrierte E-Mail-Adresse an: dorthin wird "
        "ein Link geschickt, um ein neues Passwort zu wählen.",
    },
    "address": {
        "en": "E-mail address",
        "fr": "Adresse e-mail",
        "nl": "E-mailadres",
        "de": "E-Mail-Adresse",
    },
    "send": {
        "en": "Send me a link",
        "fr": "M'envoyer un lien",
        "nl": "Stuur mij een link",
        "de": "Link senden",
    },
    "forgot_sent": {
        "en": "If this address belongs to a prevnet account, a link is on its way to it. It "
        "works once, for 72 hours. Nothing arrived? Ask an administrator of your organisation.",
        "fr": "Si cette adresse appartient à un compte prevnet, un lien est en route vers elle. "
        "Il fonctionne une fois, pendant 72 heures. Rien reçu ? Adressez-vous à un "
        "administrateur de votre organisation.",
        "nl": "Als dit adres bij een prevnet-account hoort, is er een link naar onderweg. Hij "
        "werkt één keer, 72 uur lang. Niets ontvangen? Vraag het aan een beheerder van uw "
        "organisatie.",
        "de": "Wenn diese Adresse zu einem prevnet-Konto gehört, ist ein Link dorthin "
        "unterwegs. Er gilt einmal, 72 Stunden lang. Nichts erhalten? Wenden Sie sich an einen "
        "Administrator Ihrer Organisation.",
    },
    "ask_new": {
        "en": "Ask for a new link",
        "fr": "Demander un nouveau lien",
        "nl": "Een nieuwe link vragen",
        "de": "Einen neuen Link anfordern",
    },
}


def say(key: str, language: str, **values: str) -> str:
    """One sentence of the pages in ``language`` (English for any other)."""
    forms = _TEXTS[key]
    return forms.get(language, forms["en"]).format(**values)
