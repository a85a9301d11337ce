"""Lists: the items a 哪些 question asks for, from the fact's enumerations, the list its next
sentence goes on with, and those of its neighbours in the same paragraph, each once, each with
its source."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.answer.cues import continues_list
from bot.answer.result import Item
from bot.facts.model import Fact, FactBase
from bot.short_answer.asked import (
    CLAUSE_MARKS,
    LEAD_WORDS,
    QUOTE,
    Asked,
    closeness,
    in_question,
    words_of,
)
from bot.text import normalise

MAX_ITEM_CHARS = 30  # a longer "item" is a clause the list-cutting misread, not a name
# A list ends where the sentence goes on about it: 等一批…, 的…, 4个特色产业集群, 入选…
LIST_END = re.compile(
    r"等|的|[0-9一二两三四五六七八九十]+[个大家项类种条]|入选|跻身|成为|实现|相关|齐聚|纳入"
)


@dataclass(frozen=True)
class Enumeration:
    """Items a sentence lists, and how much the rest of their clause shares with the question."""

    items: tuple[str, ...]
    score: int


def split_outside_quotes(text: str, marks: str) -> list[str]:
    """Cut at `marks`, except inside “…”: a quoted name may hold a comma or a 、."""
    pieces, current, depth = [], "", 0
    for char in text:
        if char in "“「『":
            depth += 1
        elif char in "”」』" and depth:
            depth -= 1
        if char in marks and not depth:
            pieces.append(current)
            current = ""
        else:
            current += char
    pieces.append(current)
    return pieces


def first_item(piece: str, limit: float, asked: Asked) -> str:
    """The end of the clause's first piece that belongs to the list: 乐山|高纯晶硅制备."""
    if QUOTE.fullmatch(piece.strip()):
        return piece.strip()
    taken: list[str] = []
    for word in reversed(words_of(piece)):
        length = sum(map(len, taken)) + len(word)
        named = len(word) > 1 and in_question(word, asked)  # 乐山|高纯晶硅制备: the subject
        if taken and (word in LEAD_WORDS or named or length > limit):
            break
        if word in CLAUSE_MARKS or (not taken and word in LEAD_WORDS):
            break
        taken.insert(0, word)
    return "".join(taken)


def last_item(piece: str, limit: float, asked: Asked) -> str:
    """The start of the clause's last piece that belongs to the list: 稀土循环分离|等一批…"""
    if QUOTE.match(piece.strip()):
        return QUOTE.match(piece.strip()).group(0)
    end = LIST_END.search(piece)
    piece = piece[: end.start()] if end else piece
    taken: list[str] = []
    for word in words_of(piece):
        length = sum(map(len, taken)) + len(word)
        named = len(word) > 1 and in_question(word, asked)
        if taken and (word in LEAD_WORDS or named or length > limit):
            break
        taken.append(word)
    return "".join(taken)


def enumerations(asked: Asked, text: str) -> list[Enumeration]:
    """Every list a sentence holds: pieces joined by 、, quoted names side by side, a “…—…—…”
    chain, or phrases after a marker the question quotes (始终保持政治定力；始终保持实干作风)."""
    found: list[Enumeration] = []
    for marker in asked.quoted:
        if len(marker) >= 2 and text.count(marker) >= 2:
            items = [
                split_outside_quotes(after, CLAUSE_MARKS)[0] for after in text.split(marker)[1:]
            ]
            found.append(Enumeration(tuple(items), 100))
    for clause in split_outside_quotes(text, CLAUSE_MARKS):
        pieces = split_outside_quotes(clause, "、")
        if len(pieces) >= 2:
            middle = [p.strip() for p in pieces[1:-1]]
            limit = max(map(len, middle + [pieces[-1][:8]]), default=4) * 1.5 + 1
            items = [first_item(pieces[0], limit, asked), *middle]
            items.append(last_item(pieces[-1], limit, asked))
        else:
            quoted = list(QUOTE.finditer(clause))
            joined = len(quoted) >= 2 and all(
                re.fullmatch(r"[、和及与]?", clause[a.end() : b.start()])
                for a, b in zip(quoted, quoted[1:], strict=False)
            )
            chain = next((q.group(1) for q in quoted if q.group(1).count("—") >= 2), "")
            if joined:
                items = [q.group(0) for q in quoted]
            elif chain:
                items = chain.split("—")
            else:
                continue
        context = clause
        for item in items:
            context = context.replace(item, " ")
        items = [i for i in items if i]
        score = closeness(context, asked)
        if asked.quoted and all(any(q in i for q in asked.quoted) for i in items):
            score += 100  # 哪几个“同”: 资源要素同用、产学研研同体、竞争优势同构
        found.append(Enumeration(tuple(items), score))
    return found


def sentences_around(fact: Fact, factbase: FactBase) -> tuple[list[str], int | None]:
    """The sentences of the fact's paragraph, and which one is the fact."""
    paragraph = factbase.paragraph(fact.source)
    sentences = [s for s in re.split(r"(?<=[。！？；])", paragraph) if s.strip()]
    at = next((n for n, s in enumerate(sentences) if fact.text[:20] in s), None)
    return sentences, at


def neighbours(fact: Fact, factbase: FactBase) -> list[str]:
    """The sentences just before and after the fact in its paragraph."""
    sentences, at = sentences_around(fact, factbase)
    if at is None:
        return []
    return [sentences[n] for n in (at - 1, at + 1) if 0 <= n < len(sentences)]


def continuation(fact: Fact, factbase: FactBase) -> str:
    """The sentence after the fact, in its paragraph or opening the next one, when it holds the
    list the fact announces (cues.continues_list); "" when there is none."""
    sentences, at = sentences_around(fact, factbase)
    if at is None:
        return ""  # not found in its paragraph: where it stands is not known
    if at + 1 < len(sentences):
        after = sentences[at + 1]
        return after if continues_list(fact.text, after, new_paragraph=False) else ""
    following = replace(fact.source, paragraph=fact.source.paragraph + 1)
    after = next(iter(sentences_around(Fact("", "", following), factbase)[0]), "")
    return after if continues_list(fact.text, after, new_paragraph=True) else ""


def gather_items(asked: Asked, fact: Fact, factbase: FactBase) -> tuple[Item, ...]:
    """The items of the list the question asks for, from the fact and its neighbours in the same
    paragraph, each once, each with its source; () when the fact holds no such list."""
    own = enumerations(asked, fact.text)
    announced = closeness(fact.text, asked)  # a list the next sentence holds is the fact's own
    own += [
        Enumeration(e.items, e.score + announced)
        for e in enumerations(asked, continuation(fact, factbase))
    ]
    nearby = [e for text in neighbours(fact, factbase) for e in enumerations(asked, text)]
    best = max((e.score for e in own + nearby), default=0)
    if best < 2:
        return ()
    kept: list[str] = []
    for enumeration in own + nearby:
        if enumeration.score < max(2, best * 0.8):
            continue
        for item in enumeration.items:
            item = item.strip(" “”「」")
            key = normalise(item)
            if not item or len(item) > MAX_ITEM_CHARS or in_question(item, asked):
                continue
            if any(key in normalise(k) or normalise(k) in key for k in kept):
                continue
            kept.append(item)
    return tuple(Item(item, fact.source) for item in kept)
