"""Inline keyboards under the bot's replies, their callback data, and /start deep links.

Callback data is "<kind>:<payload>", at most 64 bytes (Telegram's limit), checked when a
button is built rather than discovered as a BadRequest from Telegram.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.answer.result import Hit

MAX_CALLBACK_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_START_PARAMETER = 64  # Telegram's limit for ?start=… and switch_pm_parameter
HELP_START_PARAMETER = "help"


class Button(StrEnum):
    """The kinds of callback button; the value is the callback data prefix."""

    SOURCE = "src"  # payload: fact id -> the original paragraph
    RELATED = "rel"  # payload: fact id -> up to three related answers
    THUMBS_UP = "up"  # payload: query id -> feedback +1
    THUMBS_DOWN = "down"  # payload: query id -> feedback -1
    SHOW = "show"  # payload: fact id -> that fact as an answer (a suggestion)
    EXAMPLE = "ex"  # payload: example key -> ask that example question
    NOTIFY = "bell"  # payload: query id of a miss -> tell the asker once it is answered


def callback_button(text: str, kind: Button, payload: str) -> InlineKeyboardButton:
    data = f"{kind.value}:{payload}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data {data!r} is over {MAX_CALLBACK_BYTES} bytes")
    return InlineKeyboardButton(text, callback_data=data)


def parse_callback(data: str) -> tuple[Button | None, str]:
    """(kind, payload) of a pressed button; kind is None for data this bot did not make."""
    prefix, _, payload = data.partition(":")
    try:
        return Button(prefix), payload
    except ValueError:
        return None, payload


def answer_keyboard(fact_id: str, query_id: str | None = None) -> InlineKeyboardMarkup:
    """Under an answer: source and related; 👍/👎 too when there is a logged query to rate."""
    rows = [
        [
            callback_button("📄 原文", Button.SOURCE, fact_id),
            callback_button("🔎 相关", Button.RELATED, fact_id),
        ]
    ]
    if query_id:
        rows.append(
            [
                callback_button("👍", Button.THUMBS_UP, query_id),
                callback_button("👎", Button.THUMBS_DOWN, query_id),
            ]
        )
    return InlineKeyboardMarkup(rows)


def suggestions_keyboard(
    hits: Sequence[Hit], query_id: str | None = None
) -> InlineKeyboardMarkup | None:
    """Under a "not found": one button per suggestion, showing that fact's answer; and 🔔
    when there is a logged question to be told about."""
    rows = [[callback_button(hit.label, Button.SHOW, hit.fact_id)] for hit in hits[:3]]
    if query_id:
        rows.append([callback_button("🔔 有答案时告诉我", Button.NOTIFY, query_id)])
    return InlineKeyboardMarkup(rows) if rows else None


def example_key(question: str) -> str:
    """A short, stable key for an example question, to put in callback data."""
    return hashlib.blake2b(question.encode(), digest_size=6).hexdigest()


def examples_keyboard(questions: Mapping[str, str]) -> InlineKeyboardMarkup | None:
    """Under /start: one button per example question (key -> question)."""
    if not questions:
        return None
    return InlineKeyboardMarkup(
        [[callback_button(q, Button.EXAMPLE, key)] for key, q in questions.items()]
    )


def ask_privately_keyboard(bot_username: str, question: str) -> InlineKeyboardMarkup:
    """Under a "not found" in a group: a link that opens the private chat with the question."""
    url = f"https://t.me/{bot_username}?start={start_parameter(question)}"
    return InlineKeyboardMarkup([[InlineKeyboardButton("💬 私聊问我", url=url)]])


def start_parameter(question: str) -> str:
    """A /start deep-link parameter carrying the question when it fits in 64 characters.

    The parameter allows only A-Z, a-z, 0-9, _ and -, hence URL-safe base64 after a "q".
    A question too long to carry gives HELP_START_PARAMETER: the chat opens, and the user
    asks again.
    """
    encoded = base64.urlsafe_b64encode(question.strip().encode()).decode().rstrip("=")
    parameter = "q" + encoded
    ok = question.strip() and len(parameter) <= MAX_START_PARAMETER
    return parameter if ok else HELP_START_PARAMETER


def question_from_start_parameter(parameter: str) -> str | None:
    """The question a deep link carries, or None (a plain /start, /start help, garbage)."""
    if not parameter.startswith("q") or len(parameter) > MAX_START_PARAMETER:
        return None
    encoded = parameter[1:]
    try:
        question = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return question.strip() or None
