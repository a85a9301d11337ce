"""The engine's word lists, as data files beside this module, loaded into one frozen Lexicon.

A newcomer changes a stopword, a corpus variant (synonyms.tsv), an English word, a short form
or a unit by editing a file here; no code holds these lists. Lines starting with # are comments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Lexicon:
    stopwords: frozenset[str]  # no content in a question: function words, the question frame
    synonyms: Mapping[str, tuple[str, ...]]  # corpus variants: 营收 → 营业收入
    english: Mapping[str, str]  # mixed-in English → the articles' word
    expansions: Mapping[str, str]  # short forms readers type → the articles' long forms
    unit_cues: tuple[tuple[re.Pattern[str], str], ...]  # words near 多少 → the unit class wanted
    unit_endings: tuple[tuple[str, str], ...]  # how a stated number ends → its unit class
    unit_names: Mapping[str, str]  # 多少钱 → 元: a counted word that names a unit class
    cue_nouns: frozenset[str]  # name the kind of answer, not its content: 哪些单位, 什么职务
    measure_words: frozenset[str]
    date_units: frozenset[str]  # after a number: a date (7月, 4日)
    particles: frozenset[str]  # never part of a word a question asks
    classifiers: frozenset[str]  # 几家企业: a count of things, named after it
    noun_suffixes: frozenset[str]  # 牌子, 竹子: the first character carries the meaning
    reporting_words: frozenset[str]  # a 谁 question about the article: its reporter answers
    identity_asks: frozenset[str]  # after a person's name: who that one is (雷建新是谁)
    descriptor_heads: frozenset[str]  # before a name, say what it is: 制造商尚纬股份
    list_openers: frozenset[str]  # open a sentence that goes on with the list before: 分别是
    aspect_words: frozenset[str]  # say how an event goes, not which: 开始投产, 成功完成
    goal_words: frozenset[str]  # make a figure a goal or forecast: 力争…达4500亿元, 预计


def rows(name: str) -> list[list[str]]:
    """The tab-separated fields of each line of a data file, comments and blanks skipped."""
    text = (FOLDER / name).read_text(encoding="utf-8")
    return [
        line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


def load_lexicon() -> Lexicon:
    stopwords = frozenset(w for row in rows("stopwords.txt") for w in row[0].split())
    units = rows("units.tsv")
    sets = {row[0]: frozenset(row[1].split()) for row in rows("question_words.tsv")}
    return Lexicon(
        stopwords=stopwords,
        synonyms=MappingProxyType({w: tuple(v.split()) for w, v in rows("synonyms.tsv")}),
        english=MappingProxyType(dict(rows("english.tsv"))),
        expansions=MappingProxyType(dict(rows("expansions.tsv"))),
        unit_cues=tuple((re.compile(p), u) for kind, p, u in units if kind == "cue"),
        unit_endings=tuple((e, u) for kind, e, u in units if kind == "ending"),
        unit_names=MappingProxyType({w: u for kind, w, u in units if kind == "name"}),
        cue_nouns=sets["cue_nouns"],
        measure_words=sets["measure_words"],
        date_units=sets["date_units"],
        particles=sets["particles"],
        classifiers=sets["classifiers"],
        noun_suffixes=sets["noun_suffixes"],
        reporting_words=sets["reporting_words"],
        identity_asks=sets["identity_asks"],
        descriptor_heads=sets["descriptor_heads"],
        list_openers=sets["list_openers"],
        aspect_words=sets["aspect_words"],
        goal_words=sets["goal_words"],
    )


LEXICON = load_lexicon()
