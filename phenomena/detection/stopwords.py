"""Stop words of English, French, Dutch and German, and which language a report is written in.

A word is left out only in the language it is a stop word of: "door" is Dutch for "through"
but English for a door, "van" is Dutch for "of" but English for a van, "hat" is German for
"has". Lists are folded (``phenomena.text.fold``: lower case, no accents); their words under three
letters are there as evidence of the language only, since shorter words are always left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

LANGUAGES = ("en", "fr", "nl", "de")


def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOPWORDS: Mapping[str, frozenset[str]] = {
    "en": _listed(
        """
        the and for was were are but not you your yours his her hers she him has had have having
        its our ours who whom all any can could would should will with from that this these
        those been being into onto under over after before their theirs there them they then
        than which while about also some such very what when where why how did does doing off
        out per via yet nor may might must upon each both other only own same just because
        until during against between through above below again further once here more most few
        itself himself herself themselves one ago a an i in of to is on at it by as or be he we
        me my up so no if do
        """
    ),
    "fr": _listed(
        """
        les des une uns par sur aux est qui que quoi son ses pas ont ete etait etaient avait
        avaient avec dans pour sans sous chez leur leurs elle elles nous vous ils lui eux sont
        cette ces cet celui celle ceux entre apres avant pendant dont mais plus tres tout tous
        toute toutes aussi ainsi comme quand lors vers car donc puis ici deja encore alors mon
        ton notre votre nos vos etre avoir aupres selon contre depuis jusqu lequel laquelle
        lesquels quelque chaque autre autres meme ceci cela sera serait a de la le un et du en au
        il on ne se ce sa ma ta je tu y l d s n qu c j m t
        """
    ),
    "nl": _listed(
        """
        het een van met die dat aan als bij dan hij zij was wat wie waar zou nog ook voor zijn
        werd werden heeft hebben had deze door naar tussen niet maar over onder zonder wordt
        worden bijna omdat want toen tot uit hun haar hem ons onze jullie wij men kan kunnen
        moet moeten zal zullen geen iets alle alles dit daar hier toch reeds wel naast tegen
        tijdens sinds der mijn zich heb hoe waren veel meer doen ben dus eens altijd doch wil
        kon niets iemand geweest andere de en te op is in er ik je ze we om al nu zo of u
        """
    ),
    "de": _listed(
        """
        der die das und den dem des ein eine einer eines einem einen mit von auf aus bei ist
        war waren sie hat hatte haben wird werden wurde wurden oder nach durch sind auch noch
        schon unter ohne zwischen nicht aber als wie wenn dass sich ihr ihre ihm ihn ihnen
        sein seine seiner man nur vor zum zur bis gegen uber fur wir uns ich mir mich dir dich
        doch dann denn hier dort sehr kann konnen muss soll will alle alles diese dieser
        dieses jetzt wieder vom beim ins in zu im am es er so da du an ob
        """
    ),
}


def language_of(words: Iterable[str], fallback: str | None = None) -> str | None:
    """The language whose stop words a text uses most, or ``fallback`` when its words do not
    tell: no stop word, a tie, or a lead of a single word over ``fallback`` ("door forced" in an
    English stream is English, though "door" is a Dutch stop word)."""
    hits = Counter(
        language for word in words for language in LANGUAGES if word in STOPWORDS[language]
    )
    ranked = hits.most_common(2)
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return fallback
    top, count = ranked[0]
    if fallback is not None and top != fallback and count - hits[fallback] < 2:
        return fallback
    return top


def meaningful(words: Iterable[str], language: str | None) -> list[str]:
    """The words that can carry meaning: three letters or more, not a stop word of ``language``."""
    stop = STOPWORDS.get(language or "", frozenset())
    return [w for w in words if len(w) >= 3 and w not in stop]
