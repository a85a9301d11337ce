"""From what a person typed to what the matcher needs: clean text, tokens, cues and years."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from bot.answer.cues import asked_cues
from bot.answer.lexicon import LEXICON
from bot.answer.segmenter import Segmenter, plain_segmenter
from bot.facts import parse
from bot.text import normalise

MAX_QUESTION_CHARS = 300  # longer input is cut here; nobody asks a 10,000-character question
OTHER_WORD_WEIGHT = 0.5  # verbs, adverbs, adjectives: see word_class_weight

_LATIN = re.compile(r"[a-z]")
_ENGLISH = re.compile(
    r"(?<![a-z])(" + "|".join(sorted(LEXICON.english, key=len, reverse=True)) + r")(?![a-z])"
)

_EXPANSIONS = re.compile("|".join(LEXICON.expansions))
SPOKEN_DAY = re.compile(r"(\d{1,2}月\d{1,2})号")  # 12月19号 is written 12月19日 in the articles
# A count asked with its classifier or unit (多少家, 几个, 多少钱), and the unit class it names;
# not 多少个百分点, a share.
ASKED_UNIT = re.compile(r"(?:多少|好多|几)(钱|人|家|户|吨|项|亩|件|公里|年|个(?!百分点))")
# Words that ask for something: the content word beside one is what the question is about.
QUANTITY_ASKING = re.compile(r"^(?:多少|好多|几|多大|多高|多远|多久|多长)")
MANNER_ASKING = frozenset({"怎么", "如何", "怎样", "咋"})
WHEN_ASKING = frozenset(
    {"哪一年", "哪年", "哪一天", "哪天", "哪个月", "何时", "啥时候", "啥子时候", "好久"}
)
KIND_ASKING = re.compile(r"^(?:哪个|哪些|哪家|哪种|哪类|什么|啥)$")
COUNTED = "".join(sorted(LEXICON.classifiers | LEXICON.measure_words))  # 几户, 几家, 几吨
ASKING_ANYWHERE = re.compile(rf"哪|第几|几[{COUNTED}]|多远|多久|多大|多少|好多|好久|什么|啥")
PUNCTUATION = ",.;:!?，。；：！？、“”‘’\"'()（）《》[]【】 "
# 希尔电子|是做什么的, 四川伟力得|在…联盟里是什么身份: the first clause's words before 是 or 在
SUBJECT = re.compile(r"([^,.;:!?，。；：！？、\s]{2,}?)(?:是|在)")
QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]")
MONTH_RANGE = re.compile(r"\d{1,2}-\d{1,2}月")
YEAR_OR_RANGE = re.compile(r"(?<!\d)(?:19|20)\d{2}年?|\d{1,2}-\d{1,2}月")
_TAGS = re.compile(r"<[^>]{0,200}>")
# Parts of emoji that are not symbols themselves: variation selectors, joiners, skin tones.
_EMOJI_JOINERS = re.compile(r"[\ufe00-\ufe0f\u200d\u20e3\U0001f3fb-\U0001f3ff]")
DROPPED = {"So", "Cs", "Co", "Cn", "Cc"}  # Unicode categories: symbols, emoji, control …
# Chinese characters, printable ASCII and the common Chinese punctuation: none is DROPPED, so
# a question of only these needs no look at each character's category.
_PLAIN_TEXT = re.compile(
    r"[\u4e00-\u9fff\x20-\x7e\uff01-\uff5e\u3001-\u3003\u3008-\u3011\u3014-\u301f"
    r"\u2018\u2019\u201c\u201d\u2026\u2014\u00b7]*"
)


@dataclass
class Question:
    raw: str  # as asked, after trimming to MAX_QUESTION_CHARS
    text: str  # normalised
    tokens: list[str] = field(default_factory=list)  # content words, in order, no duplicates
    focus: set[str] = field(default_factory=set)  # the words next to the asking word
    kinds: set[str] = field(default_factory=set)  # focus words that name a kind: 哪些园区
    events: set[str] = field(default_factory=set)  # what a when-question asks of: 哪一年开工
    cues: frozenset[str] = frozenset()  # the kinds of answer it asks for (cues.CUES)
    unit: str = ""  # the unit a number answer should carry, when the question says
    years: set[str] = field(default_factory=set)
    notice: str = ""
    # what a definition question asks about, as typed: 希尔电子 in 希尔电子是做什么的, even
    # where no entity has that name
    subject: str = ""

    # The cues by name, for readability where one is meant (see cues.py for what each asks).
    wants_number = property(lambda self: "number" in self.cues)
    wants_date = property(lambda self: "date" in self.cues)
    wants_duration = property(lambda self: "duration" in self.cues)  # "多久", "多长时间"
    wants_person = property(lambda self: "person" in self.cues)
    wants_list = property(lambda self: "list" in self.cues)
    wants_place = property(lambda self: "place" in self.cues)
    wants_role = property(lambda self: "role" in self.cues)  # "X是什么职务"
    wants_method = property(lambda self: "method" in self.cues)  # "靠什么方式"
    wants_definition = property(lambda self: "definition" in self.cues)  # "X是做什么的"


def clean_input(raw: str) -> tuple[str, str]:
    """Text fit to match, and a notice for the user when the input had to be changed."""
    notice = ""
    text = _EMOJI_JOINERS.sub("", html.unescape(_TAGS.sub(" ", raw or "")))
    if not _PLAIN_TEXT.fullmatch(text):  # symbols, emoji, control characters: blank them
        text = "".join(" " if unicodedata.category(c) in DROPPED and c != "\n" else c for c in text)
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS]
        notice = f"问题太长，只按前 {MAX_QUESTION_CHARS} 个字回答。"
    return text, notice


def unglue(word: str, known: Callable[[str], bool], segmenter: Segmenter) -> str:
    """jieba's guesser joins unknown words to function characters (健委是, 能交): cut them off."""
    if len(word) >= 2 and word[-1] in LEXICON.particles and not segmenter.freq(word):
        word = word[:-1]  # 发了, 用的: a verb and its particle, whatever the articles print
    if len(word) < 2 or known(word) or word in segmenter.tokenizer.FREQ:
        return word
    while len(word) >= 2 and word[-1] in LEXICON.stopwords:
        word = word[:-1]
    while len(word) >= 2 and word[0] in LEXICON.stopwords:
        word = word[1:]
    return word


def may_glue(char: str) -> bool:
    """A Chinese character that words() glues to a neighbour when jieba leaves it alone: not a
    function word (的, 在) nor a measure word (个, 家)."""
    return (
        "\u4e00" <= char <= "\u9fff"
        and char not in LEXICON.stopwords
        and char not in LEXICON.measure_words
    )


def words(text: str, known: Callable[[str], bool], segmenter: Segmenter) -> list[str]:
    """jieba's words, with a stray single character glued to the neighbour it forms a known
    word with (总|投资 → 总投资, 孵化|圈 → 孵化圈) or to the number before it (500|强, and the
    dates 7|月 → 7月, 4|日 → 4日, so that a month is no bare 7), and dropped otherwise."""
    raw = [unglue(w.strip(), known, segmenter) for w in segmenter.cut(text) if w.strip()]
    merged: list[str] = []
    i = 0
    while i < len(raw):
        word = raw[i]
        lone = len(word) == 1 and may_glue(word)
        following = raw[i + 1] if i + 1 < len(raw) else ""
        if lone and following and following not in LEXICON.particles and known(word + following):
            merged.append(word + following)  # not with a function word: 用|的 is no 用的
            i += 2
            continue
        before = merged[-1] if merged and merged[-1] not in LEXICON.particles else ""
        dated = word in LEXICON.date_units and before.isdigit()
        if dated or (lone and before and (known(before + word) or before.isdigit())):
            merged[-1] += word
        else:
            merged.append(word)
        i += 1
    return merged


@lru_cache(maxsize=20_000)
def is_content(word: str) -> bool:
    if word in LEXICON.stopwords or word in LEXICON.cue_nouns or not any(c.isalnum() for c in word):
        return False
    if ASKING_ANYWHERE.search(word):
        return False  # 哪几个, 有多远: the asking is handled by the cues
    return len(word) >= 2 or word.isdigit() or word.isascii()


def word_class_weight(word: str, segmenter: Segmenter) -> float:
    """Names and nouns carry a question's content; verbs and adverbs vary with phrasing
    (加起来, 建起来, 懂得), so a missing one should not sink a paraphrase."""
    if any(c.isdigit() for c in word) or word.isascii():
        return 1.0
    flags = segmenter.word_flags(word)
    if any(f.startswith(("n", "t", "s", "j")) for f in flags):
        return 1.0
    return 0.8 if "vn" in flags else OTHER_WORD_WEIGHT


def is_noun(word: str, segmenter: Segmenter) -> bool:
    """Nouns, and words that name a kind (主任, 副): the things a question can ask about."""
    return any(f.startswith("n") or f in {"vn", "b"} for f in segmenter.word_flags(word))


def asks_when(sequence: list[str], i: int) -> bool:
    """The word at i is where a question asks when: 哪一年, 何时, 什么|时候, 哪|天. (几月 and
    几号 are read as counts, with the noun before them as the focus.)"""
    word = sequence[i]
    before = sequence[i - 1] if i else ""
    return (
        word in WHEN_ASKING
        or (word in {"时候", "时间"} and before in {"什么", "啥"})
        or (word in {"天", "年"} and before == "哪")
        or (word == "月" and before in {"哪", "哪个"})
    )


def is_event(word: str, segmenter: Segmenter) -> bool:
    """A verb that says what happened: 投产, 成立; not 开始 or 实现 (lexicon.aspect_words)."""
    verb = is_content(word) and segmenter.word_flags(word)[-1].startswith("v")
    return verb and word not in LEXICON.aspect_words


def focus_of(sequence: list[str], segmenter: Segmenter) -> tuple[set[str], set[str], set[str]]:
    """What is asked about: the word before 多少/几/谁 (after 几家/多少个), the noun after
    哪个/什么/啥, or the verb after 怎么/如何; of those, the kind words (哪些园区 → 园区),
    which an answer names by example, not as such; and the event a when-question asks about
    (哪一年开工), kept apart as the ranker does not weigh it: the article may say it in other
    words, yet a date of another event answers nothing."""
    focus: set[str] = set()
    kinds: set[str] = set()
    events: set[str] = set()
    for i, word in enumerate(sequence):
        if QUANTITY_ASKING.search(word) or word in {"谁", "是谁"}:
            # 几家陶瓷企业, 多少个项目: with a classifier, what is counted follows
            following = sequence[i + 1] if i + 1 < len(sequence) else ""
            counts = QUANTITY_ASKING.search(word) and LEXICON.classifiers & {word[-1], following}
            for j in (i + 1, i + 2, i - 1, i - 2) if counts else (i - 1, i - 2):
                if 0 <= j < len(sequence) and is_content(sequence[j]):
                    if is_noun(sequence[j], segmenter):
                        focus.add(sequence[j])
                    break
        elif asks_when(sequence, i):  # 哪一年开工, 什么时候正式投产: the event asked about
            # the first verb after it that is no aspect word (开始投产, 开工建设), else the
            # nearest before it (成立于哪一年)
            after = [w for w in sequence[i + 1 : i + 4] if is_event(w, segmenter)]
            before = [w for w in sequence[max(0, i - 2) : i] if is_event(w, segmenter)]
            if after or before:
                events.add(after[0] if after else before[-1])
        elif word in MANNER_ASKING:  # 怎么挂失: the doing asked about follows
            following = next((w for w in sequence[i + 1 : i + 3] if is_content(w)), "")
            if following:
                focus.add(following)
        elif (
            KIND_ASKING.search(word)
            and i + 1 < len(sequence)
            and is_content(sequence[i + 1])
            and sequence[i + 1] not in LEXICON.cue_nouns
        ):
            focus.add(sequence[i + 1])
            kinds.add(sequence[i + 1])
    return focus - LEXICON.cue_nouns, kinds, events


def content_tokens(
    text: str, known: Callable[[str], bool], segmenter: Segmenter
) -> tuple[list[str], set[str], set[str], set[str]]:
    """Content words in order (quoted phrases whole), and the focus, kinds and events of the
    question (focus_of)."""
    tokens: list[str] = [p for p in QUOTED.findall(text)] + MONTH_RANGE.findall(text)
    text = YEAR_OR_RANGE.sub(" ", text)  # years go to the time preference, not to the words
    sequence = words(text, known, segmenter)
    for word in sequence:
        word = word.strip(PUNCTUATION)
        if is_content(word) and word not in tokens:
            tokens.append(word)
    return tokens, *focus_of(sequence, segmenter)


def analyse(
    raw: str, known: Callable[[str], bool] = lambda word: False, segmenter: Segmenter | None = None
) -> Question:
    """`known` tells whether a word occurs in the fact base, to glue stray characters; the
    segmenter is the engine's own (by default one with jieba's general dictionary alone)."""
    cleaned, notice = clean_input(raw)
    text = normalise(cleaned)
    if _LATIN.search(text):  # most questions have no English in them: skip the long pattern
        text = _ENGLISH.sub(lambda m: LEXICON.english[m.group(1)], text)
    text = _EXPANSIONS.sub(lambda m: LEXICON.expansions[m.group(0)], text)
    if "号" in text:
        text = SPOKEN_DAY.sub(r"\1日", text)
    question = Question(raw=cleaned, text=text, notice=notice)
    if not text:
        return question
    segmenter = segmenter or plain_segmenter()
    question.tokens, question.focus, question.kinds, question.events = content_tokens(
        text, known, segmenter
    )
    question.cues = asked_cues(text)
    if question.wants_number:
        asked = ASKED_UNIT.search(text)  # 多少家 says the unit outright, whatever the topic
        question.unit = LEXICON.unit_names.get(asked[1], asked[1]) if asked else ""
        question.unit = question.unit or next(
            (u for cue, u in LEXICON.unit_cues if cue.search(text)), ""
        )
    if question.wants_definition and (subject := SUBJECT.search(text)):
        question.subject = subject[1]
    question.years = set(parse.BARE_YEAR.findall(text))
    question.years |= set(parse.PLAN_PERIOD.findall(text))  # 十四五
    return question
