"""An admin sends a document (.txt, .md, .html, .pdf) in a private chat: the bot adds it.

The same `add_documents` as `python -m bot add` runs in a worker thread, one add at a time;
then the bot loads the new fact base (as /reload does) and replies with what changed. A
non-admin's document is refused politely and logged as a "refused" event; a document that
cannot become an article gets its reason, and nothing changes.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot import render
from bot.answer import KnowledgeError
from bot.articles import add_documents, describe, example_questions
from bot.corpus import CorpusError
from bot.corpus.ingest import IngestError, check_size, kind_of
from bot.telegram.admin import is_admin, load_and_prepare
from bot.telegram.replies import send_html, show_typing
from bot.telegram.state import BotState, bot_state

log = logging.getLogger(__name__)

REFUSAL = "抱歉，只有管理员可以添加文章。想问问题的话，直接发给我就好。"
ADD_LOCK_KEY = "documents.add_lock"  # one add at a time: two builds must not interleave


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
    lock = context.bot_data.setdefault(ADD_LOCK_KEY, asyncio.Lock())
    async with lock:
        await add_and_reload(context, state, message.chat_id, message.message_id, name, data)


async def add_and_reload(
    context: ContextTypes.DEFAULT_TYPE,
    state: BotState,
    chat_id: int,
    message_id: int,
    name: str,
    data: bytes,
) -> None:
    config = state.config
    try:
        change = await asyncio.to_thread(
            add_documents, config.seeds_dir, config.knowledge_dir, [(name, data)], examples=False
        )
    except (CorpusError, KnowledgeError, OSError) as error:
        log.warning("adding %s failed, nothing changed: %s", name, error)
        await reply(context, chat_id, message_id, [f"❌ 添加失败，知识库未改动。原因：{error}"])
        return
    if not change.added:
        await reply(context, chat_id, message_id, describe(change))
        return
    try:
        fresh = await asyncio.to_thread(load_and_prepare, config.knowledge_dir)
    except KnowledgeError as error:  # the files were written but cannot be loaded
        log.warning("reload after adding %s failed: %s", name, error)
        lines = [*describe(change), f"❌ 重新加载失败，继续使用原来的知识库。原因：{error}"]
        await reply(context, chat_id, message_id, lines)
        return
    state.answerer = fresh  # one assignment: each update sees either the old or the new
    log.info("added %s and reloaded the fact base", name)
    # the example questions are checked with the engine just loaded, not a second one
    change.examples = await asyncio.to_thread(example_questions, fresh, change.new_facts)
    facts = len(fresh.factbase.facts)
    await reply(
        context, chat_id, message_id, [*describe(change), f"✅ 已重新加载，现有 {facts} 条事实。"]
    )


async def reply(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int, lines: list[str]
) -> None:
    markup = "\n".join(render.escape(line) for line in lines)
    await send_html(context.bot, chat_id, markup, reply_to=message_id)


def register(application: Application) -> None:
    documents = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.Document.ALL
    application.add_handler(MessageHandler(documents, on_document))
