"""Groups: answer only what is addressed to the bot, and stay silent on all other chatter.

Addressed means `/ask <question>`, a message mentioning @the_bot, or a reply to one of the
bot's own messages: exactly what Telegram delivers to a bot with privacy mode on.
"""

from __future__ import annotations

import re

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot import render
from bot.telegram.replies import answer_question, send_html

_COMMAND = re.compile(r"^/\S*\s*")


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>, in a group or (as a plain question) in private."""
    message = update.effective_message
    await answer_addressed(update, context, _COMMAND.sub("", message.text or "", count=1))


async def addressed_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A mention or a reply to the bot; anything else in the group is ignored."""
    question = question_addressed_to_bot(
        update.effective_message, context.bot.id, context.bot.username
    )
    if question is not None:
        await answer_addressed(update, context, question)


def question_addressed_to_bot(message: Message, bot_id: int, bot_username: str) -> str | None:
    """The question in a message addressed to the bot, without the @mention; else None."""
    text = message.text or ""
    mention = f"@{bot_username}".casefold()
    mentions = message.parse_entities([MessageEntity.MENTION]).values()
    if any(m.casefold() == mention for m in mentions):
        return re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE).strip()
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return text.strip()
    return None


async def answer_addressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
) -> None:
    message = update.effective_message
    in_group = message.chat.type in {ChatType.GROUP, ChatType.SUPERGROUP}
    reply_to = message.message_id if in_group else None
    if not question.strip():
        usage = render.ask_usage_html(context.bot.username)
        await send_html(context.bot, message.chat_id, usage, reply_to=reply_to)
        return
    await answer_question(
        context,
        chat=message.chat,
        user=update.effective_user,
        question=question.strip(),
        surface="group" if in_group else "private",
        reply_to=reply_to,
    )


def register(application: Application) -> None:
    addressed = filters.Entity(MessageEntity.MENTION) | filters.REPLY
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS
            & filters.UpdateType.MESSAGE
            & filters.TEXT
            & ~filters.COMMAND
            & addressed,
            addressed_message,
        )
    )
