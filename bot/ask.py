"""`python -m bot ask`: one question, readable or as JSON, or a JSONL batch (the eval contract)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from bot.answer import Answer, Answerer, Hit, KnowledgeError, load_answerer
from bot.config import Config, ConfigError
from bot.short_answer import add_short_answers


def hit_json(hit: Hit) -> dict[str, Any]:
    source = asdict(hit.source)
    return {
        "answer": hit.answer,
        "entity": hit.entity,
        "source": source,
        "score": hit.score,
        "short": hit.short,
    }


def answer_json(answer: Answer, qid: Any = None) -> dict[str, Any]:
    top = answer.top
    result = {
        "id": qid,
        "q": answer.question,
        "found": answer.found,
        "answer": top.answer if top else "",
        "entity": top.entity if top else None,
        "source": asdict(top.source) if top else None,
        "score": answer.score,
        "results": [hit_json(h) for h in answer.hits[:5]],
        "suggestions": [h.label for h in answer.suggestions],
        "notice": answer.notice,
        "short": answer.short if top else None,
    }
    if answer.items:
        result["items"] = [
            {"text": item.text, "source": asdict(item.source)} for item in answer.items
        ]
    if answer.conflict:
        result["conflict"] = True
        result["conflicting"] = [hit_json(h) for h in answer.conflict]
    return result


def ask(answerer: Answerer, question: str) -> Answer:
    """The engine's answer with its short form, list items and conflicts filled in."""
    return add_short_answers(answerer.ask(question), answerer.factbase)


def readable(answer: Answer) -> str:
    """The same text the bot sends, without its HTML."""
    from bot.render import answer_html, to_plain

    return to_plain(answer_html(answer))


def run_batch(answerer: Answerer, lines: TextIO, out: TextIO) -> None:
    """One JSON object out for every line in, in order; a bad line gets {"error": …}."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("q"), str):
                raise ValueError('expected an object with a "q" string')
        except ValueError as exc:
            result: dict[str, Any] = {"error": f"line {number}: {exc}"}
        else:
            result = answer_json(ask(answerer, item["q"]), item.get("id"))
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot ask", description=__doc__)
    parser.add_argument("question", nargs="?", help="the question, in Chinese")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print one JSON object")
    mode.add_argument("--jsonl", action="store_true", help='read {"id","q"} lines from stdin')
    args = parser.parse_args(argv)
    if not args.jsonl and args.question is None:
        parser.error("give a question, or --jsonl to read questions from stdin")
    try:
        answerer = load_answerer(Config.from_env().knowledge_dir)
    except (KnowledgeError, ConfigError) as exc:
        print(f"cannot answer: {exc}", file=sys.stderr)
        return 1
    if args.jsonl:
        run_batch(answerer, sys.stdin, sys.stdout)
    elif args.json:
        print(json.dumps(answer_json(ask(answerer, args.question)), ensure_ascii=False))
    else:
        print(readable(ask(answerer, args.question)))
    return 0
