"""``!useful A-12 yes|no``: a member says whether a bulletin helped; 👍/👎 on the bulletin say
the same (``bots.reactions``). Only members of an organisation that received the bulletin vote,
each for themselves; the answer goes to their direct chat, in their own language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bots.alert_desk import AlertDesk, UsefulnessLedger, asking_member
from bots.commands import Arguments, CommandRegistry, Context, Reply, UsageError
from bots.i18n import Labels
from bots.prefs_commands import NotifyChoices, own_labels
from phenomena.alert import Alert
from phenomena.errors import DomainError, InvalidValue, NotFound, PermissionDenied
from phenomena.partners import Member
from phenomena.taxonomy import PhenomenonType
from phenomena.usefulness import (
    COMMAND,
    WEEKS,
    WORDS,
    Tally,
    Vote,
    by_type,
    parse_vote,
    refusal,
)

USAGE = "useful A-12 yes|no"
_UNSEEN = "Not counted: there is no alert {ref} you can see; !alert list shows yours."
_NOT_RECEIVED = (
    "Not counted: your organisation did not receive {ref}'s bulletin, so whether it helped is "
    "for those who did to say."
)


async def cast(
    desk: AlertDesk,
    votes: UsefulnessLedger,
    member: Member,
    alert: Alert,
    useful: bool,
    source: str,
) -> bool | None:
    """Record ``member``'s vote on ``alert`` if their organisation received it (else
    PermissionDenied with the reason); returns their earlier word (None: their first)."""
    _, organisations = await desk.registry()
    delivered = (await desk.ledger.bulletins(alert.id)).keys()
    organisation = organisations.get(member.organisation)
    refused = refusal(alert, member, organisation, desk.territories, delivered)
    if refused is not None:
        raise PermissionDenied(refused)
    vote = Vote(alert.id, member.matrix_id, member.organisation, useful, source)
    return await votes.vote(vote)


def tally_line(say: Labels, tally: Tally) -> str:
    """'3 useful, 1 not useful' in the reader's language."""
    return say("{yes} useful, {no} not useful", yes=str(tally.yes), no=str(tally.no))


def register_useful_commands(
    registry: CommandRegistry, desk: AlertDesk, notify: NotifyChoices | None = None
) -> None:
    """Add ``!useful``; ``desk.usefulness`` keeps the votes, ``notify`` the members' language."""

    @registry.command(
        "useful",
        usage=USAGE,
        help="say whether a bulletin helped you (also 👍 or 👎 on it); votes show in !alert reach",
    )
    async def useful(context: Context, args: Arguments) -> Reply:
        member = asking_member(context)
        say = await own_labels(notify, member.matrix_id)
        votes = desk.usefulness
        if votes is None:
            return _private(say, say("Usefulness votes are not taken on this network."))
        if len(args.positional) != 2 or args.options:
            raise UsageError(f"write !{USAGE} ({WORDS}); you vote for yourself only")
        ref, word = args.positional
        try:
            answer = parse_vote(word)
        except InvalidValue as exc:
            raise UsageError(str(exc)) from None
        try:
            alert, _ = await desk.visible(ref, member)
        except NotFound:
            return _private(say, say(_UNSEEN, ref=ref))
        except DomainError as exc:  # a reference that is no reference
            return _private(say, say("Not counted: {reason}.", reason=str(exc)))
        try:
            before = await cast(desk, votes, member, alert, answer, COMMAND)
        except PermissionDenied:
            return _private(say, say(_NOT_RECEIVED, ref=alert.ref))
        if before is None:
            lead = say("Thank you: your vote on {ref} is counted.", ref=alert.ref)
        elif before == answer:
            lead = say("Your vote on {ref} was already that; nothing changed.", ref=alert.ref)
        else:
            lead = say("Your vote on {ref} is changed.", ref=alert.ref)
        mine = say("useful") if answer else say("not useful")
        lines = [
            lead,
            say("You said: {answer}.", answer=mine),
            say(
                "Votes on {ref} so far: {tally}.",
                ref=alert.ref,
                tally=tally_line(say, await votes.tally(alert.id)),
            ),
        ]
        return _private(say, "\n".join(lines))


def _private(say: Labels, text: str) -> Reply:
    return Reply(text, private=True, pointer=say("I answered you in our direct chat."))


async def alert_usefulness_line(desk: AlertDesk, alert: Alert) -> list[str]:
    """The line ``!alert reach A-12`` adds: the alert's yes and no votes (none without votes
    being taken)."""
    if desk.usefulness is None:
        return []
    tally = await desk.usefulness.tally(alert.id)
    return [f"Usefulness: {tally_line(Labels(['en']), tally)} ({tally.total} vote(s))."]


async def usefulness_by_type_reply(desk: AlertDesk) -> Reply:
    """``!alert reach`` alone: votes per phenomenon type on the last 12 weeks' alerts.

    Only counts, never an alert's text; RED and AMBER+STRICT alerts, which do not leave their
    zones, are left out so that not even their existence is told to another room.
    """
    if desk.usefulness is None:
        return Reply("Usefulness votes are not taken on this network.")
    now = desk.clock()
    tallies = await desk.usefulness.tallies_since(now - timedelta(weeks=WEEKS))
    async with desk.uow(None) as unit:
        alerts = [a for a in await unit.alerts.list() if a.id in tallies]
    shared = [a for a in alerts if a.content.tlp.leaves_the_zone]
    return Reply("\n".join(by_type_lines(Labels(["en"]), by_type(shared, tallies, now.date()))))


def by_type_lines(say: Labels, counts: Mapping[PhenomenonType, Tally]) -> list[str]:
    """The usefulness per phenomenon type, in the reader's language(s)."""
    lines = [say("Usefulness by phenomenon type, last {weeks} weeks:", weeks=str(WEEKS))]
    if not counts:
        lines.append(say("No votes yet (!useful A-12 yes|no, or 👍/👎 on a bulletin)."))
    for kind, tally in counts.items():
        names = kind.names
        name = " / ".join(dict.fromkeys(names.get(lang, names["en"]) for lang in say.languages))
        lines.append(f"- {name}: {tally_line(say, tally)}")
    return lines
