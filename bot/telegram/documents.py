"""An admin sends a document (.txt, .md, .html, .pdf) in a private chat: the bot adds it.

The article is stored under seeds/ as `python -m bot add` stores it; then it goes live the
way every reload does (reload.py): built in a staging folder, asked the regression gate's
questions, promoted. The reply says what changed; if the gate refuses, the article stays
stored but not live, with the button to force the reload. A non-admin's document is refused
politely and logged as a "refused" event; a document that cannot become an article gets its
reason, and nothing changes.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot import render
from bot.answer import KnowledgeError
from bot.articles import (
    Change,
    describe,
    example_questions,
    one_at_a_time,
    store_documents,
    summarise,
)
from bot.config import Config
from bot.corpus import CorpusError
from bot.corpus.ingest import IngestError, check_size, kind_of
from bot.corpus.library import SeedsSnapshot
from bot.rebuild import discard, prepare_candidate
from bot.telegram.admin import is_admin
from bot.telegram.reload import gate_and_promote, reload_state
from bot.telegram.replies import send_html, show_typing
from bot.telegram.state import BotState, bot_state

log = logging.getLogger(__name__)

REFUSAL = "抱歉，只有管理员可以添加文章。想问问题的话，直接发给我就好。"


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state = bot_state(context)
    message, user = update.effective_message, update.effective_user
    document = message.document
    name = document.file_name or "document"
    user_id = user.id if user else None
    if not is_admin(user_id, state.config.admin_ids):
        state.querylog.record_event("refused", user_id, message.chat_id, f"document {name}"[:100])
        log.info("refused a document from non-admin user %s", user_id)
        await send_html(context.bot, message.chat_id, REFUSAL, reply_to=message.message_id)
        return
    try:
        kind_of(name)
        if document.file_size is not None:  # too large to fetch: say so without fetching
            check_size(name, document.file_size)
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except IngestError as error:
        await reply(
            context, message.chat_id, message.message_id, [f"未添加：{error}", "知识库未改动。"]
        )
        return
    except TelegramError as error:
        log.warning("could not download %s: %s", name, error)
        lines = [f"未添加：{name} 无法从 Telegram 下载（{error}）。", "知识库未改动。"]
        await reply(context, message.chat_id, message.message_id, lines)
        return
    await show_typing(context.bot, message.chat_id)  # an add and a reload take a few seconds
    # an upload waits for a running reload (or upload) rather than being turned away
    async with reload_state(context.application).lock:
        await add_and_reload(context, state, message.chat_id, message.message_id, name, data)


async def add_and_reload(
    context: ContextTypes.DEFAULT_TYPE,
    state: BotState,
    chat_id: int,
    message_id: int,
    name: str,
    data: bytes,
) -> None:
    """Store the article, build the candidate fact base with it, then gate and promote it
    (the reload lock is held). A build that fails puts seeds/ back as it was."""
    config = state.config
    try:
        change, snapshot = await asyncio.to_thread(store, config, name, data)
        if snapshot is None:  # refused or already present: nothing was stored
            await reply(context, chat_id, message_id, describe(change))
            return
        try:
            candidate = await asyncio.to_thread(
                prepare_candidate, config.seeds_dir, config.knowledge_dir, True
            )
        except BaseException:
            await asyncio.to_thread(snapshot.restore, config.seeds_dir)
            raise
    except (CorpusError, KnowledgeError, OSError) as error:
        log.warning("adding %s failed, nothing changed: %s", name, error)
        await reply(context, chat_id, message_id, [f"❌ 添加失败，知识库未改动。原因：{error}"])
        return
    try:
        assert candidate.report is not None  # rebuilt, since asked to
        summarise(change, candidate.report)
        # examples from the candidate, before it is live: only this upload asks it
        change.examples = await asyncio.to_thread(
            example_questions, candidate.answerer, change.new_facts
        )
        upload = [render.escape(line) for line in describe(change)]
        live = await gate_and_promote(
            context.application, state, chat_id, candidate, upload=upload, reply_to=message_id
        )
    finally:
        discard(candidate)  # the staging folder, if anything above failed
    log.info("added %s; %s", name, "live" if live else "stored, refused by the gate")


def store(config: Config, name: str, data: bytes) -> tuple[Change, SeedsSnapshot | None]:
    with one_at_a_time(config.knowledge_dir):  # `python -m bot add` may be storing too
        return store_documents(config.seeds_dir, [(name, data)])


async def reply(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, lines: list[str]
) -> None:
    markup = "\n".join(render.escape(line) for line in lines)
    await send_html(context.bot, chat_id, markup, reply_to=message_id)


def register(application: Application) -> None:
    documents = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.Document.ALL
    application.add_handler(MessageHandler(documents, on_document))
