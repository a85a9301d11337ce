"""`python -m bot COMMAND …`: each command lives in its own module with a `main(argv)`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "build": ("bot.facts.build", "turn seeds/ into the fact base in knowledge/"),
    "ask": ("bot.ask", "answer one question, or a JSONL batch with --jsonl"),
    "chat": ("bot.chat", "a terminal chat with the bot, no Telegram needed"),
    "train": ("bot.answer.train", "fit the answer model: knowledge/answer_model.json"),
    "run": ("bot.telegram.app", "run the Telegram bot (long polling, or webhook)"),
    "logs": ("bot.logs", "review the query log: stats, unanswered, export"),
    "add": ("bot.articles:add_main", "add articles (.txt .md .html .pdf) and update the facts"),
    "remove": ("bot.articles:remove_main", "take an article and its facts out"),
    "list": ("bot.articles:list_main", "list the articles"),
    "check": ("bot.gate", "the reload's regression gate, from the shell (exit 1: regression)"),
}


def usage() -> str:
    lines = ["usage: python -m bot COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<6} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, _, function = COMMANDS[name][0].partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, function or "main")(rest)


if __name__ == "__main__":
    raise SystemExit(main())
