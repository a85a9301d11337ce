"""`python -m bot chat`: talk to the bot in a terminal, no Telegram needed.

It answers with the same text the Telegram bot sends (render.py, shown without markup) and
logs each question to the query log with surface "chat". Reads stdin line by line, so
piped input works too; stops at end of input, "exit" or "quit".
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from bot import render
from bot.answer import Answerer, KnowledgeError, load_answerer
from bot.config import load_config
from bot.querylog import QueryLog, query_record
from bot.short_answer import add_short_answers
from bot.store import DatabaseError

EXIT_WORDS = {"exit", "quit", "退出"}
HELP_WORDS = {"help", "/help", "帮助"}
PROMPT = "问> "
GREETING = "乐山新闻问答（终端版）。输入问题后回车；help 列出文章；exit 或 quit 退出。"


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(
        prog="python -m bot chat",
        description="Chat with the bot in this terminal. Reads BOT_KNOWLEDGE_DIR and "
        "DATABASE_URL or BOT_DB_PATH from the environment.",
    ).parse_args(argv)
    config = load_config()
    if config is None:
        return 2
    if not config.knowledge_dir.is_dir():
        print(
            f"error: no fact base: {config.knowledge_dir} is not a directory.\n"
            "Build it with `python -m bot build`, or point BOT_KNOWLEDGE_DIR at it.",
            file=sys.stderr,
        )
        return 1
    try:
        answerer = load_answerer(config.knowledge_dir)
    except KnowledgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        asyncio.run(chat(answerer, config.database, sys.stdin, sys.stdout))
    except DatabaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the query log was flushed on the way out
        print(file=sys.stdout)
        return 130
    return 0


async def chat(answerer: Answerer, database: Path | str, stdin: TextIO, stdout: TextIO) -> None:
    """The read-answer-print loop; the prompt is shown only to a person at a terminal."""
    interactive = stdin.isatty()
    lines: asyncio.Queue[str] = asyncio.Queue()
    reader = threading.Thread(
        target=feed_lines, args=(stdin, asyncio.get_running_loop(), lines), daemon=True
    )
    async with QueryLog(database) as querylog:
        print(GREETING, file=stdout, flush=True)
        reader.start()
        while True:
            if interactive:
                print(PROMPT, end="", file=stdout, flush=True)
            line = await lines.get()
            question = line.strip()
            if not line or question.casefold() in EXIT_WORDS:
                break
            if not question:
                continue
            if question.casefold() in HELP_WORDS:
                reply = render.help_html(answerer.factbase.stories)
            else:
                reply = answer(answerer, querylog, question)
            print(render.to_plain(reply), end="\n\n", file=stdout, flush=True)


def feed_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue) -> None:
    """Read stdin in a daemon thread, so a blocked read never holds up Ctrl-C or exit."""
    try:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")  # end of input
    except RuntimeError:  # the loop closed first: the chat is over
        return


def answer(answerer: Answerer, querylog: QueryLog, question: str) -> str:
    """The reply to one question, as HTML, logged with surface "chat"."""
    started = time.perf_counter()
    result = add_short_answers(answerer.ask(question), answerer.factbase, answerer.policy)
    reply = render.answer_html(result)
    if not result.found and result.suggestions:
        reply += "\n" + render.suggestions_html(result.suggestions)
    latency_ms = round((time.perf_counter() - started) * 1000)
    querylog.record(query_record(question, result, surface="chat", latency_ms=latency_ms))
    return reply
