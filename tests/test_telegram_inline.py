"""Inline mode, end to end: "@bot question" results, examples, and the nothing-found button."""

from __future__ import annotations

from botapi import FakeBotApi
from botapi.server import parse_html
from test_telegram_app import BotThread, failed_calls, log_rows

from bot.answer import Answerer
from bot.telegram.keyboards import question_from_start_parameter

pytest_plugins = ["test_telegram_app"]  # fixtures: bot, start_bot, answerer

USER = 701
QUESTION = "伟力得的总部在哪里？"
UNANSWERED = "乐山的足球队叫什么？"


def answer_to(botapi: FakeBotApi, query_id: str):
    call = botapi.wait_for("answerInlineQuery", lambda c: c.params["inline_query_id"] == query_id)
    assert call.ok, call.error
    return call.params


def test_results_carry_the_answer_and_its_source(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    hits = answerer.ask(QUESTION).hits
    answer = answer_to(botapi, botapi.inline_query(USER, QUESTION))
    results = answer["results"]
    sure = answerer.policy.sure_hits(hits)
    assert 1 <= len(results) <= 10
    assert len(results) == len(sure)  # weaker candidates are not offered as answers
    assert answer["cache_time"] <= 60
    assert "button" not in answer

    first, top = results[0], hits[0]
    assert first["type"] == "article"
    assert first["title"] == top.label
    assert top.source.citation() in first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    text = parse_html(content["message_text"])[0]
    assert QUESTION in text and top.answer[:30] in text and top.source.citation() in text
    assert len({r["id"] for r in results}) == len(results)
    assert all(len(r["id"].encode()) <= 64 for r in results)


def test_empty_query_offers_example_questions(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    results = answer_to(botapi, botapi.inline_query(USER, ""))["results"]
    titles = [r["title"] for r in results]
    assert titles and titles == answerer.examples(len(titles))
    first = parse_html(results[0]["input_message_content"]["message_text"])[0]
    assert answerer.ask(titles[0]).top.answer[:30] in first


def test_nothing_found_gives_one_result_and_a_private_chat_button(
    bot: BotThread, botapi: FakeBotApi, answerer: Answerer
):
    assert not answerer.ask(UNANSWERED).found
    answer = answer_to(botapi, botapi.inline_query(USER, UNANSWERED))
    [result] = answer["results"]
    assert result["title"] == "没有找到答案"
    parameter = answer["button"]["start_parameter"]
    assert question_from_start_parameter(parameter) == UNANSWERED


def test_inline_queries_are_logged_but_not_the_empty_one(bot: BotThread, botapi: FakeBotApi):
    for query in ("", QUESTION, UNANSWERED):
        answer_to(botapi, botapi.inline_query(USER, query))
    bot.stop()
    rows = log_rows(bot.config.db_path)  # the older spelling reads the right database too
    assert [(r["surface"], r["raw_text"], r["found"]) for r in rows] == [
        ("inline", QUESTION, 1),
        ("inline", UNANSWERED, 0),
    ]
    assert {r["user_id"] for r in rows} == {USER}
    assert failed_calls(botapi) == []
