"""Admin text exists in both languages with the same placeholders, so switching
BOT_ADMIN_LANG can never raise a KeyError in the middle of an inbox action."""

from __future__ import annotations

import string

import pytest

from bot.telegram.admin_text import CURATED_COMMENT, TEXTS, comment, say


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TEXTS) + [f"comment:{k}" for k in CURATED_COMMENT])
def test_both_languages_take_the_same_values(key: str):
    zh, en = CURATED_COMMENT[key[8:]] if key.startswith("comment:") else TEXTS[key]
    assert zh != en or key == "button_fact"
    assert fields(zh) == fields(en)


def test_chinese_is_the_default_and_english_on_request():
    assert say("zh", "reload_busy").startswith("⏳ 另一次")
    assert say("en", "reload_busy").startswith("⏳ Another")
    note = comment("zh", "fact", admin="张三", admin_id=1000, date="2024-05-08")
    assert "张三" in note and "1000" in note and "2024-05-08" in note
