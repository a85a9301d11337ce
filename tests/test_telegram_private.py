"""Private chat, end to end: the real Application, the real engine, the fake Bot API."""

from __future__ import annotations

import time

from botapi import FakeBotApi
from botapi.server import parse_html
from test_telegram_app import (
    BotThread,
    buttons_of,
    failed_calls,
    log_rows,
    next_message,
    wait_until,
)

from bot.answer import Answerer
from bot.telegram import replies

pytest_plugins = ["test_telegram_app"]  # fixtures: bot, start_bot, answerer

USER = 501
ANSWERED = "伟力得的总部在哪里？"  # found, with related facts
UNANSWERED = "峨眉山的猴子吃什么？"  # not found, with suggestions


def test_question_is_answered_with_source_buttons_and_a_log_row(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    expected = answerer.ask(ANSWERED).top
    botapi.send_private_message(USER, ANSWERED)
    reply = next_message(botapi, USER)

    assert reply.params["parse_mode"] == "HTML"
    text = reply.result["text"]
    assert expected.answer[:30] in text
    assert expected.entity in text
    assert f"来源：{expected.source.citation()}" in text
    assert list(buttons_of(reply)) == ["📄 原文", "🔎 相关", "👍", "👎"]

    bot.stop()
    assert botapi.calls_of("sendChatAction") == []  # a quick answer needs no "typing…"
    [row] = log_rows(bot.config)
    assert row["surface"] == "private"
    assert (row["user_id"], row["chat_id"], row["chat_type"]) == (USER, USER, "private")
    assert (row["raw_text"], row["found"], row["fact_id"]) == (ANSWERED, 1, expected.fact_id)
    assert row["normalised"] and row["score"] > 0 and row["latency_ms"] >= 0
    assert failed_calls(botapi) == []


def test_not_found_says_so_offers_suggestions_and_is_logged_unanswered(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    suggestions = answerer.ask(UNANSWERED).suggestions
    assert suggestions, "the test needs a question the engine misses but has suggestions for"
    botapi.send_private_message(USER, UNANSWERED)
    reply = next_message(botapi, USER)
    assert f"没有找到「{UNANSWERED}」的答案" in reply.result["text"]
    offered = buttons_of(reply)
    assert list(offered.values())[:-1] == [f"show:{hit.fact_id}" for hit in suggestions]

    first = suggestions[0]
    botapi.press_button(USER, USER, reply.result["message_id"], f"show:{first.fact_id}")
    shown = next_message(botapi, USER, after=reply.result["message_id"])
    fact = answerer.factbase.fact(first.fact_id)
    assert parse_html(shown.params["text"])[0].startswith(fact.text.strip()[:40])
    assert list(buttons_of(shown)) == ["📄 原文", "🔎 相关"]

    bot.stop()
    [row] = log_rows(bot.config)
    assert (row["found"], row["fact_id"], row["raw_text"]) == (0, None, UNANSWERED)
    assert offered["🔔 有答案时告诉我"] == f"bell:{row['id']}"  # the logged question
    assert failed_calls(botapi) == []


def test_source_related_and_feedback_buttons(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    top = answerer.ask(ANSWERED).top
    botapi.send_private_message(USER, ANSWERED)
    answer = next_message(botapi, USER)
    data = buttons_of(answer)
    message_id = answer.result["message_id"]

    botapi.press_button(USER, USER, message_id, data["📄 原文"])
    source = next_message(botapi, USER, after=message_id)
    paragraph = answerer.factbase.paragraph(answerer.factbase.fact(top.fact_id).source)
    assert paragraph[:40] in source.result["text"]
    assert top.source.citation() in source.result["text"]

    botapi.press_button(USER, USER, message_id, data["🔎 相关"])
    related = next_message(botapi, USER, after=source.result["message_id"])
    expected = answerer.related(top.fact_id, limit=3)
    assert expected, "the test needs an answer with related facts"
    for hit in expected:
        assert hit.answer[:20] in related.result["text"]

    wait_for_rows(bot, 1)
    callback = botapi.press_button(USER, USER, message_id, data["👍"])
    ack = botapi.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == callback
    )
    assert "👍" in ack.params["text"]

    bot.stop()
    [row] = log_rows(bot.config)
    assert row["feedback"] == 1
    assert len(botapi.calls_of("answerCallbackQuery")) == 3  # every press is acknowledged
    assert failed_calls(botapi) == []


def wait_for_rows(bot: BotThread, count: int) -> None:
    """A query's row is written just after its reply is sent; a test presses buttons faster
    than a person, so it waits for the row first (the feedback updates it)."""
    wait_until(lambda: len(log_rows(bot.config)) >= count)


def test_thumbs_down_is_logged(bot: BotThread, botapi: FakeBotApi):
    botapi.send_private_message(USER, ANSWERED)
    answer = next_message(botapi, USER)
    wait_for_rows(bot, 1)
    callback = botapi.press_button(
        USER, USER, answer.result["message_id"], buttons_of(answer)["👎"]
    )
    botapi.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == callback)
    bot.stop()
    assert [row["feedback"] for row in log_rows(bot.config)] == [-1]


def test_start_offers_three_example_questions_that_answer(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    botapi.send_private_message(USER, "/start", first_name="小<明>")
    greeting = next_message(botapi, USER)
    assert "你好，小<明>！" in greeting.result["text"]
    examples = buttons_of(greeting)
    assert list(examples) == answerer.examples(3)

    question, data = next(iter(examples.items()))
    botapi.press_button(USER, USER, greeting.result["message_id"], data)
    answer = next_message(botapi, USER, after=greeting.result["message_id"])
    assert answerer.ask(question).top.answer[:30] in answer.result["text"]
    bot.stop()
    assert [row["raw_text"] for row in log_rows(bot.config)] == [question]
    assert failed_calls(botapi) == []


def test_help_lists_the_articles_with_titles_and_dates(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    botapi.send_private_message(USER, "/help")
    text = next_message(botapi, USER).result["text"]
    for story in answerer.factbase.stories:
        meta = " ".join(part for part in (story.publication, story.date) if part)
        assert f"《{story.title}》 {meta}".strip() in text
        assert story.file in text


def test_html_in_the_question_is_escaped(bot: BotThread, botapi: FakeBotApi):
    botapi.send_private_message(USER, "乐山足球队 x<y & z")
    reply = next_message(botapi, USER)
    assert "「乐山足球队 x<y & z」" in reply.result["text"]
    assert failed_calls(botapi) == []


def test_notice_about_a_truncated_question_is_shown(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    question = ANSWERED + "啊" * 400
    notice = answerer.ask(question).notice
    assert notice
    botapi.send_private_message(USER, question)
    assert next_message(botapi, USER).result["text"].startswith(f"ℹ️ {notice}")


def test_deep_link_from_a_group_asks_its_question(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    from bot.telegram.keyboards import start_parameter

    botapi.send_private_message(USER, f"/start {start_parameter(ANSWERED)}")
    reply = next_message(botapi, USER)
    assert answerer.ask(ANSWERED).top.answer[:30] in reply.result["text"]


def test_more_than_twenty_questions_a_minute_get_one_polite_refusal(
    bot: BotThread, botapi: FakeBotApi
):
    for n in range(22):
        botapi.send_private_message(USER, f"{ANSWERED} {n}")
    refusal = next_message(botapi, USER, predicate=lambda c: "太快" in c.result["text"])
    assert "每分钟最多 20 个问题" in refusal.result["text"]
    wait_until(lambda: len(log_rows(bot.config, "events")) == 2)  # the 22nd's silence
    bot.stop()
    sent = botapi.calls_of("sendMessage")
    assert len(sent) == 21  # 20 answers and one refusal; the 22nd question gets silence
    assert len(log_rows(bot.config)) == 20
    assert [e["kind"] for e in log_rows(bot.config, "events")] == ["rate_limited"] * 2


class SlowAnswerer:
    """An engine that takes longer than TYPING_AFTER_S to answer."""

    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer
        self.factbase = answerer.factbase
        self.policy = answerer.policy

    def ask(self, question: str, **options: object):
        time.sleep(replies.TYPING_AFTER_S + 0.3)
        return self.answerer.ask(question, **options)


def test_a_slow_answer_shows_typing_before_it(bot: BotThread, botapi: FakeBotApi):
    bot.state.answerer = SlowAnswerer(bot.state.answerer)
    botapi.send_private_message(USER, ANSWERED)
    reply = next_message(botapi, USER)
    typing = botapi.wait_for("sendChatAction", lambda c: c.params["chat_id"] == USER)
    assert typing.params["action"] == "typing"
    assert botapi.calls.index(typing) < botapi.calls.index(reply)
