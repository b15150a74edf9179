"""A reconciliation that finds thousands of foreign accounts still fits in one #admin message:
the details beyond a bound are counted, with where to see them all."""

from __future__ import annotations

from bots.bulletin_size import MAX_EVENT_BYTES
from bots.reconcile_report import ReconcileReport
from prevnet.up import ADMIN_LINES


def test_thousands_of_foreign_accounts_are_counted_beyond_the_bound() -> None:
    report = ReconcileReport(
        unknown_accounts=[f"@visitor-{n:05d}:prevnet.example.be" for n in range(5000)]
    )
    text = report.summary(ADMIN_LINES)
    lines = text.splitlines()
    assert len(lines) == ADMIN_LINES + 2
    assert "@visitor-00000:prevnet.example.be" in text
    assert "@visitor-04999:prevnet.example.be" not in text
    assert (
        lines[-1]
        == f"… and {5000 - ADMIN_LINES} more line(s): run `prevnet reconcile` to see them all"
    )
    assert len(text.encode()) * 2 < MAX_EVENT_BYTES  # room for encryption's base64 and JSON


def test_without_a_bound_everything_is_listed() -> None:
    report = ReconcileReport(unknown_accounts=[f"@v{n}:x" for n in range(300)])
    assert "@v299:x" in report.summary()
    assert "more line(s)" not in report.summary(ADMIN_LINES + 300)
