"""Admin commands: who may use them, and /stats /unanswered /export /reload end to end."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from botapi import FakeBotApi
from test_telegram_app import (
    ADMIN_ID,
    KNOWLEDGE_DIR,
    BotThread,
    failed_calls,
    log_rows,
    next_message,
)

from bot.telegram.admin import DEFAULT_UNANSWERED, MAX_UNANSWERED, is_admin, parse_limit

pytest_plugins = ["test_telegram_app"]  # fixtures: bot, start_bot, answerer

STRANGER = 666
ANSWERED = "伟力得的总部在哪里？"
UNANSWERED = "乐山的足球队叫什么？"


def test_only_listed_ids_are_admins():
    admins = frozenset({1, 2})
    assert is_admin(1, admins)
    assert not is_admin(3, admins)
    assert not is_admin(None, admins)
    assert not is_admin(1, frozenset())


@pytest.mark.parametrize(
    ("args", "limit"),
    [(None, DEFAULT_UNANSWERED), ([], DEFAULT_UNANSWERED), (["5"], 5), (["0"], 1)]
    + [(["999"], MAX_UNANSWERED), (["-3"], DEFAULT_UNANSWERED), (["abc"], DEFAULT_UNANSWERED)],
)
def test_unanswered_limit_argument(args, limit):
    assert parse_limit(args) == limit


def ask(botapi: FakeBotApi, user: int, question: str) -> None:
    botapi.send_private_message(user, question)
    next_message(botapi, user)


def test_stats_and_unanswered_report_the_log(bot: BotThread, botapi: FakeBotApi):
    ask(botapi, 11, ANSWERED)
    ask(botapi, 12, ANSWERED)
    ask(botapi, 13, UNANSWERED)

    botapi.send_private_message(ADMIN_ID, "/stats")
    stats = next_message(botapi, ADMIN_ID)
    assert stats.params["text"].startswith("<pre>")
    text = stats.result["text"]
    assert "今天：3" in text and "已回答：2/3" in text  # the editors' language by default
    assert "伟力得" in text  # among the top questions
    chart = botapi.wait_for("sendPhoto", lambda c: c.params["chat_id"] == ADMIN_ID)
    assert chart.ok and chart.params["photo"].startswith(b"\x89PNG")
    assert chart.result["photo"][0]["width"] >= 600 and "30" in chart.result["caption"]

    botapi.send_private_message(ADMIN_ID, "/unanswered 5")
    unanswered = next_message(botapi, ADMIN_ID, after=stats.result["message_id"])
    assert UNANSWERED.rstrip("？") in unanswered.result["text"]
    assert "按被问次数排序" in unanswered.result["text"]  # Chinese, like every admin text
    assert ANSWERED.rstrip("？") not in unanswered.result["text"]
    assert failed_calls(botapi) == []


def test_admin_text_in_english_on_request(start_bot, botapi: FakeBotApi):
    start_bot(BOT_ADMIN_LANG="en")
    ask(botapi, 11, ANSWERED)
    botapi.send_private_message(ADMIN_ID, "/stats")
    assert "Today: 1" in next_message(botapi, ADMIN_ID).result["text"]
    assert "days" in botapi.wait_for("sendPhoto").result["caption"]


def test_export_sends_the_log_as_a_csv_document(bot: BotThread, botapi: FakeBotApi):
    ask(botapi, 11, ANSWERED)
    ask(botapi, 12, UNANSWERED)
    botapi.send_private_message(ADMIN_ID, "/export")
    sent = botapi.wait_for("sendDocument", lambda c: c.params["chat_id"] == ADMIN_ID)
    assert sent.ok, sent.error
    document = sent.params["document"]
    assert document.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(document.decode("utf-8-sig"))))
    assert [(r["raw_text"], r["found"]) for r in rows] == [(ANSWERED, "1"), (UNANSWERED, "0")]
    assert "2" in sent.result["caption"]


@pytest.mark.parametrize("command", ["/stats", "/unanswered", "/export", "/reload"])
def test_non_admins_are_refused_politely_and_the_attempt_is_logged(
    bot: BotThread, botapi: FakeBotApi, command: str
):
    botapi.send_private_message(STRANGER, command)
    refusal = next_message(botapi, STRANGER)
    assert "只供管理员使用" in refusal.result["text"]
    bot.stop()
    [event] = log_rows(bot.config, "events")
    assert (event["kind"], event["user_id"], event["detail"]) == ("refused", STRANGER, command)
    assert botapi.calls_of("sendDocument") == []


def knowledge_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def test_reload_picks_up_new_facts(start_bot, botapi: FakeBotApi, tmp_path: Path, answerer):
    knowledge = knowledge_copy(tmp_path)
    bot = start_bot(BOT_KNOWLEDGE_DIR=str(knowledge))
    old = answerer.ask(ANSWERED).top.answer
    assert "五大基地" in old
    facts = knowledge / "facts.yaml"
    facts.write_text(facts.read_text("utf-8").replace("五大基地", "六大基地"), "utf-8")

    botapi.send_private_message(ADMIN_ID, "/reload")
    done = next_message(botapi, ADMIN_ID)
    assert "✅" in done.result["text"] and "条事实" in done.result["text"]
    assert bot.state.answerer is not answerer

    botapi.send_private_message(11, ANSWERED)
    assert "六大基地" in next_message(botapi, 11).result["text"]


def test_reload_of_broken_files_keeps_the_old_fact_base(
    start_bot, botapi: FakeBotApi, tmp_path: Path, answerer
):
    knowledge = knowledge_copy(tmp_path)
    bot = start_bot(BOT_KNOWLEDGE_DIR=str(knowledge))
    (knowledge / "facts.yaml").write_text("- id: [unclosed\n  text: {\n", "utf-8")

    botapi.send_private_message(ADMIN_ID, "/reload")
    failed = next_message(botapi, ADMIN_ID)
    assert "❌" in failed.result["text"]
    assert "facts.yaml" in failed.result["text"]  # says which file, and why
    assert bot.state.answerer is answerer

    botapi.send_private_message(11, ANSWERED)
    assert "五大基地" in next_message(botapi, 11).result["text"]
    assert failed_calls(botapi) == []


# -- privacy: the log never goes to a group; refusals are rate limited -------------------------

GROUP = -1001234567890


@pytest.mark.parametrize("command", ["/export", "/stats", "/unanswered", "/reload"])
def test_an_admin_command_in_a_group_posts_nothing_from_the_log(
    bot: BotThread, botapi: FakeBotApi, command: str
):
    ask(botapi, 11, ANSWERED)
    ask(botapi, 12, UNANSWERED)
    sent = botapi.send_group_message(GROUP, ADMIN_ID, f"{command}@{botapi.bot_username}")
    pointer = next_message(botapi, GROUP)
    assert "私聊" in pointer.result["text"]
    assert pointer.result["reply_to_message"]["message_id"] == sent
    botapi.send_group_message(GROUP, 11, f"/ask {ANSWERED}")  # a later update, to sync on
    next_message(botapi, GROUP, after=pointer.result["message_id"])
    bot.stop()
    assert botapi.calls_of("sendDocument") == []
    group_texts = [m.get("text", "") for m in botapi.messages_in(GROUP)]
    assert len(group_texts) == 2  # the one line, and the answer to the later question
    leaked = [UNANSWERED.rstrip("？"), "Today", "查询日志", "已重新加载"]
    assert not any(word in group_texts[0] for word in leaked)
    assert failed_calls(botapi) == []


def test_a_non_admin_command_in_a_group_gets_silence(bot: BotThread, botapi: FakeBotApi):
    botapi.send_group_message(GROUP, STRANGER, "/export")
    botapi.send_group_message(GROUP, STRANGER, f"/ask {ANSWERED}")
    next_message(botapi, GROUP)
    bot.stop()
    assert len(botapi.messages_in(GROUP)) == 1  # the answer only, no refusal
    [event] = log_rows(bot.config, "events")
    assert (event["kind"], event["chat_id"]) == ("refused", GROUP)


def test_thirty_refused_commands_get_three_replies_and_three_rows(
    bot: BotThread, botapi: FakeBotApi
):
    for _ in range(30):
        botapi.send_private_message(STRANGER, "/stats")
    botapi.send_private_message(STRANGER, ANSWERED)  # answered as usual: the limit is separate
    next_message(botapi, STRANGER, predicate=lambda c: "伟力得" in c.result["text"])
    bot.stop()
    texts = [m["text"] for m in botapi.messages_in(STRANGER)]
    assert sum("只供管理员使用" in t for t in texts) == 3
    assert len(texts) == 4
    assert len(log_rows(bot.config, "events")) == 3
