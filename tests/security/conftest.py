"""Fixtures of the security tests: the Matrix tests' network (its own room directory)."""

from tests.matrix.conftest import network, room_db  # noqa: F401 - fixtures used here too
