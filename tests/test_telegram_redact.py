"""The bot token never reaches a log line (the subprocess test checks a real run's stderr)."""

from __future__ import annotations

import io
import logging

import pytest

from bot.telegram.redact import REDACTED, SecretRedactingFilter, configure_logging

TOKEN = "123456:ABC-secret-token"


@pytest.fixture
def logged() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretRedactingFilter(TOKEN))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_token_in_message_and_arguments_is_redacted(logged):
    logger, stream = logged
    logger.info("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    logger.warning(f"plain {TOKEN}")
    output = stream.getvalue()
    assert TOKEN not in output
    assert output.count(REDACTED) == 2
    assert "/sendMessage" in output


def test_token_in_a_traceback_is_redacted(logged):
    logger, stream = logged
    try:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("failed")
    assert TOKEN not in stream.getvalue()
    assert "RuntimeError" in stream.getvalue()


def test_other_records_are_untouched(logged):
    logger, stream = logged
    logger.info("%d questions", 3)
    assert stream.getvalue() == "3 questions\n"


def test_configure_logging_quiets_httpx_and_filters_the_root_handlers():
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = []
    try:
        redactor = configure_logging(TOKEN)
        redactor.add("webhook-secret")
        assert logging.getLogger("httpx").level == logging.WARNING
        assert logging.getLogger("httpcore").level == logging.WARNING
        assert all(redactor in handler.filters for handler in root.handlers)
        record = logging.LogRecord(
            "x", logging.INFO, "", 0, "%s %s", (TOKEN, "webhook-secret"), None
        )
        redactor.filter(record)
        assert record.getMessage() == f"{REDACTED} {REDACTED}"
    finally:
        root.handlers = saved_handlers
        root.setLevel(saved_level)
