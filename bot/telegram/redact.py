"""Logging that never shows the bot token.

The Bot API puts the token in every request URL, and httpx logs those URLs at INFO. So the
httpx loggers are turned down to WARNING and, as a safety net for everything else (an
exception message quoting a URL, a debug line), a filter on the log handlers replaces the
token, and the webhook secret, with "[REDACTED]" in every record.
"""

from __future__ import annotations

import logging

REDACTED = "[REDACTED]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx logs request URLs, token included; jieba logs its dictionary loading at DEBUG
CHATTY_LOGGERS = ("httpx", "httpcore", "jieba")


class SecretRedactingFilter(logging.Filter):
    """Rewrites a record's message and traceback text with every secret replaced."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def add(self, secret: str) -> None:
        if secret:
            self._secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # The formatter reuses exc_text when it is set, so redacting it here is enough.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(token: str, level: int = logging.INFO) -> SecretRedactingFilter:
    """Log to stderr with the token redacted; returns the filter, to add more secrets."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redactor = SecretRedactingFilter(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return redactor
