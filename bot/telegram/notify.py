"""🔔 "tell me when you know", under a private not-found reply.

Pressing it subscribes the asker to that logged question. After a reload that answers it,
reload.py sends them one message: the question, the answer and its source. Only the person
who asked can subscribe, so nobody else is ever messaged.
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.telegram.keyboards import Button, parse_callback
from bot.telegram.state import BotState, bot_state

SUBSCRIBED = "🔔 好的，等知识库里有了答案，我会告诉你一次。"
NOT_YOURS = "这个按钮只对提问的人有效。"
EXPIRED = "这个问题的记录找不到了，请重新提问。"
LOOKUP_TRIES = 10
LOOKUP_WAIT_S = 0.1


async def on_bell(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    _, query_id = parse_callback(query.data or "")
    state = bot_state(context)
    logged = await logged_query(state, query_id)
    user = query.from_user
    if logged is None or query.message is None:
        await query.answer(EXPIRED, show_alert=True)
        return
    question, asker, _ = logged
    if user is None or asker != user.id:
        await query.answer(NOT_YOURS, show_alert=True)
        return
    state.querylog.subscribe(query_id, user.id, query.message.chat.id, question)
    await query.answer(SUBSCRIBED, show_alert=True)


async def logged_query(state: BotState, query_id: str) -> tuple[str, int | None, bool] | None:
    """The query's row. It is written just after its reply is sent, so a press that overtakes
    that write waits a moment for it rather than calling a fresh question expired."""
    for _ in range(LOOKUP_TRIES - 1):
        logged = await state.querylog.query_by_id(query_id)
        if logged is not None:
            return logged
        await asyncio.sleep(LOOKUP_WAIT_S)
    return await state.querylog.query_by_id(query_id)


def register(application: Application) -> None:
    pattern = f"^{Button.NOTIFY.value}:"
    application.add_handler(CallbackQueryHandler(on_bell, pattern=pattern))
