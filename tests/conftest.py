"""Shared pytest fixtures."""

from collections.abc import Iterator

import pytest
from botapi import FakeBotApi


@pytest.fixture
def botapi() -> Iterator[FakeBotApi]:
    """A fresh fake Bot API on 127.0.0.1, stopped after the test even if it failed."""
    server = FakeBotApi()
    server.start()
    try:
        yield server
    finally:
        server.stop()
