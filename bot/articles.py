"""`python -m bot add PATH…`, `python -m bot remove NAME`, `python -m bot list`.

Adding reads each document (bot.corpus.ingest), stores it under seeds/ (bot.corpus.library),
rebuilds the fact base incrementally (bot.facts.build) and says what changed, with example
questions the engine now answers from the new article. If the build fails, the articles folder
is put back as it was and the previous fact base stays: nothing is half-done. The Telegram
upload (bot/telegram/documents.py) stores with the same `store_documents`, then goes through
the guarded reload, which builds, gates and only then puts the new fact base live.
"""

from __future__ import annotations

import argparse
import fcntl
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.corpus import CorpusError
from bot.corpus.ingest import Article, IngestError, read_document, read_path
from bot.corpus.library import (
    SeedsSnapshot,
    article_name,
    content_key,
    find_article,
    list_articles,
    present_keys,
    remove_article,
    store_articles,
    stored_text,
)
from bot.corpus.stories import read_article
from bot.facts.build import CACHE_DIR, BuildReport, build_report
from bot.facts.extract import make_facts
from bot.facts.model import Fact
from bot.facts.parse import FULL_DATE, NUMBER
from bot.facts.store import KnowledgeError

if TYPE_CHECKING:
    from bot.answer import Answerer

EXAMPLE_COUNT = 3
EXAMPLE_ENGINE_FACTS = 50_000  # above this many facts, examples are checked on the new ones
CLAUSE = re.compile(r"[^，。；：！？—]+")
WHEN = re.compile(rf"(?P<date>{FULL_DATE.pattern})，(?P<what>[^，。；！？]+)。")
Say = Callable[[str], object]


@dataclass
class Change:
    """What an add did: per document, added, already present or refused, and the totals."""

    added: list[tuple[str, Article]] = field(default_factory=list)  # (stored name, article)
    present: list[tuple[str, str]] = field(default_factory=list)  # (document, existing name)
    refused: list[str] = field(default_factory=list)  # one reason per refused document
    stories: int = 0
    facts: int = 0
    entities: list[str] = field(default_factory=list)  # names new to the fact base
    examples: list[str] = field(default_factory=list)
    new_facts: list[Fact] = field(default_factory=list)
    report: BuildReport | None = None


def add_documents(
    seeds_dir: Path,
    knowledge_dir: Path,
    documents: list[tuple[str, bytes | Path]],
    say: Say = lambda _line: None,
    examples: bool = True,
) -> Change:
    """Add (name, bytes or path) documents; raises CorpusError or KnowledgeError, with the
    articles folder restored, when the fact base cannot be rebuilt."""
    with one_at_a_time(knowledge_dir):
        return add_locked(seeds_dir, knowledge_dir, documents, say, examples)


@contextmanager
def one_at_a_time(knowledge_dir: Path) -> Iterator[None]:
    """One add or remove at a time, across processes (the bot and the command line): two
    interleaved would each rebuild from a seeds/ the other is changing."""
    lock_file = knowledge_dir / CACHE_DIR / "lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def add_locked(
    seeds_dir: Path,
    knowledge_dir: Path,
    documents: list[tuple[str, bytes | Path]],
    say: Say,
    examples: bool,
) -> Change:
    change, snapshot = store_documents(seeds_dir, documents)
    if snapshot is None:
        return change
    try:
        report = build_report(seeds_dir, knowledge_dir, say=say)
    except BaseException:
        snapshot.restore(seeds_dir)
        raise
    summarise(change, report)
    if examples and change.new_facts:
        names = {name for name, _ in change.added}
        engine = checking_engine(report, names, change.new_facts)
        change.examples = example_questions(engine, change.new_facts)
    return change


def store_documents(
    seeds_dir: Path, documents: list[tuple[str, bytes | Path]]
) -> tuple[Change, SeedsSnapshot | None]:
    """Read each document and store the new ones under seeds/, without building; returns
    what was added, present or refused, and how to undo the storing (None if nothing was
    stored). The Telegram upload builds afterwards through the guarded reload."""
    change = Change()
    known = present_keys(seeds_dir) if seeds_dir.is_dir() else {}
    for name, content in documents:
        try:
            article = (
                read_path(content) if isinstance(content, Path) else read_document(name, content)
            )
        except IngestError as exc:
            change.refused.append(str(exc))
            continue
        text = stored_text(article)
        if not make_facts(read_article(Path(name), {}, text.encode())):
            change.refused.append(f"{name}: no sentence of the text could become a fact")
            continue
        key = content_key(text)
        if key in known:
            change.present.append((name, known[key]))
            continue
        known[key] = article_name(article)
        change.added.append((article_name(article), article))
    if not change.added:
        return change, None
    return change, store_articles(seeds_dir, change.added)


def summarise(change: Change, report: BuildReport) -> None:
    """Fill in what the build that followed the storing added: stories, entities, facts."""
    change.report = report
    names = {name for name, _ in change.added}
    change.stories = sum(1 for s in report.stories if s.file in names)
    new_facts = change.new_facts = report.facts_of(names)
    change.facts = len(new_facts)
    named = {n for f in new_facts for n in f.entities}
    before = report.entities_before
    change.entities = sorted({e.name for e in report.entities} - before if before else named)


def checking_engine(report: BuildReport, names: set[str], new_facts: list[Fact]) -> Answerer:
    """The engine that checks the example questions: the bot's own, over every fact, unless
    the corpus is so large that loading it would take minutes; then one over the new articles
    (a question they answer could then, rarely, be answered from another article too)."""
    from bot.answer import Answerer
    from bot.facts.model import FactBase

    if report.fact_count <= EXAMPLE_ENGINE_FACTS:
        return Answerer(report.factbase)
    stories = [s for s in report.stories if s.file in names]
    return Answerer(FactBase(stories=stories, entities=report.entities, facts=new_facts))


def example_questions(answerer: Answerer, new_facts: list[Fact]) -> list[str]:
    """Up to EXAMPLE_COUNT questions that the engine answers from the new facts themselves."""
    found: list[str] = []
    for question, fact in candidate_questions(new_facts):
        top = answerer.ask(question).top
        if top and top.source.file == fact.source.file and question not in found:
            found.append(question)
            if len(found) == EXAMPLE_COUNT:
                break
    return found


def candidate_questions(facts: list[Fact]) -> Iterator[tuple[str, Fact]]:
    """Questions a reader might ask of these facts: who holds a role, how much or how many
    (of what the sentence names), and when something happened."""
    for fact in facts:
        for person in fact.people:
            if person.role and person.organisation:
                yield f"{person.organisation}的{person.role}是谁？", fact
    for fact in facts:
        for clause in CLAUSE.findall(fact.text):
            m = NUMBER.search(clause)
            if not m or not 8 <= len(clause) <= 40 or m.start() < 4 or m["unit"] == "年":
                continue
            asked = clause[: m.start()].rstrip("约近超达突破")
            counted = clause[m.end() :][:6]  # 120名|学生 → 多少名学生
            # who or what the clause is about, as the sentence names it (not by an alias)
            named = [e for e in fact.entities if e in fact.text and len(e) <= 10]
            subject = next((e for e in named if e not in asked), "")
            if subject or any(e in asked for e in named):
                yield f"{subject}{asked}多少{m['mult']}{m['unit']}{counted}？", fact
    for fact in facts:
        happened = WHEN.fullmatch(fact.text)
        if happened and 8 <= len(happened["what"]) <= 40:
            yield f"{happened['what']}是在哪一天？", fact


def describe(change: Change) -> list[str]:
    """The summary an admin reads, in the CLI and in Telegram."""
    lines = [f"已添加 {name}：《{a.title or '（无标题）'}》" for name, a in change.added]
    lines += [f"已存在，未改动：{doc} 即 {name}" for doc, name in change.present]
    lines += [f"未添加：{reason}" for reason in change.refused]
    if change.added:
        counts = f"报道 {change.stories} 篇、实体 {len(change.entities)} 个、事实 {change.facts} 条"
        lines.append(f"新增{counts}。")
        if change.entities:
            shown = "、".join(change.entities[:8]) + ("…" if len(change.entities) > 8 else "")
            lines.append(f"新实体：{shown}")
        if change.examples:
            lines.append("现在可以问，例如：")
            lines += [f"  · {q}" for q in change.examples]
    elif not change.refused:
        lines.append("没有新文章，知识库未改动。")
    else:
        lines.append("知识库未改动。")
    return lines


def add_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot add",
        description="Add articles (.txt, .md, .html/.htm, .pdf) to seeds/ and update the "
        "fact base.",
    )
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument(
        "--no-examples",
        action="store_true",
        help="skip finding example questions (it loads the engine over all facts: slow on "
        "a very large corpus)",
    )
    seeds_and_knowledge(parser)
    args = parser.parse_args(argv)
    knowledge_dir = knowledge_of(args)
    if knowledge_dir is None:
        return 2
    try:
        change = add_documents(
            args.seeds,
            knowledge_dir,
            [(p.name, p) for p in args.paths],
            say=print_err,
            examples=not args.no_examples,
        )
    except (CorpusError, KnowledgeError, OSError) as exc:
        print(f"add failed, nothing changed: {exc}", file=sys.stderr)
        return 1
    print("\n".join(describe(change)))
    return 1 if change.refused else 0


def remove_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot remove",
        description="Take an article out of seeds/, with its facts. NAME is its file name "
        "(as `python -m bot list` shows), a unique start of it, or its title.",
    )
    parser.add_argument("name")
    seeds_and_knowledge(parser)
    args = parser.parse_args(argv)
    knowledge_dir = knowledge_of(args)
    if knowledge_dir is None:
        return 2
    with one_at_a_time(knowledge_dir):
        try:
            path = find_article(args.seeds, args.name)
        except CorpusError as exc:
            print(f"remove failed: {exc}", file=sys.stderr)
            return 1
        snapshot = remove_article(args.seeds, path)
        try:
            report = build_report(args.seeds, knowledge_dir, say=print_err)
        except (CorpusError, KnowledgeError, OSError) as exc:
            snapshot.restore(args.seeds)
            print(f"remove failed, nothing changed: {exc}", file=sys.stderr)
            return 1
    print(
        f"removed {path.name}; the fact base now has {len(report.stories)} stories, "
        f"{len(report.entities)} entities, {report.fact_count} facts"
    )
    return 0


def list_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot list", description="List the articles.")
    seeds_and_knowledge(parser)
    args = parser.parse_args(argv)
    if knowledge_of(args) is None:
        return 2
    if not args.seeds.is_dir():
        print(f"{args.seeds}: the articles folder does not exist", file=sys.stderr)
        return 1
    listed = list_articles(args.seeds)
    for item in listed:
        meta = " ".join(x for x in (item.date, item.publication) if x)
        origin = f"  (from {item.origin})" if item.origin else ""
        print(f"{item.name}  {meta + '  ' if meta else ''}{item.title}{origin}")
    print(f"{len(listed)} articles in {args.seeds}/")
    return 0


def seeds_and_knowledge(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=Path, help="articles folder (default: BOT_SEEDS_DIR)")
    parser.add_argument("--out", type=Path, help="knowledge folder (default: BOT_KNOWLEDGE_DIR)")


def knowledge_of(args: argparse.Namespace) -> Path | None:
    """The knowledge folder, with args.seeds filled in from the environment if not given."""
    from bot.config import load_config

    config = load_config()
    if config is None:
        return None
    args.seeds = args.seeds or config.seeds_dir
    return args.out or config.knowledge_dir


def print_err(line: str) -> None:
    print(line, file=sys.stderr)
