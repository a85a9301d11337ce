"""`python -m bot ask`: one question, readable or as JSON, or a JSONL batch (the eval contract)."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, BinaryIO, TextIO

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
    return add_short_answers(answerer.ask(question), answerer.factbase, answerer.policy)


def readable(answer: Answer) -> str:
    """The same text the bot sends, without its HTML."""
    from bot.render import answer_html, to_plain

    return to_plain(answer_html(answer))


def run_batch(answerer: Answerer, lines: Iterable[bytes | str], out: BinaryIO | TextIO) -> None:
    """Exactly one JSON line out for every line in, in order, whatever the line holds.

    A line that is not UTF-8, not JSON (nested too deep included), not an object with a "q"
    string, or blank, gets {"error", "line", "id"}: the 1-based line number, and the id when
    it could be read. Every line written is valid UTF-8: a result that cannot be (a lone
    surrogate in the id or question) becomes an error object too, its id escaped.
    """
    for number, line in enumerate(lines, start=1):
        result = batch_result(answerer, line, number)
        text = _json_line(result, number)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            error = "the id or question holds a lone surrogate, which is not valid Unicode"
            data = _json_line(_error(number, error, _escaped(result.get("id"))), number).encode()
        if isinstance(out, io.TextIOBase):
            out.write(data.decode("utf-8"))
        else:
            out.write(data)
        out.flush()


def batch_result(answerer: Answerer, line: bytes | str, number: int) -> dict[str, Any]:
    """The output object for one input line (see run_batch)."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _error(number, f"not UTF-8 ({exc.reason} at byte {exc.start})", None)
    if not line.strip():
        return _error(number, "empty line", None)
    try:
        item = json.loads(line)
    except RecursionError:
        return _error(number, "JSON nested too deeply", None)
    except ValueError as exc:
        return _error(number, str(exc), None)
    qid = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        return _error(number, 'expected an object with a "q" string', qid)
    return answer_json(ask(answerer, item["q"]), qid)


def _error(number: int, message: str, qid: Any) -> dict[str, Any]:
    return {"error": f"line {number}: {message}", "line": number, "id": qid}


def _json_line(result: dict[str, Any], number: int) -> str:
    try:
        return json.dumps(result, ensure_ascii=False) + "\n"
    except (RecursionError, ValueError):  # an id nested too deeply to write back
        return json.dumps(_error(number, "the id cannot be written back", None)) + "\n"


def _escaped(value: Any) -> Any:
    """`value` with lone surrogates written as \\udxxx text, so that it encodes as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    return value


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
    if args.jsonl:  # bytes in and out: a bad line must not stop the batch, nor the encoding
        sys.stdout.flush()
        run_batch(answerer, sys.stdin.buffer, sys.stdout.buffer)
    elif args.json:
        print(json.dumps(answer_json(ask(answerer, args.question)), ensure_ascii=False))
    else:
        print(readable(ask(answerer, args.question)))
    return 0
