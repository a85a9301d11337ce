"""/reload, guarded: rebuild what changed, ask the regression gate, then go live, re-ask the
month's misses and tell the people who pressed 🔔.

One reload runs at a time (a second is told to wait, not queued). A refused reload offers a
button to force it; the button expires with the next reload. The inbox (inbox.py) runs the
same `guarded_reload` after each action; an admin's uploaded document (documents.py) runs
its core, `gate_and_promote`, on the candidate built with the new article.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot import render
from bot.answer import Answerer, Hit, KnowledgeError
from bot.gate import OUT_OF_SCOPE, Failure, GateResult, cases, run_gate
from bot.querylog import Subscription, similarity_key
from bot.rebuild import Candidate, discard, prepare_candidate, promote
from bot.telegram.admin_text import say
from bot.telegram.replies import in_answering_thread, send_html
from bot.telegram.state import BotState, bot_state, prepare

log = logging.getLogger(__name__)

RELOAD_KEY = "reload"
FORCE_PREFIX = "rl:"
LISTED_FAILURES = 15  # a refusal lists at most this many, then "… and N more"
RECHECK_EXAMPLES = 3
MAX_RECHECK = 2000  # questions re-asked after a reload, newest first


@dataclass
class ReloadState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    generation: int = 0  # reloads that went live; inbox cards and force buttons carry it
    force_offers: dict[str, int] = field(default_factory=dict)  # token -> generation offered


def reload_state(application: Application) -> ReloadState:
    return application.bot_data.setdefault(RELOAD_KEY, ReloadState())


async def guarded_reload(
    application: Application, state: BotState, chat_id: int, *, force: bool = False
) -> bool:
    """Reload the fact base for the admin in `chat_id`, reporting every step; True if live."""
    bot, lang = application.bot, state.config.admin_lang
    reloading = reload_state(application)
    if reloading.lock.locked():
        await send_html(bot, chat_id, say(lang, "reload_busy"))
        return False
    async with reloading.lock:
        config = state.config
        try:
            candidate = await asyncio.to_thread(
                prepare_candidate, config.seeds_dir, config.knowledge_dir
            )
        except KnowledgeError as error:
            log.warning("reload failed, keeping the old fact base: %s", error)
            reason = render.escape(str(error))
            await send_html(bot, chat_id, say(lang, "reload_failed", reason=reason))
            return False
        return await gate_and_promote(application, state, chat_id, candidate, force=force)


async def gate_and_promote(
    application: Application,
    state: BotState,
    chat_id: int,
    candidate: Candidate,
    *,
    force: bool = False,
    upload: list[str] | None = None,
    reply_to: int | None = None,
) -> bool:
    """The reload after its candidate is built, with the reload lock held: gate, go live,
    re-ask the misses, tell the 🔔 subscribers. True if live.

    `upload` is the summary of an admin's uploaded article (escaped HTML lines): it heads the
    report, and a refusal says the article is stored but not live. The new engine is warmed up
    in a worker thread, before it serves anyone; once live, it is asked only in the answering
    thread (replies.in_answering_thread)."""
    bot, lang = application.bot, state.config.admin_lang
    reloading = reload_state(application)
    old = state.answerer
    thumbs_up = await state.querylog.thumbs_up_answers()
    gate_cases = cases(candidate.curated, thumbs_up)
    # the running engine is asked too, so in the one thread that may ask it
    result = await in_answering_thread(lambda: run_gate(old, candidate.answerer, gate_cases))
    if not result.passed and not force:
        discard(candidate)
        token = secrets.token_hex(4)
        reloading.force_offers[token] = reloading.generation
        lines = [*upload, say(lang, "upload_not_live")] if upload else []
        lines.append(
            say(lang, "reload_refused", count=len(result.regressions), checked=result.checked)
        )
        lines += failure_lines(lang, result.regressions)
        button = InlineKeyboardButton(say(lang, "force_button"), callback_data=FORCE_PREFIX + token)
        keyboard = InlineKeyboardMarkup([[button]])
        await send_html(bot, chat_id, "\n".join(lines), keyboard=keyboard, reply_to=reply_to)
        return False
    fresh = candidate.answerer
    try:
        await asyncio.to_thread(prepare, fresh)
        await asyncio.to_thread(promote, candidate, state.config.knowledge_dir)
    finally:
        discard(candidate)  # nothing left once promoted; the staging folder if it failed
    state.answerer = fresh  # one assignment: each update sees either the old or the new
    reloading.generation += 1
    reloading.force_offers.clear()
    log.info("reloaded the fact base from %s", state.config.knowledge_dir)
    report = done_report(state, fresh, result, candidate.rebuilt)
    await send_html(bot, chat_id, "\n".join([*(upload or []), report]), reply_to=reply_to)
    await recheck_misses(bot, state, fresh, chat_id)
    told = await notify_subscribers(bot, state, fresh)
    if told:
        await send_html(bot, chat_id, say(lang, "notified", count=told))
    return True


def done_report(state: BotState, fresh: Answerer, result: GateResult, rebuilt: bool) -> str:
    lang = state.config.admin_lang
    factbase = fresh.factbase
    lines = [
        say(
            lang,
            "reload_done",
            folder=render.escape(str(state.config.knowledge_dir)),
            stories=len(factbase.stories),
            facts=len(factbase.facts),
            rebuilt=say(lang, "rebuilt") if rebuilt else "",
        )
    ]
    if result.regressions:
        lines.append(say(lang, "reload_forced", count=len(result.regressions)))
        lines += failure_lines(lang, result.regressions)
    else:
        lines.append(say(lang, "gate_passed", checked=result.checked))
    if result.failing:
        lines.append(say(lang, "still_failing", count=len(result.failing)))
        lines += failure_lines(lang, result.failing)
    return "\n".join(lines)


def failure_lines(lang: str, failures: list[Failure]) -> list[str]:
    """One line per failure: which question, what it should answer, what it answers now."""
    lines = []
    for failure in failures[:LISTED_FAILURES]:
        case = failure.case
        kind = say(lang, f"kind_{case.kind}")
        question = render.escape(render.shorten(case.question, 40))
        got = (
            render.escape(render.shorten(failure.got, 40))
            if failure.got
            else say(lang, "not_found")
        )
        if case.kind == OUT_OF_SCOPE:
            line = say(lang, "expected_none", question=question, got=got)
        else:
            expected = render.escape(render.shorten(case.answer, 40))
            line = say(lang, "expected_answer", question=question, expected=expected, got=got)
        lines.append(f"• [{kind}] {line}")
    if len(failures) > LISTED_FAILURES:
        lines.append(say(lang, "more", count=len(failures) - LISTED_FAILURES))
    return lines


async def recheck_misses(bot: Bot, state: BotState, fresh: Answerer, chat_id: int) -> None:
    """Re-ask the misses of the last BOT_RECHECK_DAYS and say how many are answered now."""
    lang, days = state.config.admin_lang, state.config.recheck_days
    questions = await state.querylog.missed_questions(days, limit=MAX_RECHECK)
    if not questions:
        return

    def answered() -> list[tuple[str, str]]:
        now = []
        for question in questions:
            top = fresh.ask(question).top
            if top:
                now.append((question, top.answer))
        return now

    now_answered = await in_answering_thread(answered)
    lines = [say(lang, "recheck", days=days, total=len(questions), answered=len(now_answered))]
    for question, answer in now_answered[:RECHECK_EXAMPLES]:
        lines.append(
            f"• {render.escape(render.shorten(question, 40))} → "
            f"{render.escape(render.shorten(answer, 60))}"
        )
    await send_html(bot, chat_id, "\n".join(lines))


async def notify_subscribers(bot: Bot, state: BotState, fresh: Answerer) -> int:
    """One message to each 🔔 whose question is now answered; returns how many were sent.

    Each subscription is marked before its message goes out, so no question is ever told
    twice, even if sending fails. A user who pressed 🔔 on two wordings of one question gets
    one message.
    """
    pending = await state.querylog.pending_subscriptions()

    def answers() -> list[tuple[Subscription, Hit]]:
        return [(sub, top) for sub in pending if (top := fresh.ask(sub.question).top)]

    told: set[tuple[int, str]] = set()
    messages: list[tuple[Subscription, str]] = []
    for sub, top in await in_answering_thread(answers):
        state.querylog.mark_notified(sub.query_id)
        key = (sub.user_id, similarity_key(sub.question))
        if key not in told:
            told.add(key)
            messages.append((sub, render.now_answered_html(sub.question, top)))
    await state.querylog.flush()
    for sub, markup in messages:
        try:
            await send_html(bot, sub.chat_id, markup)
        except TelegramError as error:  # blocked the bot, deleted the chat …
            log.info("could not tell user %s their question is answered: %s", sub.user_id, error)
    return len(messages)


async def on_force(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "force the reload anyway" button under a refusal."""
    query = update.callback_query
    state = bot_state(context)
    lang = state.config.admin_lang
    user_id = query.from_user.id if query.from_user else None
    if user_id not in state.config.admin_ids:
        await query.answer(say(lang, "not_admin"), show_alert=True)
        return
    reloading = reload_state(context.application)
    token = (query.data or "").removeprefix(FORCE_PREFIX)
    if reloading.force_offers.get(token) != reloading.generation:
        await query.answer(say(lang, "stale"), show_alert=True)
        return
    if reloading.lock.locked():
        await query.answer(say(lang, "reload_busy"), show_alert=True)
        return
    reloading.force_offers.pop(token, None)
    await query.answer()
    await guarded_reload(context.application, state, query.message.chat.id, force=True)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(on_force, pattern=f"^{FORCE_PREFIX}"))
