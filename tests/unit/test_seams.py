"""The test-only seam that holds bulletins: off unless asked, and a bad value says what to do."""

from __future__ import annotations

import pytest

from prevnet.seams import HOLD_BULLETINS_AFTER, bulletin_hold


def test_no_hold_unless_the_variable_is_set() -> None:
    assert bulletin_hold({}) is None
    assert bulletin_hold({HOLD_BULLETINS_AFTER: " "}) is None


def test_a_value_that_is_no_number_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="is not a whole number of bulletins; unset it"):
        bulletin_hold({HOLD_BULLETINS_AFTER: "first"})


async def test_the_first_bulletins_go_out() -> None:
    hold = bulletin_hold({HOLD_BULLETINS_AFTER: "2"})
    assert hold is not None
    await hold()
    await hold()  # the third would wait for ever: the kill-and-restart test relies on it
