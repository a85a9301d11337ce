"""Adding articles: saved news pages, PDFs and text files become facts; clutter and bad input
do not; the incremental build gives the bytes of a full one."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.articles import add_documents, describe
from bot.corpus.ingest import IngestError, read_document, read_path
from bot.facts.build import build
from bot.facts.store import load_factbase

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PAGES = Path(__file__).resolve().parent / "data" / "pages"
ARTICLE_000 = "000_f791c31033d50d22.txt"
GENERATED = ("stories.yaml", "entities.yaml", "facts.yaml")

# Each saved page: its metadata, sentences of its story, and clutter around the story.
PAGES_EXPECTED = {
    "leshan_daily_tea.html": {
        "title": "沐川县茶叶加工园区正式投产",
        "publication": "乐山日报",
        "date": "2025-03-18",
        "author": "王晓燕",
        "story": [
            "园区全面达产后年加工干茶能力达到5000吨",
            "全县茶园面积已发展到18万亩",
        ],
        "clutter": ["版权", "热点推荐", "相关新闻", "乐山大佛景区推出夜游新线路", "ICP", "登录"],
    },
    "sichuan_daily_hydrogen.html": {
        "title": "五通桥区氢能产业园首个项目开工",
        "publication": "四川日报",
        "date": "2025-01-08",
        "author": "",
        "story": ["总投资15亿元", "形成百亿级氢能产业集群"],
        "clutter": [
            "人民网",
            "版 权",
            "Copyright",
            "推荐阅读",
            "热门排行",
            "责编",
            "四川多地迎来降雪",
        ],
    },
    "jiajiang_gov_paper.html": {
        "title": "夹江县手工造纸技艺传承基地挂牌",
        "publication": "夹江县文化广播电视和旅游局",
        "date": "2025-05-20",
        "author": "",
        "story": ["书画纸年产量约3万吨", "可同时容纳120名学生研学"],
        "clutter": [
            "打印本页",
            "上一篇",
            "下一篇",
            "主办单位",
            "网站标识码",
            "政务公开",
            "中国政府网",
        ],
    },
}

PDF_LINES = [  # a newspaper column: lines break mid-sentence, as a PDF's text layer does
    "犍为县茉莉花茶产业园扩建完工",
    "本报讯 9月2日，犍为县茉莉花茶产业园扩建工程",
    "完工，新增窨制车间8000平方米。",
    "产业园由四川芳华茶业有限公司运营，扩建后",
    "年加工茉莉花茶能力达到3500吨。",
    "犍为县茉莉花种植面积已达到6.5万亩，带动",
    "花农2.1万户，户均年增收4800元。",
]


def make_pdf(path: Path, lines: list[str], title: str = "") -> Path:
    """A PDF with a text layer in reportlab's built-in Chinese font (no system font needed)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    if title:
        page.setTitle(title)
    page.setFont("STSong-Light", 11)
    for number, line in enumerate(lines):
        page.drawString(40, 800 - 18 * number, line)
    page.save()
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A page with only shapes on it: what a scan without OCR looks like to a reader."""
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path))
    for row in range(20):
        page.rect(40, 780 - 30 * row, 500, 12, fill=1)
    page.save()
    return path


def snapshot(*folders: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


@pytest.fixture
def corpus(tmp_path):
    """One seed article, built: a small corpus to add to."""
    seeds, knowledge = tmp_path / "seeds", tmp_path / "knowledge"
    seeds.mkdir()
    shutil.copy(SEEDS / ARTICLE_000, seeds)
    build(seeds, knowledge, say=lambda _line: None)
    return seeds, knowledge


# Saved news pages


@pytest.mark.parametrize("page", sorted(PAGES_EXPECTED))
def test_a_saved_page_gives_its_story_title_date_and_publication_without_clutter(page):
    expected = PAGES_EXPECTED[page]
    article = read_path(PAGES / page)
    assert article.title == expected["title"]
    assert article.publication == expected["publication"]
    assert article.date == expected["date"]
    assert article.author == expected["author"]
    for sentence in expected["story"]:
        assert sentence in article.text
    for clutter in expected["clutter"]:
        assert clutter not in article.text, clutter


def test_added_pages_story_sentences_become_facts_and_clutter_does_not(corpus):
    seeds, knowledge = corpus
    change = add_documents(seeds, knowledge, [(p, PAGES / p) for p in sorted(PAGES_EXPECTED)])
    assert not change.refused and len(change.added) == 3
    factbase = load_factbase(knowledge)
    for page, expected in PAGES_EXPECTED.items():
        (name,) = [n for n, a in change.added if a.origin == page]
        facts = [f for f in factbase.facts if f.source.file == name]
        texts = "\n".join(f.text for f in facts)
        for sentence in expected["story"]:
            assert sentence in texts
        for clutter in expected["clutter"]:
            assert clutter not in texts, clutter
        (story,) = [s for s in factbase.stories if s.file == name]
        assert (story.title, story.publication, story.date) == (
            expected["title"],
            expected["publication"],
            expected["date"],
        )
        assert all(f.source.date == expected["date"] for f in facts)
    # the byline the page gives becomes a fact of who wrote the story
    assert any(f.text.endswith("作者：王晓燕") for f in factbase.facts)
    assert any("赵明远" in f.text and "作者" in f.text for f in factbase.facts)


def test_summary_counts_what_was_added_and_offers_questions_the_bot_answers(corpus):
    seeds, knowledge = corpus
    page = "leshan_daily_tea.html"
    change = add_documents(seeds, knowledge, [(page, PAGES / page)])
    assert change.stories == 1 and change.facts >= 8
    assert "四川沐源茶业有限公司" in change.entities
    assert 2 <= len(change.examples) <= 3
    from bot.answer import load_answerer

    answerer = load_answerer(knowledge)
    name = change.added[0][0]
    for question in change.examples:
        assert answerer.ask(question).top.source.file == name
    text = "\n".join(describe(change))
    assert name in text and "新增报道 1 篇" in text and change.examples[0] in text


def test_the_same_article_twice_changes_nothing_and_says_so(corpus):
    seeds, knowledge = corpus
    page = "leshan_daily_tea.html"
    add_documents(seeds, knowledge, [(page, PAGES / page)])
    before = snapshot(seeds, knowledge)
    again = add_documents(seeds, knowledge, [("copy.html", (PAGES / page).read_bytes())])
    assert not again.added and again.present == [("copy.html", again.present[0][1])]
    assert snapshot(seeds, knowledge) == before
    assert any("已存在" in line for line in describe(again))
    # an article already in seeds/ under its old name is found too
    seed = add_documents(seeds, knowledge, [(ARTICLE_000, SEEDS / ARTICLE_000)])
    assert seed.present == [(ARTICLE_000, ARTICLE_000)]
    assert snapshot(seeds, knowledge) == before


# PDF


def test_a_pdf_with_a_text_layer_is_read_in_paragraphs(tmp_path):
    article = read_path(make_pdf(tmp_path / "page3.pdf", PDF_LINES))
    assert article.title == "犍为县茉莉花茶产业园扩建完工"
    assert "扩建后年加工茉莉花茶能力达到3500吨。" in article.text
    assert "犍为县茉莉花种植面积已达到6.5万亩，带动花农2.1万户" in article.text


# Bad input: a clear reason, and nothing changes


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(50 * 2**20)  # 50 MB, sparse: the size is refused before any read
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8)
    empty_page = tmp_path / "index.html"
    empty_page.write_text(
        "<html><head><title>首页</title></head><body><ul class='nav'>"
        + "".join(f"<li><a href='/{i}'>栏目{i}</a></li>" for i in range(20))
        + "</ul><div class='footer'>版权所有 © 乐山新闻网</div></body></html>",
        encoding="utf-8",
    )
    unknown = tmp_path / "article.docx"
    unknown.write_bytes(b"PK\x03\x04 not really a document")
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    return {
        "scanned PDF": (make_scanned_pdf(tmp_path / "scan.pdf"), "no text layer"),
        "page without a story": (empty_page, "no article body"),
        "binary named .txt": (binary, "binary data, not text"),
        "50 MB file": (huge, "too large (50.0 MB"),
        "unknown extension": (unknown, "unknown kind of file (.docx)"),
        "empty file": (empty, "the file is empty"),
    }


def test_each_bad_input_gets_its_reason_and_changes_nothing(corpus, tmp_path):
    seeds, knowledge = corpus
    before = snapshot(seeds, knowledge)
    for case, (path, reason) in bad_inputs(tmp_path).items():
        with pytest.raises(IngestError) as error:
            read_path(path)
        assert reason in str(error.value), case
        assert path.name in str(error.value), case
        change = add_documents(seeds, knowledge, [(path.name, path)])
        assert not change.added and len(change.refused) == 1, case
        assert snapshot(seeds, knowledge) == before, case


def test_bytes_from_telegram_are_checked_like_files():
    with pytest.raises(IngestError, match="binary data"):
        read_document("notes.txt", b"\0\1\2\3" * 100)
    with pytest.raises(IngestError, match="no article text"):
        read_document("short.txt", "只有一句话。".encode())


def test_a_failed_build_puts_seeds_back_and_keeps_the_old_fact_base(corpus):
    seeds, knowledge = corpus
    (knowledge / "curated.yaml").write_text("entries: [oops\n", encoding="utf-8")
    before = snapshot(seeds, knowledge)
    page = "leshan_daily_tea.html"
    with pytest.raises(Exception, match="curated.yaml"):
        add_documents(seeds, knowledge, [(page, PAGES / page)])
    assert snapshot(seeds, knowledge) == before


def test_good_documents_are_added_beside_a_refused_one(corpus, tmp_path):
    seeds, knowledge = corpus
    bad = tmp_path / "a.docx"
    bad.write_bytes(b"x")
    page = "jiajiang_gov_paper.html"
    change = add_documents(seeds, knowledge, [("a.docx", bad), (page, PAGES / page)])
    assert len(change.added) == 1 and len(change.refused) == 1
    assert any(f.source.file == change.added[0][0] for f in load_factbase(knowledge).facts)


# Incremental build


def test_incremental_builds_give_the_bytes_of_a_full_build(corpus, tmp_path):
    seeds, knowledge = corpus
    # an older article names 沐源茶业, which only the tea page makes an entity: adding the page
    # must relink the older article's facts, too
    older = seeds / "older.txt"
    older.write_text(
        "# 沐川县春茶开采\n\n沐源茶业今年收购鲜叶比去年提前了一周，收购价格每斤上涨2元。\n",
        encoding="utf-8",
    )
    build(seeds, knowledge, say=lambda _line: None)
    lines = []
    page = "leshan_daily_tea.html"
    change = add_documents(seeds, knowledge, [(page, PAGES / page)], say=lines.append)
    assert "1 articles extracted, 2 unchanged (cached)" in "\n".join(lines)
    full = tmp_path / "full"
    build(seeds, full, say=lambda _line: None, full=True)
    for name in GENERATED:
        assert (knowledge / name).read_bytes() == (full / name).read_bytes(), name
    factbase = load_factbase(knowledge)
    (older_fact,) = [f for f in factbase.facts if f.text.startswith("沐源茶业今年")]
    assert older_fact.entities == ["四川沐源茶业有限公司"]
    # and out again: the older article loses the link, as a full build would give
    from bot.articles import remove_main

    name = change.added[0][0]
    assert remove_main([name, "--seeds", str(seeds), "--out", str(knowledge)]) == 0
    build(seeds, full, say=lambda _line: None, full=True)
    for name in GENERATED:
        assert (knowledge / name).read_bytes() == (full / name).read_bytes(), name
    (older_fact,) = [f for f in load_factbase(knowledge).facts if f.text.startswith("沐源茶业")]
    assert older_fact.entities == []


def test_a_staged_reload_build_uses_the_cache_and_gives_the_bytes_of_a_full_build(corpus, tmp_path):
    """The upload's path: stored without building, then built in staging for the gate with
    knowledge/.cache, so only the new article is extracted; promoted, it is a full build."""
    from bot.articles import store_documents
    from bot.rebuild import prepare_candidate, promote

    seeds, knowledge = corpus
    page = "leshan_daily_tea.html"
    change, stored = store_documents(seeds, [(page, (PAGES / page).read_bytes())])
    assert stored is not None and not (knowledge / "facts.yaml").read_text().count("刘建华")
    candidate = prepare_candidate(seeds, knowledge, rebuild=True)
    assert candidate.report is not None
    assert candidate.report.extracted == [change.added[0][0]]  # the rest came from the cache
    promote(candidate, knowledge)
    full = tmp_path / "full"
    build(seeds, full, say=lambda _line: None, full=True)
    for name in GENERATED:
        assert (knowledge / name).read_bytes() == (full / name).read_bytes(), name


def test_an_unchanged_corpus_is_not_extracted_again(corpus):
    seeds, knowledge = corpus
    lines = []
    build(seeds, knowledge, say=lines.append)
    assert "0 articles extracted, 1 unchanged (cached)" in "\n".join(lines)


# End to end through the command line


def run_bot(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_KNOWLEDGE_DIR": str(cwd / "knowledge")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_add_then_ask_answers_from_the_added_articles_then_remove(corpus, tmp_path):
    seeds, _ = corpus
    pdf = make_pdf(tmp_path / "jianwei.pdf", PDF_LINES)
    page = PAGES / "sichuan_daily_hydrogen.html"
    added = run_bot("add", str(pdf), str(page), cwd=seeds.parent)
    assert added.returncode == 0, added.stderr
    assert "已添加" in added.stdout and "现在可以问" in added.stdout
    listed = run_bot("list", cwd=seeds.parent)
    assert (
        "五通桥区氢能产业园首个项目开工" in listed.stdout and "(from jianwei.pdf)" in listed.stdout
    )
    pdf_name = next(line.split()[0] for line in listed.stdout.splitlines() if "jianwei" in line)
    page_name = next(line.split()[0] for line in listed.stdout.splitlines() if "氢能" in line)
    questions = {
        "q1": ("芳华茶业的产业园年加工茉莉花茶能力达到多少吨？", "3500吨", pdf_name),
        "q2": ("犍为县茉莉花种植面积有多少亩？", "6.5万亩", pdf_name),
        "q3": ("五通桥区氢能产业园首个项目总投资多少？", "15亿元", page_name),
        "q4": ("五通桥区每年可提供高纯氢气多少吨？", "1.5万吨", page_name),
    }
    batch = "".join(
        json.dumps({"id": qid, "q": q}, ensure_ascii=False) + "\n"
        for qid, (q, _, _) in questions.items()
    )
    asked = run_bot("ask", "--jsonl", cwd=seeds.parent, stdin=batch)
    for line in asked.stdout.splitlines():
        result = json.loads(line)
        _, answer, source = questions[result["id"]]
        assert result["found"], result
        assert answer in result["answer"], result
        assert result["source"]["file"] == source, result
    removed = run_bot("remove", pdf_name, cwd=seeds.parent)
    assert removed.returncode == 0, removed.stderr
    assert not (seeds / pdf_name).exists()
    assert pdf_name not in (seeds / "sources.yaml").read_text(encoding="utf-8")
    assert all(f.source.file != pdf_name for f in load_factbase(seeds.parent / "knowledge").facts)


def test_cli_add_refuses_bad_input_with_a_reason_and_exit_status(corpus, tmp_path):
    seeds, knowledge = corpus
    before = snapshot(seeds, knowledge)
    unknown = tmp_path / "notes.docx"
    unknown.write_bytes(b"PK")
    result = run_bot("add", str(unknown), cwd=seeds.parent)
    assert result.returncode == 1
    assert "unknown kind of file (.docx)" in result.stdout and "知识库未改动" in result.stdout
    missing = run_bot("remove", "no-such-article", cwd=seeds.parent)
    assert missing.returncode == 1 and "no article named" in missing.stderr
    assert snapshot(seeds, knowledge) == before


def test_a_disk_full_half_way_through_the_write_keeps_the_previous_fact_base(
    corpus, monkeypatch, capsys
):
    """The third generated file cannot be written: the first two must not be replaced."""
    import errno

    import bot.facts.build as build_module
    from bot.articles import add_main

    seeds, knowledge = corpus
    before = snapshot(seeds, knowledge)
    real_fdopen = os.fdopen
    opened = []

    def fdopen_until_the_disk_is_full(fd, *args, **kwargs):
        opened.append(fd)
        if len(opened) == 3:
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(build_module.os, "fdopen", fdopen_until_the_disk_is_full)
    page = str(PAGES / "leshan_daily_tea.html")
    assert add_main([page, "--seeds", str(seeds), "--out", str(knowledge)]) == 1
    assert "add failed, nothing changed" in capsys.readouterr().err
    assert len(opened) == 3
    assert snapshot(seeds, knowledge) == before  # no new file, no temporary file left


def test_without_a_cache_an_add_still_names_only_the_new_entities(corpus):
    """A fresh clone has knowledge/ but no knowledge/.cache/: the old entities come from
    entities.yaml."""
    seeds, knowledge = corpus
    old = {e.name for e in load_factbase(knowledge).entities}
    shutil.rmtree(knowledge / ".cache")
    page = "sichuan_daily_hydrogen.html"
    change = add_documents(seeds, knowledge, [(page, PAGES / page)], examples=False)
    assert change.entities and not set(change.entities) & old
    assert set(change.entities) == {e.name for e in load_factbase(knowledge).entities} - old


def test_curated_changes_on_cached_articles_give_the_bytes_of_a_full_build(corpus, tmp_path):
    seeds, knowledge = corpus
    facts = load_factbase(knowledge).facts
    corrected = next(f for f in facts if "伟力得" in f.text and f.source.paragraph)
    suppressed = next(f for f in facts if f.source.paragraph and f is not corrected)
    (knowledge / "curated.yaml").write_text(
        "aliases:\n  四川伟力得能源股份有限公司: [伟力得公司]\n"
        f"corrections:\n  {corrected.id}: 伟力得公司的电堆生产线采用激光全焊接密封技术。\n"
        f"suppress:\n  - {suppressed.id}\n"
        "entries:\n  - question: 伟力得公司在哪里？\n    answer: 伟力得公司在乐山高新区。\n"
        f"    source: {{file: {ARTICLE_000}}}\n",
        encoding="utf-8",
    )
    lines = []
    build(seeds, knowledge, say=lines.append)  # the article itself comes from the cache
    assert "0 articles extracted, 1 unchanged" in "\n".join(lines)
    full = tmp_path / "full"
    full.mkdir()
    shutil.copy(knowledge / "curated.yaml", full)
    build(seeds, full, say=lambda _line: None, full=True)
    for name in GENERATED:
        assert (knowledge / name).read_bytes() == (full / name).read_bytes(), name
    texts = [f.text for f in load_factbase(knowledge).facts]
    assert "伟力得公司的电堆生产线采用激光全焊接密封技术。" in texts
    assert suppressed.text not in texts and corrected.text not in texts


def test_two_adds_at_once_both_land(corpus, tmp_path):
    """The bot and the command line may add at the same moment: one waits for the other."""
    import threading

    seeds, knowledge = corpus
    pages = ["jiajiang_gov_paper.html", "sichuan_daily_hydrogen.html"]
    changes = {}

    def add(page):
        changes[page] = add_documents(seeds, knowledge, [(page, PAGES / page)], examples=False)

    threads = [threading.Thread(target=add, args=(page,)) for page in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(len(changes[page].added) == 1 for page in pages)
    files = {f.source.file for f in load_factbase(knowledge).facts}
    assert {changes[page].added[0][0] for page in pages} <= files
    full = tmp_path / "full"
    build(seeds, full, say=lambda _line: None, full=True)
    for name in GENERATED:
        assert (knowledge / name).read_bytes() == (full / name).read_bytes(), name


def test_markdown_and_gb18030_text_files_are_added(corpus, tmp_path):
    seeds, knowledge = corpus
    markdown = tmp_path / "bridge.md"
    markdown.write_text(
        "# 岷江大桥主体完工\n\n记者 李红\n\n"
        "10月8日，乐山岷江三桥主体工程完工，大桥全长1.2公里。\n\n"
        "大桥建成后，市中区到五通桥区的车程将缩短20分钟。\n",
        encoding="utf-8",
    )
    legacy = tmp_path / "old.txt"
    legacy_text = (
        "# 峨边县新建茶叶烘干厂\n\n峨边县新建茶叶烘干厂日烘干鲜叶能力达到30吨，带动茶农500户。"
        "烘干厂由村集体经济合作社经营。\n"
    )
    legacy.write_bytes(legacy_text.encode("gb18030"))
    change = add_documents(seeds, knowledge, [("bridge.md", markdown), ("old.txt", legacy)])
    assert not change.refused and len(change.added) == 2
    stories = {s.title: s for s in load_factbase(knowledge).stories}
    assert stories["岷江大桥主体完工"].byline == "记者 李红"
    assert "峨边县新建茶叶烘干厂" in stories
    texts = [f.text for f in load_factbase(knowledge).facts]
    assert "10月8日，乐山岷江三桥主体工程完工，大桥全长1.2公里。" in texts


def test_removing_the_last_article_is_refused_and_changes_nothing(corpus, capsys):
    from bot.articles import remove_main

    seeds, knowledge = corpus
    before = snapshot(seeds, knowledge)
    assert remove_main([ARTICLE_000[:8], "--seeds", str(seeds), "--out", str(knowledge)]) == 1
    assert "remove failed, nothing changed" in capsys.readouterr().err
    assert snapshot(seeds, knowledge) == before


def test_a_removed_articles_cache_is_dropped(corpus):
    seeds, knowledge = corpus
    page = "jiajiang_gov_paper.html"
    name = add_documents(seeds, knowledge, [(page, PAGES / page)], examples=False).added[0][0]
    cached = knowledge / ".cache" / "articles"
    assert {p.name for p in cached.iterdir()} >= {f"{name}.pickle", f"{name}.facts.pickle"}
    (seeds / name).unlink()
    build(seeds, knowledge, say=lambda _line: None, full=True)
    assert not any(p.name.startswith(name) for p in cached.iterdir())
