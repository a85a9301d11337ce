"""From a question to a sent reply: rate limit, answer (typing if slow), send, log.

Private chats, groups and the /start example buttons all answer through `answer_question`,
so they format, log and limit the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from telegram import Bot, Chat, InlineKeyboardMarkup, Message, ReplyParameters, User
from telegram.constants import ChatAction
from telegram.error import NetworkError
from telegram.ext import ContextTypes

from bot import render
from bot.answer import Answer
from bot.querylog import query_record
from bot.short_answer import add_short_answers
from bot.telegram.keyboards import answer_keyboard, ask_privately_keyboard, suggestions_keyboard
from bot.telegram.ratelimit import Verdict
from bot.telegram.state import bot_state

log = logging.getLogger(__name__)
T = TypeVar("T")

# The typing indicator costs a call from the same 30-a-second budget as the answers, so it
# is shown only for an answer that takes longer than this to work out.
TYPING_AFTER_S = 0.5
# Every question the bot answers is worked out in this one thread: off the event loop, so
# the loop can show the indicator meanwhile, and never two at once, as the engine's caches
# are not thread-safe. More threads would not be faster: the work is CPU-bound under the GIL.
ANSWERING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answering")


async def in_answering_thread(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(ANSWERING, work)


async def send_html(
    bot: Bot,
    chat_id: int,
    markup: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send `markup`, split to Telegram's length limit; the keyboard goes under the last part."""
    parts = render.split_html(markup)
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    sent: Message | None = None
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        sent = await bot.send_message(
            chat_id,
            part,
            reply_markup=keyboard if last else None,
            reply_parameters=reply if n == 0 else None,
        )
    assert sent is not None  # split_html returns at least one part
    return sent


async def show_typing(bot: Bot, chat_id: int) -> None:
    """The "typing…" indicator. Cosmetic, so a network error here must not cost the answer."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except NetworkError as error:
        log.info("no typing indicator for chat %s: %s", chat_id, error)


async def answer_showing_typing(bot: Bot, chat_id: int, ask: Callable[[], Answer]) -> Answer:
    """`ask()` in the answering thread; "typing…" if it runs longer than TYPING_AFTER_S.

    The time counts from when the work starts, not from when it was queued behind other
    questions: under load each answer is still quick, and the budget goes to the answers."""
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def work() -> Answer:
        loop.call_soon_threadsafe(started.set)
        return ask()

    job = loop.run_in_executor(ANSWERING, work)
    await started.wait()
    done, _ = await asyncio.wait({job}, timeout=TYPING_AFTER_S)
    if not done:
        await show_typing(bot, chat_id)
    return await job


async def answer_question(
    context: ContextTypes.DEFAULT_TYPE,
    *,
    chat: Chat,
    user: User,
    question: str,
    surface: str,
    reply_to: int | None = None,
) -> None:
    """Answer `question` from `user` in `chat`, on `surface` ("private" or "group").

    Groups get the stricter threshold, no suggestions, and a link to ask privately instead.
    """
    started = time.perf_counter()
    state = bot_state(context)
    verdict = await state.limiter.verdict_for(user.id)
    if verdict is not Verdict.ALLOW:
        state.querylog.record_event("rate_limited", user.id, chat.id, question[:200])
        if verdict is Verdict.REFUSE_AND_WARN:
            await send_html(
                context.bot,
                chat.id,
                render.rate_limited_html(state.limiter.limit),
                reply_to=reply_to,
            )
        return

    in_group = surface == "group"
    answerer = state.answerer  # read once: a /reload may replace it meanwhile
    answer = await answer_showing_typing(
        context.bot,
        chat.id,
        lambda: add_short_answers(
            answerer.ask(question, strict=in_group), answerer.factbase, answerer.policy
        ),
    )
    markup = render.answer_html(answer, in_group=in_group)
    # logged latency: from the question arriving to the reply being ready to send
    latency_ms = round((time.perf_counter() - started) * 1000)
    row = query_record(
        question,
        answer,
        surface=surface,
        latency_ms=latency_ms,
        user_id=user.id,
        chat_id=chat.id,
        chat_type=chat.type,
    )

    if answer.top:
        keyboard = answer_keyboard(answer.top.fact_id, row.id)
    elif in_group:
        keyboard = ask_privately_keyboard(context.bot.username, question)
    else:
        bell = row.id if answer.normalised else None  # nothing to tell about an empty one
        keyboard = suggestions_keyboard(answer.suggestions, bell)
    await send_html(context.bot, chat.id, markup, keyboard=keyboard, reply_to=reply_to)
    # logged once sent: a send that fails is tried again later, and logs its row then
    state.querylog.record(row)
