"""Turn a raw article page into clean blocks: headings and whole paragraphs.

The pages come from newspaper layouts, so the cleaner undoes layout damage: mixed full-width and
half-width punctuation, indentation, reporter lines, captions, words split across page breaks and
paragraphs printed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.text import BYLINE_ROLE, CJK, plain_jieba

SENTENCE_END = "。！？!?…"
CLOSING = "”」』）)’"
# Half-width punctuation next to a Chinese character is layout noise: print it full-width.
HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT = re.compile(rf"(?<=[{CJK}“”）)])\s*([,:;?!])\s*|\s*([,:;?!])\s*(?=[{CJK}“”（(])")
_PARENS = re.compile(rf"\((?=[^()]*[{CJK}])([^()]*)\)")
REPORTER = re.compile(r"^[▶►■●◆]\s*.*(记者|通讯员|文/图|摄)")
# A credit line without a bullet, only roles and names: "本报记者 王明峰 宋豪新", "文/张三".
_CREDIT_ROLE = f"(?:{BYLINE_ROLE})"
_CREDIT_NAME = rf"[{CJK}·]{{2,8}}"
BARE_CREDIT = re.compile(
    rf"^(?:文/|{_CREDIT_ROLE}\s+){_CREDIT_NAME}(?:\s+(?:{_CREDIT_ROLE}\s+)?{_CREDIT_NAME})*$"
)
INLINE_BYLINE = re.compile(r"^本报讯\s*(?:[（(](?P<credit>[^（）()]{0,30})[）)])?\s*")
CREDIT_NOISE = re.compile(r"^[▶►■●◆]\s*|^文/|\s*(?:文/图|文\s*图|摄影报道|摄影|报道|摄)\s*$")
PUBLICATION_LINE = re.compile(r"^《(?P<pub>[^》]{2,20})》\s*[（(](?P<date>[^）)]*)[）)]$")
DATE = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
HEADING = re.compile(r"^(?P<marks>#{1,6})\s*(?P<text>.+)$")
SHORT_LINE = 30  # an unpunctuated line this short is a caption, a heading or a word-split tail
DUPLICATE_SIMILARITY = 90  # paragraphs this similar (rapidfuzz ratio) are one printed twice


@dataclass
class Block:
    kind: str  # "heading" | "paragraph" | "byline" (who wrote the story: 记者 张波)
    text: str
    level: int = 0  # heading depth: 1 for "#", 2 for "##", 3 for "###"; 4 = bare title line


@dataclass
class CleanPage:
    blocks: list[Block]
    publication: str = ""
    date: str = ""


def normalise_punctuation(text: str) -> str:
    """Print punctuation in Chinese text full-width, as the rest of the corpus does."""
    text = text.replace("\u3000", " ").replace("\t", " ").replace("\xa0", " ")
    text = _PARENS.sub(lambda m: f"（{m.group(1)}）", text)
    text = _HALF_PUNCT.sub(lambda m: HALF_TO_FULL[m.group(1) or m.group(2)], text)
    text = re.sub(rf"(?<=[{CJK}，。；：、”“])\s+(?=[{CJK}，。；：、“”])", " ", text)
    return re.sub(r"[ ]{2,}", " ", text).strip()


def is_sentence_end(text: str) -> bool:
    """True when the text ends a sentence, also inside closing quotes: …。” ends, …“强引擎” not."""
    return text.rstrip(CLOSING).endswith(tuple(SENTENCE_END)) and (
        text[-1] in SENTENCE_END or text.rstrip(CLOSING) != text
    )


def looks_like_sentence(text: str) -> bool:
    return any(p in text for p in "，。；！？：") or len(text) > SHORT_LINE


def is_title_line(text: str) -> bool:
    return len(text) <= 2 * SHORT_LINE and not is_sentence_end(text) and "。" not in text


def spans_word(head: str, tail: str) -> bool:
    """True when the text on both sides of a break forms one word, e.g. 宣|传教育."""
    left, right = head[-2:], tail[:3]
    pos = 0
    for word in plain_jieba().cut(left + right, HMM=False):
        if pos < len(left) < pos + len(word):
            return True
        pos += len(word)
    return False


def iso_date(text: str) -> str:
    m = DATE.search(text)
    if not m:
        return ""
    return f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}"


def split_byline(line: str) -> tuple[str, str]:
    """Who the line credits, and the rest of it: "■ 记者 宋雪 文/图" is all credit, while
    "本报讯（记者 张波）7月4日…" opens a paragraph with one."""
    if REPORTER.match(line) or BARE_CREDIT.match(line):
        # a photo caption may come first: "▶ 工人们在忙碌。记者 宋雪 摄"
        return re.split(r"[。！？；，]", CREDIT_NOISE.sub("", line))[-1].strip(), ""
    m = INLINE_BYLINE.match(line)
    if m:
        return CREDIT_NOISE.sub("", m["credit"] or "").strip(), line[m.end() :].strip()
    return "", line


def raw_lines(raw: str) -> list[tuple[str, str]]:
    """Non-empty lines, punctuation unified, each split into its credit and its text."""
    lines = []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        credit, text = split_byline(normalise_punctuation(line))
        if credit or text:
            lines.append((credit, text))
    return lines


def clean_page(raw: str) -> CleanPage:
    """Headings and whole paragraphs of one page, in reading order."""
    page = CleanPage(blocks=[])
    blocks = page.blocks
    open_paragraph = False  # the last paragraph was cut at a page break and continues later
    lines = raw_lines(raw)
    texts = [text for _, text in lines]
    for i, (credit, line) in enumerate(lines):
        if credit:
            blocks.append(Block("byline", credit))
        if not line:
            continue
        nxt = next((text for text in texts[i + 1 :] if text), "")  # past credit-only lines
        meta = PUBLICATION_LINE.match(line)
        if meta:
            page.publication = page.publication or meta["pub"]
            page.date = page.date or iso_date(meta["date"])
            continue
        heading = HEADING.match(line)
        if heading:
            blocks.append(Block("heading", heading["text"].strip(), len(heading["marks"])))
            open_paragraph = False
            continue
        if (
            not any(b.kind == "paragraph" for b in blocks)
            and is_title_line(line)
            and not (nxt and spans_word(line, nxt))
        ):
            blocks.append(Block("heading", line, 4))  # a bare title before the first paragraph
            continue
        if not looks_like_sentence(line):
            if open_paragraph:
                continue  # a caption inside a paragraph cut by the layout
            if nxt and not HEADING.match(nxt) and spans_word(line, nxt):
                blocks.append(Block("paragraph", line))
                open_paragraph = True
                continue
            # otherwise a caption or an unmarked sub-heading: not a source of facts
            continue
        last = next((b for b in reversed(blocks) if b.kind != "byline"), None)
        if open_paragraph and last is not None and last.kind == "paragraph":
            last.text += line  # the rest of a paragraph cut by the layout, past any byline
        else:
            blocks.append(Block("paragraph", line))
        open_paragraph = not is_sentence_end(line)
    page.blocks = drop_repeated_paragraphs(blocks)
    return page


def drop_repeated_paragraphs(blocks: list[Block]) -> list[Block]:
    """Keep the first of paragraphs printed twice, exactly or nearly."""
    kept: list[Block] = []
    seen: list[str] = []
    for block in blocks:
        if block.kind == "paragraph":
            if any(
                fuzz.ratio(block.text, earlier) >= DUPLICATE_SIMILARITY
                for earlier in seen
                if abs(len(earlier) - len(block.text)) < len(block.text) // 5 + 5
            ):
                continue
            seen.append(block.text)
        kept.append(block)
    return kept
