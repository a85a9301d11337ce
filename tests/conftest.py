"""Shared pytest fixtures."""

import os
from collections.abc import Iterator

import pytest
from botapi import FakeBotApi
from databases import (  # noqa: F401  (fixtures, shared by every test module)
    TEST_DATABASE_URL,
    database,
    postgres_problem,
    postgres_url,
)

from bot.store import hide_password


@pytest.fixture
def botapi() -> Iterator[FakeBotApi]:
    """A fresh fake Bot API on 127.0.0.1, stopped after the test even if it failed."""
    server = FakeBotApi()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """One line, when PostgreSQL tests were skipped for want of a server."""
    in_ci = os.environ.get("CI", "").lower() == "true"  # then they failed, each saying why
    if postgres_problem.cache_info().currsize and postgres_problem() and not in_ci:
        terminalreporter.write_line(
            f"PostgreSQL tests skipped: no server at {hide_password(TEST_DATABASE_URL)} "
            f"({postgres_problem()}); set TEST_DATABASE_URL or start PostgreSQL"
        )
