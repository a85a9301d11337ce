"""`python -m bot COMMAND …`: each command lives in its own module with a `main(argv)`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "build": ("bot.facts.build", "turn seeds/ into the fact base in knowledge/"),
    "ask": ("bot.ask", "answer one question, or a JSONL batch with --jsonl"),
    "chat": ("bot.chat", "a terminal chat with the bot, no Telegram needed"),
    "run": ("bot.telegram.app", "run the Telegram bot (long polling, or webhook)"),
    "logs": ("bot.logs", "review the query log: stats, unanswered, export"),
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
    module = importlib.import_module(COMMANDS[name][0])
    return module.main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
