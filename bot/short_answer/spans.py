"""One fact, one short span: the person, role, number, date, place or name a question asks
for, copied from the fact's text; None where no span is clear."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.answer.cues import DURATION
from bot.facts import parse
from bot.facts.model import Fact
from bot.short_answer.asked import (
    CLAUSE_MARKS,
    ITEM_MARKS,
    LEAD_WORDS,
    QUOTE,
    Asked,
    Tag,
    clause_around,
    closeness,
    folded,
    in_question,
    pairs,
    tagged,
    words_of,
)
from bot.text import normalise

MAX_SHORT_CHARS = 40  # longer spans are not "at a glance": the sentence alone says it better
# Where a name printed before an asked-for kind (…市中医医院) begins.
NAME_START = re.compile(r"[在于从到由向与和的是为、，。；：！？“”（）—《》\s]")
# Hedges and directions a number keeps, since dropping them changes what it says.
NUMBER_LEAD = re.compile(r"(?:同比)?(?:增长|下降|提高|降低|增加|减少)了?$")
NUMBER_TAIL = re.compile(r"^(?:以上|左右|以内|以下)")
DROPPED_LEAD = ("达到", "达", "突破了")
DURATION_LEAD = re.compile(r"(?:连续|其后|此后|未来|近)$")  # 连续5年: which years
ADDED = re.compile(r"新增|净增|增加|新(?:孵化|培育|引进|签约?|入孵|建|落地)")
TIME_OF_DAY = re.compile(r"^(?:上午|下午|晚上|晚间|凌晨|中午)")
LEADING_FLAGS = {"d", "ad", "p", "c", "vd", "u", "uj"}  # adverbs, prepositions, particles
NAME_LEAD = LEAD_WORDS | {"支持", "依托", "依靠", "采用", "利用", "位于", "落户"}
NOUN_FLAGS = ("n", "b", "j", "vn", "l")  # jieba word classes that can name a counted thing
PREFIX_DROPPED = set("v d p c m u uj ad vd r y x".split())  # words a name does not start with
ROLE_WORDS = re.compile(parse.ROLE_WORDS)


def short_span(asked: Asked, fact: Fact) -> str | None:
    """The short answer the fact gives to the question, copied from its text; None if unclear."""
    find = {
        "person": person_span,
        "role": role_span,
        "date": date_span,
        "duration": duration_span,
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


def duration_span(asked: Asked, fact: Fact) -> str | None:
    """半年左右, 两周时间: the span of time the fact gives (cues.DURATION), the one whose clause
    shares most with the question if several, with 左右 or 时间 after it."""
    text = fact.text
    found = [m for m in DURATION.finditer(text) if not in_question(m.group(0), asked)]
    if not found:
        return None
    best = max(
        found,
        key=lambda m: (closeness(text[slice(*clause_around(text, *m.span()))], asked), -m.start()),
    )
    tail = re.match(r"左右|时间|之久", text[best.end() :])
    return best.group(0) + (tail.group(0) if tail else "")


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
