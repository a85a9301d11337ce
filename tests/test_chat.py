"""`python -m bot chat`: the terminal chat answers like the bot, logs, and exits cleanly."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from test_telegram_app import KNOWLEDGE_DIR, ROOT, log_rows, shared_answerer

from bot import chat, render

ANSWERED = "伟力得的总部在哪里？"
UNANSWERED = "峨眉山的猴子吃什么？"


def run_chat(stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=ROOT,
        input=stdin,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_piped_questions_are_answered_logged_and_quit_stops(tmp_path: Path):
    db = tmp_path / "chat.db"
    stdin = f"{ANSWERED}\n\n{UNANSWERED}\nhelp\nquit\n{ANSWERED}\n"
    result = run_chat(stdin, {"BOT_DB_PATH": str(db), "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR)})
    assert result.returncode == 0, result.stderr
    answerer = shared_answerer()
    answered = render.to_plain(render.answer_html(answerer.ask(ANSWERED)))
    assert answered in result.stdout  # the bot's own reply text, without markup
    assert "<b>" not in result.stdout
    assert f"没有找到「{UNANSWERED}」的答案" in result.stdout
    for hit in answerer.ask(UNANSWERED).suggestions:  # buttons become a list
        assert f"• {render.shorten(hit.answer, 60)}" in result.stdout
    assert answerer.factbase.stories[0].title in result.stdout  # help
    assert result.stdout.count("来源") >= 1
    rows = log_rows(db)
    assert [(r["surface"], r["raw_text"], r["found"]) for r in rows] == [
        ("chat", ANSWERED, 1),
        ("chat", UNANSWERED, 0),
    ]


def test_end_of_input_ends_the_chat(database: Path | str):
    stdin, stdout = io.StringIO(f"{ANSWERED}\n"), io.StringIO()
    asyncio.run(chat.chat(shared_answerer(), database, stdin, stdout))
    assert "来源" in stdout.getvalue()
    assert chat.PROMPT not in stdout.getvalue()  # no prompt when input is not a terminal
    assert len(log_rows(database)) == 1


def test_missing_knowledge_dir_is_a_clear_error(tmp_path: Path):
    result = run_chat("", {"BOT_KNOWLEDGE_DIR": str(tmp_path / "nowhere")})
    assert result.returncode == 1
    assert "nowhere" in result.stderr and "python -m bot build" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_knowledge_says_which_file(tmp_path: Path, monkeypatch, capsys):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    (knowledge / "entities.yaml").write_text("- name: [\n", "utf-8")
    monkeypatch.setenv("BOT_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("BOT_DB_PATH", str(tmp_path / "q.db"))
    assert chat.main([]) == 1
    assert "entities.yaml" in capsys.readouterr().err
    assert not (tmp_path / "q.db").exists()


def test_the_short_answer_comes_first(tmp_path: Path):
    stdin = io.StringIO("伟力得的副总经理是谁？\n乐山有哪些关键共性技术做到了行业领先？\n")
    stdout = io.StringIO()
    asyncio.run(chat.chat(shared_answerer(), tmp_path / "q.db", stdin, stdout))
    replies = stdout.getvalue().split("\n\n")
    assert replies[0].splitlines()[1] == "朱晓星（伟力得副总经理）"  # after the greeting line
    assert replies[1].startswith("共3项：\n• 高纯晶硅制备\n• 医用同位素研发\n• 稀土循环分离")
