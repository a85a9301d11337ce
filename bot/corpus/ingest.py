"""Read one article document (.txt, .md, .html/.htm, .pdf) into its text and metadata.

News arrives as saved web pages and newspaper PDFs, not as clean text. Web pages go through
trafilatura, which is built to find a news story among menus, footers and link lists; PDFs
through pypdf's text layer. Everything that cannot become an article fails here with a reason
an admin can act on, before anything in seeds/ or knowledge/ is touched.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from bot.text import CJK

MAX_DOCUMENT_BYTES = 10 * 2**20  # a news page or a newspaper PDF is far smaller
MIN_ARTICLE_CHARS = 40  # less than this is no article: a caption, a menu, a stub
TEXT_KINDS = {".txt", ".md"}
HTML_KINDS = {".html", ".htm"}
PDF_KINDS = {".pdf"}
KINDS = TEXT_KINDS | HTML_KINDS | PDF_KINDS
# Chinese news sites print the source and the writer on an info line above the story:
# "来源：乐山日报  作者：王晓燕  发布时间：2025-03-18 09:30".
SOURCE_LINE = re.compile(rf"来源[:：]\s*(?P<value>[{CJK}A-Za-z0-9·]{{2,20}})")
AUTHOR_LINE = re.compile(
    rf"(?:作者|记者|文)[:：/]\s*(?P<value>[{CJK}·]{{2,4}}(?:[、，,][{CJK}·]{{2,4}})*)"
)
ISO_DATE = re.compile(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")
SENTENCE_END = "。！？!?…”」』"
# Lines that are the site's or the paper's, not the story's, when the extractor lets one
# through: copyright and licence lines, editor credits, and link lists (a | b | c).
CLUTTER_LINE = re.compile(
    r"版\s*权\s*所\s*有|Copyright|©|ICP备|公网安备|责任编辑|责编|^[（(]?编辑[:：]|举报电话"
    r"|(?:[^|｜]*[|｜]){2}"
)
INFO_LINE_DATE = re.compile(r"^.*(?:来源|发布|时间|日期).*$", re.M)


class IngestError(Exception):
    """This document cannot be added; the message says why, for the admin."""


@dataclass(frozen=True)
class Article:
    """An article's own text (paragraphs, one per line) and what the page says about it."""

    text: str
    title: str = ""
    publication: str = ""
    date: str = ""  # ISO, 2025-03-18
    author: str = ""
    origin: str = ""  # the file name it came from


def kind_of(name: str) -> str:
    kind = Path(name).suffix.lower()
    if kind not in KINDS:
        accepted = ", ".join(sorted(KINDS))
        shown = kind or "no extension"
        raise IngestError(f"{name}: unknown kind of file ({shown}); accepted: {accepted}")
    return kind


def read_path(path: Path) -> Article:
    """The article in a file on disk; the size is checked before anything is read."""
    kind_of(path.name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror})") from exc
    check_size(path.name, size)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror})") from exc
    return read_document(path.name, data)


def check_size(name: str, size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise IngestError(
            f"{name}: too large ({size / 2**20:.1f} MB; the limit is "
            f"{MAX_DOCUMENT_BYTES // 2**20} MB); is it really one article?"
        )
    if size == 0:
        raise IngestError(f"{name}: the file is empty")


def read_document(name: str, data: bytes) -> Article:
    """The article in a document's bytes, whatever surface it came from."""
    kind = kind_of(name)
    check_size(name, len(data))
    if kind in PDF_KINDS:
        article = read_pdf(name, data)
    elif kind in HTML_KINDS:
        article = read_html(name, decode_text(name, data))
    else:
        article = read_plain(decode_text(name, data))
    text = tidy(article.text)
    if story_chars(text) < MIN_ARTICLE_CHARS:
        raise IngestError(f"{name}: no article text found (at most a few words)")
    return Article(
        text=text,
        title=one_line(article.title),
        publication=one_line(article.publication),
        date=article.date,
        author=one_line(article.author),
        origin=one_line(Path(name).name),
    )


def one_line(value: str) -> str:
    """Metadata is one line of sources.yaml: no line breaks, no runs of spaces."""
    return " ".join(value.split())


def decode_text(name: str, data: bytes) -> str:
    """UTF-8, or GB18030 (older Chinese pages and files); binary data is refused."""
    if b"\0" in data[:65536]:
        raise IngestError(f"{name}: binary data, not text (is the extension right?)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
        if controls > len(text) // 100:
            break
        return text
    raise IngestError(f"{name}: binary data, not text (is the extension right?)")


def read_plain(text: str) -> Article:
    """A .txt or .md article as it is: the corpus cleaner reads its headings and bylines."""
    return Article(text=text)


def read_html(name: str, html: str) -> Article:
    import trafilatura  # slow to import; only web pages need it

    document = None
    # Precision first: a missed sentence costs less than a menu taken for a fact. Pages laid
    # out in tables (many government sites) only yield their story to the default settings.
    for precise in (True, False):
        document = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            favor_precision=precise,
            include_comments=False,
            include_tables=False,
            include_links=False,
            include_images=False,
        )
        if document is not None and story_chars(drop_clutter(document.text or "")):
            break
    if document is None or not story_chars(drop_clutter(document.text or "")):
        raise IngestError(f"{name}: no article body found in the page (only menus or links?)")
    page_text = trafilatura.html2txt(html) or ""
    source = SOURCE_LINE.search(page_text)
    author = AUTHOR_LINE.search(page_text)
    # a date printed on the info line, with the source, beats trafilatura's guess
    info = next((d for d in map(iso, INFO_LINE_DATE.findall(page_text)) if d), "")
    return Article(
        text=drop_clutter(document.text),
        title=page_title(document.title or ""),
        publication=source["value"] if source else (document.sitename or ""),
        date=info or iso(document.date or ""),
        author=document.author or (author["value"] if author else ""),
    )


def page_title(title: str) -> str:
    """沐川县茶叶加工园区正式投产_乐山新闻_乐山新闻网 → the headline without channel and site."""
    return re.split(r"\s*(?:--|[-_|｜])\s*", title.strip(), maxsplit=1)[0]


def read_pdf(name: str, data: bytes) -> Article:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"{name}: not a readable PDF ({exc})") from exc
    if not re.sub(r"\s", "", "".join(pages)):
        raise IngestError(
            f"{name}: the PDF has no text layer (a scan?); run OCR on it first, "
            "or send the article as text"
        )
    text = join_pdf_lines(drop_clutter("\n".join(pages)))
    if not re.search(f"[{CJK}]", title):
        title = ""  # "untitled", "A01", "Microsoft Word - 3.doc": no headline
    first = text.split("\n", 1)[0].strip()
    if not title and len(first) <= 40 and first[-1:] not in SENTENCE_END:
        title = first  # a headline line opens the page
    if title and first == title:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return Article(text=text, title=title)


def join_pdf_lines(text: str) -> str:
    """A PDF's text layer breaks lines where the column ends: join them into paragraphs,
    which end where a line ends a sentence."""
    paragraphs: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        headline = not current and len(line) <= 40 and not re.search(r"[，。；：！？,]", line)
        current += line
        if headline or line[-1] in SENTENCE_END:  # a short line of its own without punctuation
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs)


def story_chars(text: str) -> int:
    """How much of the text is in sentences: menus and link lists have none."""
    return sum(len(line) for line in text.split("\n") if re.search("[。！？!?]", line))


def drop_clutter(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not CLUTTER_LINE.search(line))


def tidy(text: str) -> str:
    """One paragraph per line, without indentation, blank lines or trailing spaces."""
    lines = (line.strip(" \t\u3000\xa0") for line in text.replace("\r\n", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def iso(date: str) -> str:
    m = ISO_DATE.search(date)
    return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else ""
