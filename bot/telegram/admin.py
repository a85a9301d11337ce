"""Admin commands: /stats, /unanswered [N], /export, /reload. Admins are BOT_ADMIN_IDS.

They answer only in an admin's private chat with the bot: the log holds every user's
questions, private ones included. In a group an admin gets one line pointing to the private
chat, and nothing from the log. Anyone else gets a polite refusal in private and silence in
a group; the attempt is logged as a "refused" event (counted by /stats). Both the refusals
and their rows are rate limited per user, so spamming /stats costs the bot nothing.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes

from bot import render
from bot.chart import daily_counts, render_chart
from bot.logs import format_stats, format_unanswered
from bot.telegram.admin_text import say
from bot.telegram.ratelimit import Verdict
from bot.telegram.reload import guarded_reload
from bot.telegram.replies import send_html
from bot.telegram.state import BotState, bot_state

log = logging.getLogger(__name__)

DEFAULT_UNANSWERED = 10
MAX_UNANSWERED = 50
REFUSAL = "抱歉，这个命令只供管理员使用。想问问题的话，直接发给我就好。"
PRIVATE_ONLY = "管理命令只在私聊中使用：请私聊 @{username} 发送这个命令。"

AdminCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE, BotState], Awaitable[None]]
HandlerCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def is_admin(user_id: int | None, admin_ids: frozenset[int]) -> bool:
    return user_id is not None and user_id in admin_ids


def admins_only(command: AdminCallback) -> HandlerCallback:
    """Run `command` for an admin in private; point an admin in a group to the private chat;
    refuse and log everyone else, within the per-user refusal limit."""

    @functools.wraps(command)
    async def checked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        state = bot_state(context)
        user, chat = update.effective_user, update.effective_chat
        user_id = user.id if user else None
        in_private = chat.type == ChatType.PRIVATE
        if is_admin(user_id, state.config.admin_ids):
            if in_private:
                await command(update, context, state)
            else:
                line = render.escape(PRIVATE_ONLY.format(username=context.bot.username))
                reply_to = update.effective_message.message_id
                await send_html(context.bot, chat.id, line, reply_to=reply_to)
            return
        if user_id is None or await state.refusals.verdict_for(user_id) is not Verdict.ALLOW:
            return  # refused a few times already: not another reply, not another row
        text = update.effective_message.text or ""
        state.querylog.record_event("refused", user_id, chat.id, text[:100])
        log.info("refused %r from non-admin user %s", text[:40], user_id)
        if in_private:  # in a group a refusal would only be noise for everyone
            await send_html(context.bot, chat.id, REFUSAL)

    return checked


@admins_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState) -> None:
    """The numbers as text, then the 30-day chart (bot.chart) as a picture."""
    now = datetime.now().astimezone()
    lang = state.config.admin_lang
    report = format_stats(await state.querylog.stats(now), lang)
    await send_report(update, context, report)
    days = await daily_counts(state.querylog, now=now)
    png = await asyncio.to_thread(render_chart, days, lang)
    caption = say(lang, "chart_caption", days=len(days))
    await context.bot.send_photo(update.effective_chat.id, photo=png, caption=caption)


@admins_only
async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState) -> None:
    """/unanswered [N]: the N most asked groups of missed or low-confidence questions."""
    limit = parse_limit(context.args)
    groups = await state.querylog.unanswered(limit=limit)
    report = format_unanswered(groups, state.config.admin_lang)
    await send_report(update, context, report)


@admins_only
async def export(update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState) -> None:
    """The whole log as CSV, UTF-8 with a BOM so that Excel shows the Chinese correctly."""
    buffer = io.StringIO()
    count = await state.querylog.export_csv(buffer)
    filename = f"queries-{datetime.now():%Y%m%d-%H%M}.csv"
    await context.bot.send_document(
        update.effective_chat.id,
        document=buffer.getvalue().encode("utf-8-sig"),
        filename=filename,
        caption=f"查询日志：{count} 条",
    )


@admins_only
async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE, state: BotState) -> None:
    """Rebuild what changed, check it against the regression gate, then go live (reload.py)."""
    await guarded_reload(context.application, state, update.effective_chat.id)


def parse_limit(args: list[str] | None) -> int:
    """N from "/unanswered N", within 1..MAX_UNANSWERED; the default when absent or bad."""
    if args and args[0].isdigit():
        return max(1, min(int(args[0]), MAX_UNANSWERED))
    return DEFAULT_UNANSWERED


async def send_report(update: Update, context: ContextTypes.DEFAULT_TYPE, report: str) -> None:
    for part in render.split_preformatted(report):
        await context.bot.send_message(update.effective_chat.id, part)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("stats", stats))
    application.add_handler(CommandHandler("unanswered", unanswered))
    application.add_handler(CommandHandler("export", export))
    application.add_handler(CommandHandler("reload", reload))
