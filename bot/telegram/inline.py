"""Inline mode: "@bot question" in any chat offers answers to send there."""

from __future__ import annotations

import time

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import InlineQueryResultLimit
from telegram.ext import Application, ContextTypes, InlineQueryHandler

from bot import render
from bot.answer import Answerer
from bot.answer.result import Answer, Hit
from bot.querylog import query_record
from bot.short_answer import add_short_answers
from bot.telegram.keyboards import start_parameter
from bot.telegram.replies import in_answering_thread
from bot.telegram.state import bot_state, example_questions

CACHE_SECONDS = 10  # short, so a /reload shows up quickly


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    started = time.perf_counter()
    inline = update.inline_query
    state = bot_state(context)
    answerer = state.answerer
    text = inline.query.strip()
    button = None
    if not text:
        results = await in_answering_thread(lambda: example_results(answerer))
    else:
        answer = await in_answering_thread(
            lambda: add_short_answers(answerer.ask(text), answerer.factbase, answerer.policy)
        )
        if answer.found:  # every result sent is one the bot would give as an answer
            sure = answerer.policy.sure_hits(answer.hits)
            results = [hit_result(n, text, hit, answer) for n, hit in enumerate(sure)]
        else:
            results = [not_found_result(answer)]
            button = InlineQueryResultsButton(
                text="💬 私聊问我", start_parameter=start_parameter(text)
            )
        latency_ms = round((time.perf_counter() - started) * 1000)
        state.querylog.record(
            query_record(
                text,
                answer,
                surface="inline",
                latency_ms=latency_ms,
                user_id=inline.from_user.id,
                chat_type=inline.chat_type,
            )
        )
    await inline.answer(results, cache_time=CACHE_SECONDS, button=button)


def hit_result(n: int, question: str, hit: Hit, answer: Answer) -> InlineQueryResultArticle:
    """One answer to choose: titled by its entity, described by its short answer and source;
    the first carries the whole answer (a list, both conflicting values)."""
    content = render.inline_answer_html(question, hit, answer if n == 0 else None)
    return InlineQueryResultArticle(
        id=result_id(f"{n}-{hit.fact_id}"),
        title=hit.label,
        description=inline_description(hit),
        input_message_content=InputTextMessageContent(content),
    )


def example_results(answerer: Answerer) -> list[InlineQueryResultArticle]:
    """For an empty query: example questions, each sending its answer."""
    results = []
    for n, question in enumerate(example_questions(answerer)):
        top = add_short_answers(answerer.ask(question), answerer.factbase, answerer.policy).top
        if top:
            results.append(
                InlineQueryResultArticle(
                    id=result_id(f"ex{n}-{top.fact_id}"),
                    title=question,
                    description=f"{top.label} · {top.source.citation()}",
                    input_message_content=InputTextMessageContent(
                        render.inline_answer_html(question, top)
                    ),
                )
            )
    return results


def inline_description(hit: Hit) -> str:
    """The short answer first, when there is one, then the source and the sentence."""
    short = f"{render.shorten(hit.short, 40)} · " if hit.short else ""
    return f"{short}{hit.source.citation()}\n{render.shorten(hit.answer, 80)}"


def not_found_result(answer: Answer) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id="none",
        title="没有找到答案",
        description="这些新闻文章里没有写到。可以点上方按钮私聊我换个问法。",
        input_message_content=InputTextMessageContent(render.answer_html(answer, in_group=True)),
    )


def result_id(text: str) -> str:
    if len(text.encode()) > InlineQueryResultLimit.MAX_ID_LENGTH:
        raise ValueError(f"inline result id {text!r} is too long")
    return text


def register(application: Application) -> None:
    application.add_handler(InlineQueryHandler(inline_query))
