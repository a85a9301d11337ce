"""`python -m bot ask`: the JSON answer and the JSONL batch contract the evaluation relies on."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answer import load_answerer
from bot.ask import main, run_batch

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
KEYS = {"id", "q", "found", "answer", "entity", "source", "score", "results", "suggestions"}
SOURCE_KEYS = {"file", "title", "publication", "date"}


@pytest.fixture(scope="module")
def answerer():
    return load_answerer(KNOWLEDGE)


def batch(answerer, *lines):
    out = io.StringIO()
    run_batch(answerer, io.StringIO("".join(line + "\n" for line in lines)), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def ask_line(qid, question):
    return json.dumps({"id": qid, "q": question}, ensure_ascii=False)


def test_one_output_line_per_input_line_in_order_with_ids(answerer):
    questions = ["伟力得的副总经理叫什么名字", "麻婆豆腐怎么做", "夹江核技术应用产业园总投资多少"]
    results = batch(answerer, *(ask_line(f"q{n}", q) for n, q in enumerate(questions)))
    assert [r["id"] for r in results] == ["q0", "q1", "q2"]
    assert [r["q"] for r in results] == questions
    assert [r["found"] for r in results] == [True, False, True]


def test_found_answer_has_the_contract_keys(answerer):
    (result,) = batch(answerer, ask_line(7, "伟力得的副总经理叫什么名字"))
    assert set(result) >= KEYS
    assert result["id"] == 7
    assert "朱晓星" in result["answer"]
    assert set(result["source"]) >= SOURCE_KEYS
    assert result["source"]["file"].startswith("001_")
    assert result["entity"] == "四川伟力得能源股份有限公司"
    assert 0 < result["score"] <= 100
    assert 1 <= len(result["results"]) <= 5
    assert result["results"][0]["answer"] == result["answer"]
    assert all({"answer", "source", "score"} <= set(r) for r in result["results"])


def test_not_found_answer_has_the_contract_keys(answerer):
    (result,) = batch(answerer, ask_line("oos", "乐山明天会下雨吗？"))
    assert set(result) >= KEYS
    assert result["found"] is False
    assert result["answer"] == ""
    assert result["source"] is None
    assert result["results"] == []
    assert len(result["suggestions"]) <= 3
    assert all(isinstance(s, str) for s in result["suggestions"])


def test_bad_lines_get_an_error_and_the_batch_continues(answerer):
    results = batch(
        answerer,
        "this is not json",
        json.dumps({"id": "no-q"}),
        json.dumps(["q", "伟力得"]),
        ask_line("ok", "伟力得的副总经理叫什么名字"),
    )
    assert len(results) == 4
    assert all(set(r) == {"error", "line", "id"} for r in results[:3])
    assert [r["line"] for r in results[:3]] == [1, 2, 3]
    assert "line 1" in results[0]["error"]
    assert "line 2" in results[1]["error"]
    assert results[1]["id"] == "no-q"  # readable, so echoed
    assert results[3]["id"] == "ok" and results[3]["found"] is True


def test_missing_id_is_echoed_as_null(answerer):
    (result,) = batch(answerer, json.dumps({"q": "伟力得的副总经理叫什么名字"}, ensure_ascii=False))
    assert result["id"] is None
    assert result["found"] is True


def test_empty_question_line_answered_not_found(answerer):
    (result,) = batch(answerer, ask_line("empty", ""))
    assert result["found"] is False
    assert result["notice"]


def test_blank_input_lines_get_an_error_line_each(answerer):
    results = batch(answerer, "", ask_line(1, "伟力得的副总经理叫什么名字"), "   ")
    assert [r.get("line") for r in results] == [1, None, 3]
    assert results[1]["id"] == 1 and results[1]["found"] is True


# The three inputs that used to abort a batch with a traceback and no output line.
DEEP_JSON = b"[" * 1000 + b"]" * 1000
LONE_SURROGATE_ID = b'{"id": "\\ud800", "q": "\xe4\xbc\x9f\xe5\x8a\x9b\xe5\xbe\x97"}'
INVALID_UTF8 = b'{"id": "bad", "q": "\xff\xfe\xe4\xbc"}'


def batch_bytes(answerer, *lines: bytes) -> list[bytes]:
    out = io.BytesIO()
    run_batch(answerer, io.BytesIO(b"".join(line + b"\n" for line in lines)), out)
    return out.getvalue().splitlines()


@pytest.mark.parametrize(
    ("line", "message", "qid"),
    [
        (DEEP_JSON, "nested too deeply", None),
        (LONE_SURROGATE_ID, "lone surrogate", "\\ud800"),
        (INVALID_UTF8, "not UTF-8", None),
    ],
)
def test_a_line_that_crashed_the_batch_gets_an_error_line(answerer, line, message, qid):
    good = ask_line("ok", "伟力得的副总经理叫什么名字").encode()
    out = batch_bytes(answerer, good, line, good)
    assert len(out) == 3
    results = [json.loads(raw.decode("utf-8")) for raw in out]  # strict UTF-8 throughout
    assert results[1]["line"] == 2 and message in results[1]["error"]
    assert results[1]["id"] == qid
    assert results[0]["found"] is True and results[2]["found"] is True


def test_cli_batch_writes_one_valid_utf8_line_per_input_line():
    lines = [DEEP_JSON, LONE_SURROGATE_ID, INVALID_UTF8, b"", ask_line(9, "伟力得").encode()]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl"],
        cwd=ROOT,
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},  # the output must not depend on it
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
    out = result.stdout.decode("utf-8").splitlines()
    assert len(out) == len(lines)
    assert [json.loads(line).get("line") for line in out] == [1, 2, 3, 4, None]
    assert json.loads(out[4])["id"] == 9
    assert b"Traceback" not in result.stderr


def test_cli_json_prints_one_object():
    env = {**os.environ, "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "伟力得的副总经理叫什么名字"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.strip().splitlines()
    result = json.loads(line)
    assert set(result) >= KEYS
    assert result["found"] is True
    assert "朱晓星" in result["answer"]
    assert done.stderr == ""  # jieba's dictionary-loading messages stay quiet


def test_ask_with_a_missing_knowledge_folder_fails_clearly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BOT_KNOWLEDGE_DIR", str(tmp_path / "nowhere"))
    assert main(["--json", "伟力得"]) == 1
    out, err = capsys.readouterr()
    assert "nowhere" in err
    assert out == ""


def test_a_bad_setting_is_a_clear_message_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "伟力得是做什么的"],
        cwd=ROOT,
        env={**os.environ, "PORT": "abc"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "PORT" in result.stderr and "Traceback" not in result.stderr
