"""What the inline buttons under the bot's replies do (the keyboards are in keyboards.py)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot import render
from bot.telegram.keyboards import Button, answer_keyboard, parse_callback
from bot.telegram.replies import answer_question, send_html
from bot.telegram.state import BotState, bot_state

log = logging.getLogger(__name__)

GONE = "这条内容已不在知识库中（可能刚更新过），请重新提问。"
EXPIRED = "这个按钮已过期，请直接输入你的问题。"
THANKS = {
    Button.THUMBS_UP: "谢谢！👍 已记录。",
    Button.THUMBS_DOWN: "谢谢反馈，我们会改进。👎 已记录。",
}


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    kind, payload = parse_callback(query.data or "")
    state = bot_state(context)
    if kind in THANKS:
        state.querylog.set_feedback(payload, 1 if kind is Button.THUMBS_UP else -1)
        await query.answer(THANKS[kind])
    elif query.message is None:  # a button on a message we cannot reply to any more
        await query.answer(EXPIRED)
    elif kind is Button.EXAMPLE:
        await ask_example(query, context, state, payload)
    elif kind in {Button.SOURCE, Button.RELATED, Button.SHOW}:
        await show_fact(query, context, state, kind, payload)
    else:
        log.info("ignoring unknown callback data %r", query.data)
        await query.answer()


async def show_fact(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    state: BotState,
    kind: Button,
    fact_id: str,
) -> None:
    """原文 (the source paragraph), 相关 (related answers) or a tapped suggestion."""
    answerer = state.answerer
    fact = answerer.factbase.fact(fact_id)
    if fact is None:
        await query.answer(GONE, show_alert=True)
        return
    await query.answer()
    keyboard = None
    if kind is Button.SOURCE:
        markup = render.paragraph_html(fact, answerer.factbase.paragraph(fact.source))
    elif kind is Button.RELATED:
        markup = render.related_html(answerer.related(fact_id, limit=3))
    else:
        markup = render.fact_html(fact)
        keyboard = answer_keyboard(fact_id)
    message = query.message
    await send_html(
        context.bot, message.chat.id, markup, keyboard=keyboard, reply_to=message.message_id
    )


async def ask_example(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, state: BotState, key: str
) -> None:
    """A /start example button: ask its question as if the user had typed it."""
    question = state.example_questions.get(key)
    if question is None:
        await query.answer(EXPIRED, show_alert=True)
        return
    await query.answer()
    await answer_question(
        context,
        chat=query.message.chat,
        user=query.from_user,
        question=question,
        surface="private",  # the example buttons are only offered by /start in private
    )


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(on_button))
