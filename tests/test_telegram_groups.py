"""Groups, end to end: answer /ask, mentions and replies to the bot; ignore the rest."""

from __future__ import annotations

import itertools

from botapi import FakeBotApi
from test_telegram_app import BotThread, buttons_of, failed_calls, log_rows, next_message

from bot.answer import Answerer
from bot.telegram.keyboards import question_from_start_parameter

pytest_plugins = ["test_telegram_app"]  # fixtures: bot, start_bot, answerer

GROUP = -1001234567890
ALICE, BOB = 601, 602
QUESTION = "伟力得的总部在哪里？"
UNANSWERED = "峨眉山的猴子吃什么？"  # not found; in private it comes with suggestions


def replied_to(call, message_id: int) -> bool:
    return (call.params.get("reply_parameters") or {}).get("message_id") == message_id


def test_ask_mention_and_reply_are_answered_in_the_thread(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    top = answerer.ask(QUESTION, strict=True).top
    asked = botapi.send_group_message(GROUP, ALICE, f"/ask {QUESTION}")
    answer = next_message(botapi, GROUP, predicate=lambda c: replied_to(c, asked))
    assert top.answer[:30] in answer.result["text"]
    assert f"来源：{top.source.citation()}" in answer.result["text"]
    assert list(buttons_of(answer)) == ["📄 原文", "🔎 相关", "👍", "👎"]

    mention = botapi.send_group_message(GROUP, BOB, f"@{botapi.bot_username} {QUESTION}")
    answer = next_message(botapi, GROUP, predicate=lambda c: replied_to(c, mention))
    assert top.answer[:30] in answer.result["text"]

    reply = botapi.send_group_message(
        GROUP, ALICE, QUESTION, reply_to_message_id=answer.result["message_id"]
    )
    answer = next_message(botapi, GROUP, predicate=lambda c: replied_to(c, reply))
    assert top.answer[:30] in answer.result["text"]

    bot.stop()
    rows = log_rows(bot.config.db_path)
    assert [(r["surface"], r["user_id"], r["chat_id"]) for r in rows] == [
        ("group", ALICE, GROUP),
        ("group", BOB, GROUP),
        ("group", ALICE, GROUP),
    ]
    assert {r["chat_type"] for r in rows} == {"supergroup"}
    assert {r["raw_text"] for r in rows} == {QUESTION}
    assert failed_calls(botapi) == []


def test_other_chatter_gets_silence(bot: BotThread, botapi: FakeBotApi):
    botapi.send_group_message(GROUP, ALICE, "大家好")
    botapi.send_group_message(GROUP, BOB, QUESTION)  # a question, but not to the bot
    botapi.send_group_message(GROUP, BOB, "@someone_else 你看过这篇报道吗")
    human = botapi.send_group_message(GROUP, ALICE, "看过")
    botapi.send_group_message(GROUP, BOB, "同意", reply_to_message_id=human)
    last = botapi.send_group_message(GROUP, ALICE, f"/ask {QUESTION}")
    next_message(botapi, GROUP, predicate=lambda c: replied_to(c, last))
    bot.stop()  # handles every update already fetched
    assert len(botapi.calls_of("sendMessage")) == 1
    assert botapi.calls_of("sendChatAction") == []  # quick answers: no typing indicator
    assert len(log_rows(bot.config.db_path)) == 1


def test_not_found_in_a_group_offers_the_private_chat_not_suggestions(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    assert answerer.ask(UNANSWERED).suggestions
    asked = botapi.send_group_message(GROUP, ALICE, f"/ask {UNANSWERED}")
    answer = next_message(botapi, GROUP, predicate=lambda c: replied_to(c, asked))
    assert "没有找到" in answer.result["text"] and "私聊" in answer.result["text"]
    [url] = buttons_of(answer).values()
    prefix = f"https://t.me/{botapi.bot_username}?start="
    assert url.startswith(prefix)
    assert question_from_start_parameter(url.removeprefix(prefix)) == UNANSWERED
    bot.stop()
    [row] = log_rows(bot.config.db_path)
    assert (row["surface"], row["found"]) == ("group", 0)


def loose_match(answerer: Answerer) -> str:
    """A question answered in private but under the stricter group threshold."""
    names = [e.name for e in answerer.factbase.entities[:40]]
    for name, cue in itertools.product(names, ["投资", "产值", "总部", "项目", "光伏", "企业"]):
        question = f"{name}{cue}"
        if answerer.ask(question).found and not answerer.ask(question, strict=True).found:
            return question
    raise AssertionError("no question found that only the lenient threshold answers")


def test_groups_use_the_stricter_threshold(bot: BotThread, botapi: FakeBotApi, answerer: Answerer):
    question = loose_match(answerer)
    botapi.send_private_message(ALICE, question)
    assert "来源" in next_message(botapi, ALICE).result["text"]
    asked = botapi.send_group_message(GROUP, ALICE, f"/ask {question}")
    answer = next_message(botapi, GROUP, predicate=lambda c: replied_to(c, asked))
    assert "没有找到" in answer.result["text"]


def test_ask_without_a_question_explains_usage(bot: BotThread, botapi: FakeBotApi):
    asked = botapi.send_group_message(GROUP, ALICE, f"/ask@{botapi.bot_username}")
    usage = next_message(botapi, GROUP, predicate=lambda c: replied_to(c, asked))
    assert "用法：/ask 问题" in usage.result["text"]
    bot.stop()
    assert log_rows(bot.config.db_path) == []
