"""Inline keyboards: which buttons appear, and callback data within Telegram's 64 bytes."""

from __future__ import annotations

import re

import pytest

from bot.answer.result import Hit
from bot.facts.model import Source
from bot.telegram import keyboards
from bot.telegram.keyboards import Button

LONGEST_FACT_ID = "f" * 16  # the engine's fact ids are at most 16 ASCII characters
QUERY_ID = "0123456789abcdef"  # QueryLog ids are 16 hex characters


def callback_data(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]


def hit(fact_id: str, label: str = "伟力得") -> Hit:
    return Hit(fact_id, "答案", label, Source(file="a.txt", title="标题"), 70.0)


def test_answer_keyboard_has_source_related_and_feedback():
    markup = keyboards.answer_keyboard(LONGEST_FACT_ID, QUERY_ID)
    texts = [b.text for row in markup.inline_keyboard for b in row]
    assert texts == ["📄 原文", "🔎 相关", "👍", "👎"]
    assert callback_data(markup) == [
        f"src:{LONGEST_FACT_ID}",
        f"rel:{LONGEST_FACT_ID}",
        f"up:{QUERY_ID}",
        f"down:{QUERY_ID}",
    ]
    assert all(len(d.encode()) <= 64 for d in callback_data(markup))


def test_without_a_logged_query_there_is_nothing_to_rate():
    markup = keyboards.answer_keyboard("a1")
    assert [b.text for row in markup.inline_keyboard for b in row] == ["📄 原文", "🔎 相关"]


def test_callback_data_over_64_bytes_is_refused_when_building():
    with pytest.raises(ValueError, match="64 bytes"):
        keyboards.answer_keyboard("x" * 61)
    with pytest.raises(ValueError):
        keyboards.callback_button("中文", Button.EXAMPLE, "长" * 21)  # 3 + 63 bytes


def test_suggestions_are_at_most_three_buttons_showing_their_fact():
    hits = [hit(f"id{i}", f"建议{i}") for i in range(5)]
    markup = keyboards.suggestions_keyboard(hits)
    assert [row[0].text for row in markup.inline_keyboard] == ["建议0", "建议1", "建议2"]
    assert callback_data(markup) == ["show:id0", "show:id1", "show:id2"]
    assert keyboards.suggestions_keyboard([]) is None


def test_examples_carry_a_short_key_not_the_question():
    question = "乐山晶硅光伏产业2023年产值是多少？这个问题很长很长很长"
    key = keyboards.example_key(question)
    markup = keyboards.examples_keyboard({key: question})
    assert markup.inline_keyboard[0][0].text == question
    assert callback_data(markup) == [f"ex:{key}"]
    assert keyboards.example_key(question) == key  # stable across calls and restarts


def test_parse_callback_round_trip_and_foreign_data():
    assert keyboards.parse_callback("rel:abc") == (Button.RELATED, "abc")
    assert keyboards.parse_callback("up:q:1") == (Button.THUMBS_UP, "q:1")
    assert keyboards.parse_callback("nonsense") == (None, "")


def test_start_parameter_carries_a_short_question():
    parameter = keyboards.start_parameter("伟力得的总部在哪里？")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", parameter)
    assert keyboards.question_from_start_parameter(parameter) == "伟力得的总部在哪里？"


def test_start_parameter_falls_back_to_help_for_long_questions():
    assert keyboards.start_parameter("长" * 40) == keyboards.HELP_START_PARAMETER
    assert keyboards.question_from_start_parameter("help") is None
    assert keyboards.question_from_start_parameter("q!!!") is None


def test_ask_privately_is_a_url_button_to_the_bot():
    markup = keyboards.ask_privately_keyboard("leshan_test_bot", "伟力得？")
    button = markup.inline_keyboard[0][0]
    assert button.callback_data is None
    assert button.url.startswith("https://t.me/leshan_test_bot?start=q")
