"""The test-only seam that holds bulletins: off unless asked, demo only, bad values explained."""

from __future__ import annotations

import pytest

from prevnet.seams import HOLD_BULLETINS_AFTER, bulletin_hold
from prevnet.settings import SettingsError


def test_no_hold_unless_the_variable_is_set() -> None:
    assert bulletin_hold({}, demo=True) is None
    assert bulletin_hold({HOLD_BULLETINS_AFTER: " "}, demo=False) is None


def test_a_value_that_is_no_number_is_refused_with_what_to_do() -> None:
    with pytest.raises(SettingsError, match="is not a whole number of bulletins; unset it"):
        bulletin_hold({HOLD_BULLETINS_AFTER: "first"}, demo=True)


def test_a_network_that_is_not_the_demo_refuses_to_start_with_it() -> None:
    with pytest.raises(SettingsError, match="for tests of `prevnet up --demo` only; unset it"):
        bulletin_hold({HOLD_BULLETINS_AFTER: "1"}, demo=False)


async def test_the_first_bulletins_go_out() -> None:
    hold = bulletin_hold({HOLD_BULLETINS_AFTER: "2"}, demo=True)
    assert hold is not None
    await hold()
    await hold()  # the third would wait for ever: the kill-and-restart test relies on it
