"""Private chat: /start, /help, and any text as a question."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot import render
from bot.telegram.keyboards import example_key, examples_keyboard, question_from_start_parameter
from bot.telegram.replies import answer_question, send_html
from bot.telegram.state import bot_state, example_questions


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and offer example questions; a deep link from a group asks its question."""
    message, user = update.effective_message, update.effective_user
    carried = question_from_start_parameter(context.args[0]) if context.args else None
    if carried:
        await answer_question(
            context, chat=message.chat, user=user, question=carried, surface="private"
        )
        return
    state = bot_state(context)
    examples = {example_key(q): q for q in example_questions(state.answerer)}
    state.example_questions.update(examples)
    await send_html(
        context.bot,
        message.chat_id,
        render.start_html(user.first_name if user else ""),
        keyboard=examples_keyboard(examples),
    )


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the articles the bot knows, so people know what to ask."""
    stories = bot_state(context).answerer.factbase.stories
    markup = render.help_html(stories, context.bot.username)
    await send_html(context.bot, update.effective_chat.id, markup)


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    await answer_question(
        context,
        chat=message.chat,
        user=update.effective_user,
        question=message.text,
        surface="private",
    )


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    new_text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND  # edits are not asked
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("help", help_))
    application.add_handler(MessageHandler(private & new_text, question))
