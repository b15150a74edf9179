"""How a capsule reads in chat and on the command line: each language's parts, the screen's
findings, and where it stands, said in the reader's language (``bots.capsule_words``)."""

from __future__ import annotations

from collections.abc import Sequence

from bots.capsule_words import say
from bots.commands import Reply
from phenomena.capsules.capsule import Part
from phenomena.capsules.said import Said, says
from phenomena.capsules.screen import screen_capsule
from phenomena.capsules.service import CapsuleRecord, CapsuleState


def render(record: CapsuleRecord, headline: Said | str, languages: Sequence[str] = ()) -> Reply:
    """The capsule as its drafter and approvers read it: each language, then the findings.

    The findings are the screen's on the text as it is now, so they are said in the reader's
    language (the stored ones, in English, are the record of what was screened).
    """
    lines = [say(languages, headline), ""]
    for capsule in record.capsules:
        lines.append(f"[{capsule.language}] {capsule.commune} ({capsule.alert_ref})")
        for part in Part:
            lines.append(f"  {part.value}: {capsule.part(part)}")
        found = screen_capsule(capsule)
        if found:
            lines.append(
                "  " + say(languages, says("Screen, {count} to look at:", count=len(found)))
            )
            lines += [f"   - {say(languages, finding.said())}" for finding in found]
        else:
            lines.append("  " + say(languages, says("Screen: nothing found.")))
        lines.append("")
    return Reply("\n".join(lines).rstrip(), private=True)


def state_line(record: CapsuleRecord) -> Said:
    """Where the capsule stands and what comes next."""
    match record.state:
        case CapsuleState.DRAFT:
            return says(
                "{ref} is a draft: a second person (a commune prevention service of its zone, "
                "or a moderator) approves it with !capsule approve {ref}",
                ref=record.ref,
            )
        case CapsuleState.WAITING:
            return says(
                "{ref} is approved and waits: the commune's capsules for this week are out; it "
                "goes out next week, in the order approved",
                ref=record.ref,
            )
        case CapsuleState.PUBLISHED:
            return says(
                "{ref} is published ({week}): zone room, feed and coordinators",
                ref=record.ref,
                week=record.week or "",
            )
        case CapsuleState.APPROVED:
            return says("{ref} is approved", ref=record.ref)
