"""What a question asks for, read from its wording, and the text helpers the rest shares:
character pairs to compare a span's surroundings with the question, jieba cuts that are kept.
The cuts are jieba's general dictionary alone (bot.text.plain_jieba), never the process-wide
tokenizer: a short answer must not depend on what else the process added to jieba."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from bot.answer.lexicon import LEXICON
from bot.answer.question import analyse
from bot.text import normalise, plain_jieba, plain_tagger

CLAUSE_MARKS = "，。；：！？,;:!?"
ITEM_MARKS = CLAUSE_MARKS + "、"
QUOTE = re.compile(r"[“「『\"]([^“”「」『』\"]{1,40})[”」』\"]")
QUESTION_QUOTE = re.compile(r"[“\"「『]([^”\"」』]{1,20})[”\"」』]")
# The word a question asks with, and the noun after it naming the kind of answer (哪家医院).
ASKS = re.compile(r"谁|哪|什么|啥|几|多少|多大|多高|多远|多久|多长|好多|何时|第几")
ASKING = re.compile(r"哪一?[个家种类座所位条项]?|什么|啥子?|几[个家项条种]?|多少")
KIND_AFTER = re.compile(r"哪一?[个家种类座所条项]|什么|啥子?")
KIND_BEFORE = re.compile(r"叫什么|叫啥|是什么|是啥|是哪|是指")
NOT_KINDS = frozenset(
    "时候 样子 意思 作用 情况 名字 名称 东西 内容 位置 地方 方式 形式 级别 类型 水平 程度".split()
)
YEARS_ASKED = re.compile(r"(?:几|多少)年")  # 接下来几年要扩大投资: a count of years, not 元
# Words that lead into a list or a name rather than belong to it: 重点推进|希尔电子、…
LEAD_WORDS = frozenset(
    """实现 推进 推动 实施 打造 培育 壮大 发展 加强 加快 布局 聚焦 形成 通过 建强 设立
    引进 包括 涵盖 以及 重点 积极 持续 主攻 引导 支持 围绕 谋划 开发 拥有 建设 建成 聚集
    发挥 提升 加大 开展 引入 做强 做大 建立 完善 强化 充分
    与 在 对 将 把 为 是 有 了 的 等 如 从 由 向 给 让 还 也 已 均 都""".split()
)


@dataclass(frozen=True)
class Asked:
    """What kind of short answer a question wants, read from its wording."""

    kind: str  # list | person | role | date | number | place | name
    text: str  # the question, normalised
    grams: frozenset[str]  # its character pairs, without the asking words
    anchor: frozenset[str] = frozenset()  # the pairs right around the asking word: 营收目标是多少
    after: frozenset[str] = frozenset()  # the pairs after it: 啥时候必须完工
    before: str = ""  # the question up to the asking word: 雷建新当选了什么职务 → 雷建新当选
    unit: str = ""  # the unit a number answer should carry (元, %, 家 …), when the question says
    kind_noun: str = ""  # 医院 in 哪家医院, 格局 in 格局叫什么
    quoted: tuple[str, ...] = ()  # phrases the question quotes: “始终保持”
    definition: bool = False  # "X是做什么的"


def asked_of(question: str) -> Asked:
    parsed = analyse(question)
    text = parsed.text
    last = parsed.tokens[-1] if parsed.tokens else ""  # 总产值 in 乐山高新区 规上工业 总产值
    bare_amount = next((unit for cue, unit in LEXICON.unit_cues if cue.search(last)), "")
    if parsed.wants_list:
        kind = "list"
    elif parsed.wants_person:
        kind = "person"
    elif parsed.wants_role:
        kind = "role"
    elif parsed.wants_date:
        kind = "date"
    elif parsed.wants_duration:
        kind = "duration"
    elif parsed.wants_number:
        kind = "number"
    elif parsed.wants_place:
        kind = "place"
    elif ASKS.search(text):
        kind = "name"
    elif bare_amount:
        kind = "number"  # 乐山高新区 规上工业 总产值: a bare query ending on an amount asks it
    else:
        kind = ""  # 伟力得 储能: no asking word says which span is meant
    unit = parsed.unit or (bare_amount if kind == "number" else "")
    asking = ASKS.search(text)
    around = text[max(0, asking.start() - 6) : asking.start()] if asking else ""
    around += text[asking.end() : asking.end() + 4] if asking else ""
    return Asked(
        kind=kind,
        text=text,
        grams=frozenset(pairs(ASKING.sub(" ", text))),
        anchor=frozenset(pairs(around)),
        after=frozenset(pairs(text[asking.end() : asking.end() + 6] if asking else "")),
        before=text[: asking.start()].rstrip(" 了的是在") if asking else "",
        unit="年" if YEARS_ASKED.search(text) else unit,
        kind_noun=kind_noun(text.replace(" ", "")),
        quoted=tuple(QUESTION_QUOTE.findall(text)),
        definition=parsed.wants_definition,
    )


def kind_noun(text: str) -> str:
    """The noun naming the kind of thing asked for: 医院 in 哪家医院办的, 模式 in 什么审批模式,
    格局 in 大孵化格局叫什么; "" when the question names none."""
    for m in KIND_AFTER.finditer(text):
        noun = ""
        for word, flag in tagged(text[m.end() :]):
            if flag.startswith("n"):
                noun = word
            elif noun or flag not in {"b", "v", "vn", "j", "a"}:
                break
        if noun and noun not in NOT_KINDS:
            return noun
    for m in KIND_BEFORE.finditer(text):
        word, flag = tagged(text[: m.start()])[-1] if m.start() else ("", "")
        if (flag.startswith("n") or flag == "vn") and word not in NOT_KINDS:
            return word
    return ""


def pairs(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def closeness(context: str, asked: Asked) -> int:
    """How many of the question's character pairs the text around a span shares; those right
    around the asking word (营收目标 in 营收目标是多少) count thrice: they say what is asked."""
    found = pairs(folded(context))
    return len(found & asked.grams) + 2 * len(found & asked.anchor)


@lru_cache(maxsize=65536)
def folded(text: str) -> str:
    """A piece of a fact as questions are normalised (Simplified, half-width), without spaces."""
    return normalise(text).replace(" ", "")


def in_question(span: str, asked: Asked) -> bool:
    return folded(span) in asked.text.replace(" ", "")


def clause_around(text: str, start: int, end: int, marks: str = CLAUSE_MARKS) -> tuple[int, int]:
    """The clause (between commas, full stops …) holding text[start:end]."""
    left = max(text.rfind(mark, 0, start) for mark in marks) + 1
    rights = [i for i in (text.find(mark, end) for mark in marks) if i != -1]
    return left, min(rights, default=len(text))


@lru_cache(maxsize=16384)
def words_of(text: str) -> tuple[str, ...]:
    """jieba's words of a piece of a fact, kept: the same facts answer many questions."""
    return tuple(w for w in plain_jieba().cut(text) if w.strip())


@lru_cache(maxsize=16384)
def tagged(text: str) -> tuple[Tag, ...]:
    """jieba's words of a piece of text with their word classes (n noun, v verb …), kept."""
    return tuple(Tag(w.word, w.flag) for w in plain_tagger().cut(text))


class Tag(NamedTuple):
    word: str
    flag: str  # jieba's word class: n noun, v verb, p preposition …
