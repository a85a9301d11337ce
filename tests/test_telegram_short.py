"""The short answer, end to end: bold and first in a private reply, a group reply and an inline
result, through the real bot and the fake Bot API on 127.0.0.1."""

from __future__ import annotations

from botapi import FakeBotApi
from botapi.server import parse_html
from test_telegram_app import BotThread, failed_calls, next_message

pytest_plugins = ["test_telegram_app"]  # fixtures: bot, start_bot, answerer

USER = 801
GROUP = -1001234567801
WHO = "伟力得的副总经理是谁？"
SHORT = "朱晓星（伟力得副总经理）"
WHICH = "乐山有哪些关键共性技术做到了行业领先？"
TWO_FIGURES = "乐山高新区有多少家高新技术企业？"


def bold_texts(text: str, entities: list[dict]) -> list[str]:
    """The bold pieces of a message; Telegram's offsets count UTF-16 code units (📰 is two)."""
    units = text.encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] == "bold"
    ]


def test_private_reply_starts_with_the_bold_short_answer(bot: BotThread, botapi: FakeBotApi):
    botapi.send_private_message(USER, WHO)
    reply = next_message(botapi, USER)
    text, entities = reply.result["text"], reply.result.get("entities", [])
    assert text.startswith(f"{SHORT}\n伟力得副总经理朱晓星说")
    assert {"type": "bold", "offset": 0, "length": len(SHORT)} in entities
    assert "来源：" in text  # then the sentence, then the source
    assert failed_calls(botapi) == []


def test_private_list_and_conflict_replies(bot: BotThread, botapi: FakeBotApi):
    botapi.send_private_message(USER, WHICH)
    listed = next_message(botapi, USER)
    text, entities = listed.result["text"], listed.result.get("entities", [])
    assert text.startswith("共3项：\n• 高纯晶硅制备\n• 医用同位素研发\n• 稀土循环分离\n")
    assert {"高纯晶硅制备", "医用同位素研发", "稀土循环分离"} <= set(bold_texts(text, entities))

    botapi.send_private_message(USER, TWO_FIGURES)
    differing = next_message(botapi, USER, after=listed.result["message_id"])
    text, entities = differing.result["text"], differing.result.get("entities", [])
    assert text.startswith("⚠️ 这几篇文章的说法不一致")
    assert {"高新技术企业41家", "高新技术企业49家"} <= set(bold_texts(text, entities))
    assert failed_calls(botapi) == []


def test_group_reply_starts_with_the_bold_short_answer(bot: BotThread, botapi: FakeBotApi):
    asked = botapi.send_group_message(GROUP, USER, f"/ask {WHO}")
    reply = next_message(
        botapi,
        GROUP,
        predicate=lambda c: (c.params.get("reply_parameters") or {}).get("message_id") == asked,
    )
    text, entities = reply.result["text"], reply.result.get("entities", [])
    assert text.startswith(SHORT)
    assert {"type": "bold", "offset": 0, "length": len(SHORT)} in entities
    assert failed_calls(botapi) == []


def test_inline_result_carries_the_bold_short_answer(bot: BotThread, botapi: FakeBotApi):
    query_id = botapi.inline_query(USER, WHO)
    call = botapi.wait_for("answerInlineQuery", lambda c: c.params["inline_query_id"] == query_id)
    assert call.ok, call.error
    first = call.params["results"][0]
    assert first["description"].startswith(SHORT)
    text, entities = parse_html(first["input_message_content"]["message_text"])
    assert f"\n\n{SHORT}\n" in text  # after the quoted question, before the sentence
    assert SHORT in bold_texts(text, entities)
    assert len(call.params["results"]) <= 50
    assert all(len(r["id"].encode()) <= 64 for r in call.params["results"])


def test_first_inline_result_shows_both_conflicting_values(bot: BotThread, botapi: FakeBotApi):
    query_id = botapi.inline_query(USER, TWO_FIGURES)
    call = botapi.wait_for("answerInlineQuery", lambda c: c.params["inline_query_id"] == query_id)
    assert call.ok, call.error
    text, entities = parse_html(call.params["results"][0]["input_message_content"]["message_text"])
    assert "⚠️ 这几篇文章的说法不一致" in text
    assert {"高新技术企业41家", "高新技术企业49家"} <= set(bold_texts(text, entities))
