"""Documents sent to the bot: an admin's are added and answered from; others change nothing.

The real Application runs against the fake Bot API on 127.0.0.1; the admin uploads a file,
the bot fetches it with getFile and the file endpoint, stores it, reloads through the
regression gate and replies. An upload that would break a 👍 answer is refused by the gate.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from botapi import FakeBotApi
from test_ingest import ARTICLE_000, PAGES, PDF_LINES, SEEDS, make_pdf, snapshot
from test_telegram_app import (
    ADMIN_ID,
    BotThread,
    bot_env,
    buttons_of,
    failed_calls,
    log_rows,
    next_message,
)
from test_telegram_inbox import alert_for, ask

from bot.answer import load_answerer
from bot.articles import add_documents
from bot.config import Config
from bot.facts.build import build

STRANGER = 666
PAGE = "leshan_daily_tea.html"
MENU_PAGE = (
    "<html><body>" + "".join(f"<a href='/{n}'>栏目{n}</a>" for n in range(9)) + "</body></html>"
)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    seeds, knowledge = tmp_path / "seeds", tmp_path / "knowledge"
    seeds.mkdir()
    shutil.copy(SEEDS / ARTICLE_000, seeds)
    build(seeds, knowledge, say=lambda _line: None)
    return seeds, knowledge


@pytest.fixture
def bot(botapi: FakeBotApi, corpus: tuple[Path, Path], tmp_path: Path) -> Iterator[BotThread]:
    yield from running_bot(botapi, corpus, tmp_path)


def running_bot(
    botapi: FakeBotApi, corpus: tuple[Path, Path], tmp_path: Path
) -> Iterator[BotThread]:
    seeds, knowledge = corpus
    env = bot_env(botapi, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge), BOT_SEEDS_DIR=str(seeds))
    running = BotThread(Config.from_env(env), load_answerer(knowledge)).start()
    yield running
    running.stop()


def test_an_admins_page_is_added_and_then_answered(bot: BotThread, botapi: FakeBotApi, corpus):
    seeds, _ = corpus
    old_answerer = bot.state.answerer
    sent = botapi.send_private_document(ADMIN_ID, PAGE, (PAGES / PAGE).read_bytes())
    reply = next_message(botapi, ADMIN_ID, timeout=120)
    text = reply.result["text"]
    assert "已添加" in text and "沐川县茶叶加工园区正式投产" in text
    assert "新增报道 1 篇" in text and "现在可以问" in text and "✅ 已重新加载" in text
    assert reply.params["reply_parameters"]["message_id"] == sent
    assert botapi.downloads and bot.state.answerer is not old_answerer
    assert len(list(seeds.glob("*.txt"))) == 2

    botapi.send_private_message(11, "四川沐源茶业有限公司的总经理是谁？")
    answer = next_message(botapi, 11).result["text"]
    assert "刘建华" in answer and "沐川县茶叶加工园区正式投产" in answer  # with its source

    botapi.send_private_document(ADMIN_ID, "again.html", (PAGES / PAGE).read_bytes())
    again = next_message(botapi, ADMIN_ID, after=reply.result["message_id"], timeout=60)
    assert "已存在" in again.result["text"]
    assert failed_calls(botapi) == []


def test_an_admins_pdf_is_added(bot: BotThread, botapi: FakeBotApi, tmp_path: Path):
    pdf = make_pdf(tmp_path / "paper.pdf", PDF_LINES)
    botapi.send_private_document(ADMIN_ID, "paper.pdf", pdf.read_bytes())
    assert "✅" in next_message(botapi, ADMIN_ID, timeout=120).result["text"]
    botapi.send_private_message(11, "犍为县茉莉花种植面积有多少亩？")
    assert "6.5万亩" in next_message(botapi, 11).result["text"]


def test_a_non_admins_document_is_refused_politely_and_logged(
    bot: BotThread, botapi: FakeBotApi, corpus
):
    before = snapshot(*corpus)
    botapi.send_private_document(STRANGER, PAGE, (PAGES / PAGE).read_bytes())
    refusal = next_message(botapi, STRANGER)
    assert "只有管理员可以添加文章" in refusal.result["text"]
    assert botapi.downloads == [] and botapi.calls_of("getFile") == []
    bot.stop()
    [event] = log_rows(bot.config.db_path, "events")
    assert (event["kind"], event["user_id"], event["detail"]) == (
        "refused",
        STRANGER,
        f"document {PAGE}",
    )
    assert snapshot(*corpus) == before


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("notes.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "binary data"),
        ("short.md", "# 标题\n\n好。".encode(), "no article text"),
        ("report.docx", b"PK\x03\x04", "unknown kind of file"),
        ("menu.html", MENU_PAGE.encode(), "no article"),
    ],
)
def test_an_unreadable_document_gets_its_reason_and_nothing_changes(
    bot: BotThread, botapi: FakeBotApi, corpus, filename: str, data: bytes, reason: str
):
    before = snapshot(*corpus)
    old_answerer = bot.state.answerer
    botapi.send_private_document(ADMIN_ID, filename, data)
    text = next_message(botapi, ADMIN_ID, timeout=60).result["text"]
    assert "未添加" in text and reason in text and "知识库未改动" in text
    assert snapshot(*corpus) == before
    assert bot.state.answerer is old_answerer
    assert failed_calls(botapi) == []


MANAGER = "四川沐源茶业有限公司的总经理是谁？"
NEW_MANAGER = """沐源茶业新任总经理到任

2025年6月20日，四川沐源茶业有限公司召开干部大会，宣布王立新担任四川沐源茶业有限公司总经理。\
四川沐源茶业有限公司总经理王立新表示，公司今年将新建3条红茶生产线，年加工能力提高到6000吨。
"""


@pytest.fixture
def tea_bot(botapi: FakeBotApi, corpus: tuple[Path, Path], tmp_path: Path) -> Iterator[BotThread]:
    """A bot whose articles include the tea page, which names the company's manager."""
    seeds, knowledge = corpus
    page = [(PAGE, (PAGES / PAGE).read_bytes())]
    add_documents(seeds, knowledge, page, examples=False)
    yield from running_bot(botapi, corpus, tmp_path)


def test_an_upload_that_breaks_a_liked_answer_is_stored_but_refused_by_the_gate(
    tea_bot: BotThread, botapi: FakeBotApi, corpus
):
    seeds, knowledge = corpus
    answer = ask(tea_bot, botapi, 11, MANAGER)
    assert "刘建华" in answer.result["text"]
    liked = botapi.press_button(11, 11, answer.result["message_id"], buttons_of(answer)["👍"])
    alert_for(botapi, liked)
    running, live_files = tea_bot.state.answerer, snapshot(knowledge)

    # a later article names a new manager: the liked answer would change
    sent = botapi.send_private_document(ADMIN_ID, "new_manager.txt", NEW_MANAGER.encode())
    refused = next_message(
        botapi, ADMIN_ID, predicate=lambda c: "🛑" in c.result["text"], timeout=120
    )
    text = refused.result["text"]
    assert "已添加" in text and "文章已保存到文章目录，但尚未上线" in text
    assert MANAGER in text and "👍" in text
    assert refused.params["reply_parameters"]["message_id"] == sent
    assert tea_bot.state.answerer is running and snapshot(knowledge) == live_files
    assert len(list(seeds.glob("*.txt"))) == 3  # stored, not live
    assert not list(knowledge.parent.glob(".knowledge-staging-*"))
    asked = botapi.send_private_message(12, MANAGER)
    assert "刘建华" in next_message(botapi, 12, after=asked).result["text"]

    # the admin forces it: the new article goes live
    force = buttons_of(refused)["⚠️ 仍然强制加载"]
    botapi.press_button(ADMIN_ID, ADMIN_ID, refused.result["message_id"], force)
    next_message(
        botapi,
        ADMIN_ID,
        after=refused.result["message_id"],
        predicate=lambda c: "已重新加载" in c.result["text"],
        timeout=120,
    )
    assert tea_bot.state.answerer is not running
    asked = botapi.send_private_message(13, MANAGER)
    assert "王立新" in next_message(botapi, 13, after=asked).result["text"]
    assert failed_calls(botapi) == []
