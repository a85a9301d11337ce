"""The answer itself, first: a short span for each found answer, lists gathered, conflicts shown.

Works only on what the engine hands out (an `Answer` and its `Hit`s) and on the fact base (the
facts' text, their parsed values, their paragraphs), so it keeps working when the ranking
changes. Every short answer is copied from the fact's own text: a person with role and
organisation, a number with its unit (and the period the sentence gives), a date, a place, a
name. Where no clean span is found the short answer is None and the surfaces show the sentence
alone: a missing short answer costs a glance, a wrong one costs trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import jieba
import jieba.posseg as pseg

from bot.answer.question import analyse
from bot.answer.result import Answer, Hit, Item
from bot.facts import parse
from bot.facts.model import Fact, FactBase
from bot.text import normalise

SHORT_HITS = 10  # results that get a short form of their own: all any surface shows
CONFLICT_MARGIN = 5.0  # a result this close to the top one's score is a rival answer
MAX_SHORT_CHARS = 40  # longer spans are not "at a glance": the sentence alone says it better
MAX_ITEM_CHARS = 30  # a longer "item" is a clause the list-cutting misread, not a name

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
# Where a name printed before an asked-for kind (…市中医医院) begins.
NAME_START = re.compile(r"[在于从到由向与和的是为、，。；：！？“”（）—《》\s]")
# Hedges and directions a number keeps, since dropping them changes what it says.
NUMBER_LEAD = re.compile(r"(?:同比)?(?:增长|下降|提高|降低|增加|减少)了?$")
NUMBER_TAIL = re.compile(r"^(?:以上|左右|以内|以下)")
DROPPED_LEAD = ("达到", "达", "突破了")
DURATION_LEAD = re.compile(r"(?:连续|其后|此后|未来|近)$")  # 连续5年: which years
ADDED = re.compile(r"新增|净增|增加|新(?:孵化|培育|引进|签约?|入孵|建|落地)")
TIME_OF_DAY = re.compile(r"^(?:上午|下午|晚上|晚间|凌晨|中午)")
# A list ends where the sentence goes on about it: 等一批…, 的…, 4个特色产业集群, 入选…
LIST_END = re.compile(
    r"等|的|[0-9一二两三四五六七八九十]+[个大家项类种条]|入选|跻身|成为|实现|相关|齐聚|纳入"
)
# Words that lead into a list rather than belong to its first item: 重点推进希尔电子、…
LIST_LEAD = frozenset(
    """实现 推进 推动 实施 打造 培育 壮大 发展 加强 加快 布局 聚焦 形成 通过 建强 设立
    引进 包括 涵盖 以及 重点 积极 持续 主攻 引导 支持 围绕 谋划 开发 拥有 建设 建成 聚集
    发挥 提升 加大 开展 引入 做强 做大 建立 完善 强化 充分
    与 在 对 将 把 为 是 有 了 的 等 如 从 由 向 给 让 还 也 已 均 都""".split()
)
LEADING_FLAGS = {"d", "ad", "p", "c", "vd", "u", "uj"}  # adverbs, prepositions, particles
NAME_LEAD = LIST_LEAD | {"支持", "依托", "依靠", "采用", "利用", "位于", "落户"}
YEARS_ASKED = re.compile(r"(?:几|多少)年")  # 接下来几年要扩大投资: a count of years, not 元
NOUN_FLAGS = ("n", "b", "j", "vn", "l")  # jieba word classes that can name a counted thing
PREFIX_DROPPED = set(
    "v d p c m u uj ad vd r y x".split()
)  # words a name does not start with  # word classes that can name what a count counts
ROLE_WORDS = re.compile(parse.ROLE_WORDS)


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
    if parsed.wants_list:
        kind = "list"
    elif parsed.wants_person:
        kind = "person"
    elif parsed.wants_role:
        kind = "role"
    elif parsed.wants_date:
        kind = "date"
    elif parsed.wants_number:
        kind = "number"
    elif parsed.wants_place:
        kind = "place"
    elif ASKS.search(text):
        kind = "name"
    else:
        kind = ""  # 夹江核技术园 总投资: no asking word says which span is meant
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
        unit="年" if YEARS_ASKED.search(text) else parsed.unit,
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


# -- one fact, one short span ------------------------------------------------------------------


def short_span(asked: Asked, fact: Fact) -> str | None:
    """The short answer the fact gives to the question, copied from its text; None if unclear."""
    find = {
        "person": person_span,
        "role": role_span,
        "date": date_span,
        "number": number_span,
        "place": place_span,
        "name": name_span,
    }.get(asked.kind)
    span = find(asked, fact) if find else None
    if span is None and asked.kind in {"person", "place"} and asked.kind_noun:
        span = name_span(asked, fact)  # 活动叫什么名字: a named thing, not a person
    return span if span and len(span) <= MAX_SHORT_CHARS else None


def person_span(asked: Asked, fact: Fact) -> str | None:
    """朱晓星（伟力得副总经理）: the person whose role (and organisation) the question names."""
    people = [p for p in fact.people if p.role]
    if not people:
        return None
    asked_roles = {m.group(0) for m in ROLE_WORDS.finditer(asked.text)}
    if asked_roles:
        people = [p for p in people if p.role in asked_roles or p.role.endswith(tuple(asked_roles))]
    if len(people) > 1:
        people = [p for p in people if p.organisation and closeness(p.organisation, asked)]
    if len(people) != 1:
        return None  # nobody, or several the question does not tell apart
    person = people[0]
    return f"{person.name}（{person.organisation}{person.role}）"


def role_span(asked: Asked, fact: Fact) -> str | None:
    """统战部部长: the role of the person the question names (or the fact's only person); what
    the fact says right after the question's own words, when that is a role (雷建新当选|市总工会
    主席, for 雷建新当选了什么职务)."""
    following = aligned(asked, fact.text)
    if following and ROLE_WORDS.search(following[-3:]):
        return following
    people = [p for p in fact.people if p.role]
    named = [p for p in people if p.name in asked.text]
    chosen = named or (people if len(people) == 1 else [])
    if len(chosen) != 1:
        return None
    return f"{chosen[0].organisation}{chosen[0].role}"


def date_span(asked: Asked, fact: Fact) -> str | None:
    """The date (or month) the fact gives, the one nearest the question's words if several."""
    text = fact.text
    found = [(m.start(), m.end()) for m in parse.FULL_DATE.finditer(text)]
    found += [(m.start(), m.end()) for m in parse.MONTH.finditer(text)]
    found = [(s, e) for s, e in found if not in_question(text[s:e], asked)]
    if not found:
        return None

    def fit(span: tuple[int, int]) -> tuple[int, int, int]:
        right = clause_around(text, *span)[1]
        event = text[span[1] : min(right, span[1] + 6)]  # 2026年2月|必须完成
        clause = text[slice(*clause_around(text, *span))]
        return (len(pairs(folded(event)) & asked.after), closeness(clause, asked), -span[0])

    start, end = max(found, key=fit)
    tail = TIME_OF_DAY.match(text[end:])
    return text[start : end + (tail.end() if tail else 0)]


@dataclass(frozen=True)
class Amount:
    """A number in a fact: where it is, how it reads, and what it is a number of."""

    start: int
    end: int
    span: str  # as shown: 约10亿元, 增长11%, 836亿元（2023年）
    value: str  # the parsed value for comparing: 10亿元
    lead: frozenset[str]  # the question's words in its sentence before it: subject and predicate
    period: str  # the period the sentence gives it, or ""
    near: int  # how much the words right around it share with the question
    added: bool  # a number of things added (新孵化培育…5家), not how many there are


# Units a question's unit also covers: 多少户 is asked as 家 (question.UNIT_NAMES), 五大基地
# counts like 五个.
SAME_UNIT = {"家": ("家", "户"), "个": ("个", "大")}
COUNTED = set("家个项条名位户批种粒支大")  # units that count things the text names beside them


def amounts(asked: Asked, fact: Fact) -> list[Amount]:
    """The numbers of the fact in the unit the question wants, not those the question states."""
    text = fact.text
    ordinal_asked = "第几" in asked.text
    found: list[Amount] = []
    matches = list(parse.NUMBER.finditer(text)) + list(parse.WORD_NUMBER.finditer(text))
    stated = [m.end() for m in matches if in_question(m.group(0), asked) and not is_year(m)]
    for m in matches:
        parts = m.groupdict()
        unit = parts.get("unit") or m.group(0)[-1]
        if is_year(m):
            continue
        wanted = SAME_UNIT.get(asked.unit, (asked.unit,))
        if asked.unit and not any(u in unit for u in wanted):
            continue
        if in_question(m.group(0), asked):
            continue  # 已落地7个项目: given, not asked
        start, end, span = m.start(), m.end(), m.group(0)
        ordinal = start > 0 and text[start - 1] == "第"
        if ordinal != ordinal_asked:
            continue  # 第二个 answers 第几, not 多少
        for verb in DROPPED_LEAD:
            if span.startswith(verb):
                span, start = span[len(verb) :], start + len(verb)
        if ordinal:
            start, span = start - 1, "第" + span
        direction = (DURATION_LEAD if unit == "年" else NUMBER_LEAD).search(text[:start])
        if direction and unit in {"%", "年"}:
            start, span = direction.start(), direction.group(0) + span
        tail = NUMBER_TAIL.match(text[end:])
        if tail:
            end, span = end + tail.end(), span + tail.group(0)
        named = ""
        if unit in COUNTED:  # 招商引资项目10个, 45项国家发明专利: the words the question uses
            before, after = (
                named_beside(text[:start], asked, -1),
                named_beside(text[end:], asked, 1),
            )
            start, end, span = start - len(before), end + len(after), before + span + after
            named = before + after
        # Its own piece of the sentence: 45项国家发明专利、|176项实用新型专利
        left, right = clause_around(text, m.start(), m.end(), ITEM_MARKS)
        # What it is a number of: the question's words in its sentence before it (乐山高新区…
        # 高新技术企业|49家; 新型储能…，|同比增长32% is not 生物医药's growth).
        said = text[max(text.rfind(mark, 0, m.start()) for mark in "。；！？") + 1 : m.start()]
        lead = frozenset(w for w in words_of(normalise(said)) if len(w) > 1 and w in asked.text)
        near = text[max(left, m.start() - 10) : m.start()] + text[m.end() : min(right, m.end() + 6)]
        value = (parts.get("value") or "") + (parts.get("mult") or "") + unit
        beside = any(0 <= m.start() - given < 16 for given in stated)  # 项目建设80个，总投资759亿元
        near_score = closeness(near, asked) + (3 if beside else 0) + len(named)
        period = period_before(fact, text, start)
        added = bool(ADDED.search(said))
        found.append(Amount(start, end, span, value, lead, period, near_score, added))
    return found


def is_year(m: re.Match[str]) -> bool:
    """2023年 is a date, not an amount of years."""
    return m.groupdict().get("unit") == "年" and len(m.groupdict().get("value") or "") == 4


def named_beside(text: str, asked: Asked, side: int) -> str:
    """The words next to a count that the question itself uses for what is counted (招商引资项目
    10个, 45项国家发明专利), or "" when they stop inside a longer noun phrase (33家重点|用能…)."""
    words = tagged(text[-10:] if side < 0 else text[:10])[::side]
    taken: list[Tag] = []
    for word in words[:3]:
        if len(word.word) < 2 or not in_question(word.word, asked):
            break
        if side > 0 and not word.flag.startswith(NOUN_FLAGS):
            break  # 18家企业|完成: the counted thing ends at the verb
        if len("".join(w.word for w in taken) + word.word) > 8:
            break
        taken.append(word)
    if side > 0:
        rest = words[len(taken) :]
        goes_on = rest and len(rest[0].word) > 1 and in_question(rest[0].word, asked)
        if rest and (rest[0].flag.startswith(NOUN_FLAGS) or goes_on):
            return ""  # the phrase goes on: 2个四川省级|企业技术中心
        return "".join(w.word for w in taken)
    taken.reverse()
    while taken and (taken[0].flag in PREFIX_DROPPED or taken[0].word in NAME_LEAD):
        taken.pop(0)  # 推进|项目建设80个, 10强有|5家
    return "".join(w.word for w in taken)


def period_before(fact: Fact, text: str, start: int) -> str:
    """The nearest period the same sentence gives before a number: 2023年, 2025年1-8月."""
    sentence_start = max(text.rfind(mark, 0, start) for mark in "。；") + 1
    best, at = "", -1
    for period in fact.periods:
        position = text.rfind(
            period.rstrip("年") if period.endswith("年") and "月" not in period else period,
            sentence_start,
            start,
        )
        if position > at:
            best, at = period, position
    return best


def best_amount(asked: Asked, fact: Fact) -> Amount | None:
    """The number the question asks for; None when two different ones fit it equally well."""
    found = sorted(amounts(asked, fact), key=lambda a: (-a.near, -len(a.span), a.start))
    if len(found) > 1 and found[0].near == found[1].near:
        return None if found[0].value != found[1].value else found[0]
    return found[0] if found else None


def number_span(asked: Asked, fact: Fact) -> str | None:
    """836亿元（2023年）: the number with its unit, plus the period when the question has none."""
    amount = best_amount(asked, fact)
    if amount is None:
        return None
    if amount.period and not amount.value.endswith("年") and not in_question(amount.period, asked):
        return f"{amount.span}（{amount.period}）"
    return amount.span


def place_span(asked: Asked, fact: Fact) -> str | None:
    """高桥镇: a place of the kind the question asks for (哪个镇), not one it names itself."""
    following = aligned(asked, fact.text)
    if following and asked.kind_noun and following.endswith(asked.kind_noun):
        return following
    return named_kind(asked, fact.text, fact.entities) if asked.kind_noun else None


def named_kind(asked: Asked, text: str, names: Iterable[str] = ()) -> str | None:
    """A name printed ending in the asked kind (…乐山市中医医院 for 哪家医院), not in the question,
    the one whose surroundings share most with the question."""
    noun = asked.kind_noun
    if not noun or not asked.before:
        return None  # 哪个企业是…链主企业: the answer is the subject, not a name ending in 企业
    candidates: list[tuple[int, int, str]] = []
    inside = [(m.start(), m.end()) for name in names for m in re.finditer(re.escape(name), text)]
    for m in re.finditer(re.escape(noun), text):
        end = m.end()
        if any(s < end < e for s, e in inside):
            continue  # 乐山国家高新技术|产业开发区: the kind word inside a longer name
        starts = [s.end() for s in NAME_START.finditer(text, 0, m.start())]
        start = starts[-1] if starts else 0
        span = after_known(without_leading_verbs(text[start:end]), asked)
        if len(span) <= len(noun) + 1 or len(span) > 20 or in_question(span, asked):
            continue
        around = text[max(0, start - 8) : start] + text[end : end + 8]
        candidates.append((closeness(around, asked), -start, span))
    return max(candidates)[2] if candidates else None


def after_known(span: str, asked: Asked) -> str:
    """乐山市峨眉山市|高桥镇 for …峨眉山市哪个镇: a place the question names is no answer."""
    places = [w for w in words_of(asked.text) if len(w) >= 2 and w[-1] in "省市州县区镇乡村"]
    cuts = [span.find(p) + len(p) for p in places if p in span]
    cut = max(cuts, default=0)
    return span[cut:] if len(span) - cut >= 2 else span


def without_leading_verbs(span: str) -> str:
    """依托|合成生物学技术, 全力支持|国有平台公司: a name starts after the verbs before it."""
    words = list(tagged(span))
    while len(words) > 1 and (
        words[0].flag in LEADING_FLAGS
        or words[0].word in NAME_LEAD
        or words[0].word[-2:] in NAME_LEAD
    ):
        words.pop(0)
    return "".join(w.word for w in words)


def aligned(asked: Asked, text: str) -> str | None:
    """The clause piece the fact prints right after the question's words before the asking word
    (…建在峨眉山市|高桥镇 for …建在峨眉山市哪个镇): where the fact says what the question asks."""
    before = asked.before.replace(" ", "")
    for size in range(min(len(before), 8), 2, -1):
        at = text.find(before[-size:])
        if at == -1:
            continue
        start = at + size
        end = min((i for i in map(text.find, CLAUSE_MARKS, [start] * 99) if i != -1), default=-1)
        span = text[start : end if end != -1 else len(text)]
        return span if 2 <= len(span) <= 20 else None
    return None


def name_span(asked: Asked, fact: Fact) -> str | None:
    """“1+3+N”, 乐山市中医医院, 高端特种电缆制造商: the name asked for, as the fact prints it."""
    text = fact.text
    following = aligned(asked, text)
    if following and asked.kind_noun and following.endswith(asked.kind_noun):
        return following
    quoted = best_quote(asked, text)
    if quoted:
        return quoted
    named = named_kind(asked, text, fact.entities)
    if named:
        return named
    if asked.definition:
        return described_as(asked, fact)
    others = [e for e in fact.entities if e in text and not in_question(e, asked)]
    if len(others) == 1 and set(asked.kind_noun) & set(others[0][-3:]):
        return others[0]
    return None


def best_quote(asked: Asked, text: str) -> str | None:
    """The quoted phrase whose surroundings share most with the question (“三招三引”政策)."""
    best: tuple[int, int, str] | None = None
    for m in QUOTE.finditer(text):
        phrase = m.group(1)
        if in_question(phrase, asked):
            continue
        after = text[m.end() : m.end() + 8]
        before = text[max(0, m.start() - 8) : m.start()]
        score = 2 * closeness(after, asked) + closeness(before, asked)
        if asked.kind_noun:
            if not (phrase.endswith(asked.kind_noun) or asked.kind_noun in after[:8]):
                continue  # 哪个产业: a quoted name not followed by 产业 is something else
            score += 4
        if score >= 2 and (best is None or (score, -m.start()) > best[:2]):
            best = (score, -m.start(), phrase)
    return best[2] if best else None


DESCRIBED = re.compile(r"(?:商|企业|公司|机构|平台|集团|基地|中心|品牌|厂家|者)$")


def described_as(asked: Asked, fact: Fact) -> str | None:
    """高端特种电缆制造商: what the fact calls the thing the question names, just before it."""
    text = fact.text
    for word in sorted(set(words_of(asked.text)), key=len, reverse=True):
        at = text.find(word) if len(word) >= 2 else -1
        if at <= 0:
            continue
        before = text[:at]
        phrase = before[max(before.rfind(mark) for mark in "的，、。；：“") + 1 :]
        if 3 <= len(phrase) <= 16 and DESCRIBED.search(phrase):
            return phrase
    return None


# -- lists -------------------------------------------------------------------------------------


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


@lru_cache(maxsize=16384)
def words_of(text: str) -> tuple[str, ...]:
    """jieba's words of a piece of a fact, kept: the same facts answer many questions."""
    return tuple(w for w in jieba.cut(text) if w.strip())


@lru_cache(maxsize=16384)
def tagged(text: str) -> tuple[Tag, ...]:
    """jieba's words of a piece of text with their word classes (n noun, v verb …), kept."""
    return tuple(Tag(w.word, w.flag) for w in pseg.cut(text))


class Tag(NamedTuple):
    word: str
    flag: str  # jieba's word class: n noun, v verb, p preposition …


def first_item(piece: str, limit: float, asked: Asked) -> str:
    """The end of the clause's first piece that belongs to the list: 乐山|高纯晶硅制备."""
    if QUOTE.fullmatch(piece.strip()):
        return piece.strip()
    taken: list[str] = []
    for word in reversed(words_of(piece)):
        length = sum(map(len, taken)) + len(word)
        named = len(word) > 1 and in_question(word, asked)  # 乐山|高纯晶硅制备: the subject
        if taken and (word in LIST_LEAD or named or length > limit):
            break
        if word in CLAUSE_MARKS or (not taken and word in LIST_LEAD):
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
        if taken and (word in LIST_LEAD or named or length > limit):
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


def neighbours(fact: Fact, factbase: FactBase) -> list[str]:
    """The sentences just before and after the fact in its paragraph."""
    paragraph = factbase.paragraph(fact.source)
    sentences = [s for s in re.split(r"(?<=[。！？；])", paragraph) if s.strip()]
    at = next((n for n, s in enumerate(sentences) if fact.text[:20] in s), None)
    if at is None:
        return []
    return [sentences[n] for n in (at - 1, at + 1) if 0 <= n < len(sentences)]


def gather_items(asked: Asked, fact: Fact, factbase: FactBase) -> tuple[Item, ...]:
    """The items of the list the question asks for, from the fact and its neighbours in the same
    paragraph, each once, each with its source; () when the fact holds no such list."""
    own = enumerations(asked, fact.text)
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


# -- conflicts ---------------------------------------------------------------------------------


def conflicting(asked: Asked, hits: tuple[Hit, ...], factbase: FactBase) -> tuple[Hit, ...]:
    """The top answers that give different numbers for the same thing (the same question words
    before the number, the same unit, no different periods), newest first; () when they agree."""
    if asked.kind != "number" or not hits:
        return ()
    found: list[tuple[Hit, Amount]] = []
    for hit in hits[:5]:
        fact = factbase.fact(hit.fact_id)
        if hit.score < hits[0].score - CONFLICT_MARGIN or fact is None:
            break
        amount = best_amount(asked, fact) if hit.short else None  # shown, or not at all
        if not found and (amount is None or not amount.lead):
            return ()  # the top answer gives no clear figure: nothing to set against it
        if amount is None:
            continue
        if not found:
            found.append((hit, amount))
            continue
        top = found[0][1]
        same_thing = (amount.lead, amount.added) == (top.lead, top.added)
        same_thing = same_thing and unit_of(amount) == unit_of(top)
        other_time = amount.period and top.period and amount.period != top.period
        new_value = all(amount.value != seen.value for _, seen in found)
        if same_thing and not other_time and new_value:
            found.append((hit, amount))
    if len(found) < 2:
        return ()
    newest_first = sorted(found, key=lambda pair: pair[0].source.date or "", reverse=True)
    return tuple(hit for hit, _ in newest_first)


def unit_of(amount: Amount) -> str:
    return re.sub(r"^[\d.\-—～~]+[万亿千百]*(?:余|多)?", "", amount.value)


# -- the whole answer --------------------------------------------------------------------------


def add_short_answers(answer: Answer, factbase: FactBase) -> Answer:
    """The answer with a short form for it and for each shown result, its list's items and the
    rival answers that give a different value: what every surface shows first."""
    if not answer.found or not answer.hits:
        return answer
    asked = asked_of(answer.question)
    hits = list(answer.hits)
    items: tuple[Item, ...] = ()
    for n, hit in enumerate(hits[:SHORT_HITS]):
        fact = factbase.fact(hit.fact_id)
        if fact is None:
            continue
        if asked.kind == "list":
            gathered = gather_items(asked, fact, factbase)
            items = gathered if n == 0 else items
            short = "、".join(i.text for i in gathered) or None
        else:
            short = short_span(asked, fact)
            short = short if short and printed_in(short, hit.answer) else None
        hits[n] = replace(hit, short=short)
    conflict = conflicting(asked, tuple(hits), factbase)
    return replace(answer, hits=tuple(hits), short=hits[0].short, items=items, conflict=conflict)


def printed_in(short: str, sentence: str) -> bool:
    """Every piece of a short answer (朱晓星, 伟力得副总经理) is printed in the sentence shown
    under it, which may have been trimmed: a short answer never says what the reader cannot
    check right below it."""
    return all(piece in sentence for piece in re.split(r"[（）]", short) if piece)
