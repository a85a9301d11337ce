"""Facts and entities from clean stories.

A fact is one sentence (or a clause group of a very long one) that a reader would accept as an
answer. Entities are found by the shapes Chinese news gives names: legal forms (…有限公司),
place suffixes (…镇), park suffixes (…产业园), 简称 notes and role + name patterns.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.facts import parse
from bot.facts.model import Entity, Fact, Source, Story
from bot.text import CJK, is_common_word, pinyin_key, plain_jieba, plain_tags

MAX_FACT_CHARS = 250
MIN_FACT_CHARS = 12  # a shorter sentence is joined to the next one: "向高端，筑高地。"
QUOTE_CHARS = 30  # …and so is one this short when the next begins by pointing back at it
POINTS_BACK = re.compile(r"这是|这些|这就是|此举|此次")
# A sentence that only says who spoke the quote before it: "该项目施工负责人谷翠芳说。"
ATTRIBUTION = re.compile(r"[^，。！？“”]{1,24}?(?:说|道|表示|介绍|坦言|感慨|告诉记者)[。！]")
SENTENCE = re.compile(r"[^。！？!?]*(?:[。！？!?]+[”’」』）)]*|$)")
# Where a name cannot continue to the left: punctuation and function words.
LEFT_STOP = re.compile(
    r"[^\u4e00-\u9fffA-Za-z0-9]|的|在|与|和|及|由|向|对|是|为|等|了|将|把|被|从|至|于|让|给|"
    r"旗下|子公司|位于|作为|以及|包括|支持|推进|引进|培育|建设|组建|兴建|投资|走进|依托|联合|"
    r"携手|签约|举行|召开|开展|成立|打造|布局|发布|实施|推动|加快|全力|积极"
)
REGION_PREFIX = re.compile(
    r"^(?:中国|四川省?|乐山市?|福建省?|大连市?|成都市?|重庆市?|海南省?|北京市?|上海市?|"
    r"广东省?|浙江省?|江苏省?|[\u4e00-\u9fff]{2}[省市])"
)
LEGAL_SUFFIX = re.compile(r"(?:集团)?(?:股份有限公司|有限责任公司|有限公司|股份|集团)$")
TRADE_WORDS = re.compile(
    r"(?:新材料|新能源|能源|生物医药|医疗科技|医疗|科技|制药|药业|储能|电子|酒业|实业)+$"
)
# A company by its trade name, with no legal form: 希尔电子、嘉洋科技等, 航达储能科技公司. Its own
# part must be coined (coined_name), or 发展高科技 and 新能源新材料 would be companies.
TRADE_NAME = re.compile(
    rf"[{CJK}]{{2,4}}?(?P<suffix>(?:生物|科技|电子|制药|药业|储能科技|酒业|实业)(?:公司)?)"
    r"(?=[、，。,；等和与及为]|$)"
)
NAME_TAGS = ("nr", "ns", "nt", "nz")  # jieba's tags of proper names: 希尔 (nrt), 裕华 (nz)
# Standard Chinese short forms of long institutional words.
ABBREVIATIONS = {
    "国家高新技术产业开发区": "高新区",
    "高新技术产业开发区": "高新区",
    "经济技术开发区": "经开区",
    "卫生健康委员会": "卫健委",
    "卫生健康委": "卫健委",
    "中医医院": "中医院",
}
NAME = rf"[{CJK}A-Za-z0-9]"
NAME_CHAR = re.compile(NAME)
KIND_PATTERNS = [
    ("company", re.compile(rf"{NAME}{{2,24}}?(?P<suffix>股份有限公司|有限责任公司|有限公司)")),
    ("company", re.compile(rf"[{CJK}]{{2,6}}?(?P<suffix>集团|股份)(?![{CJK}]*有限)")),
    ("company", TRADE_NAME),
    (
        "park",
        re.compile(rf"{NAME}{{2,16}}?(?P<suffix>产业园区|产业园|高新区|开发区|示范区|试验区)"),
    ),
    ("place", re.compile(rf"[{CJK}]{{2,3}}(?P<suffix>镇|乡|村|县)(?![{CJK}]?(?:委|民|级|域))")),
    (
        "organisation",
        re.compile(rf"[{CJK}]{{2,14}}?(?P<suffix>联盟|大学|学院|医院|总工会|教育局|农村局|委员会)"),
    ),
    ("event", re.compile(rf"[{CJK}0-9]{{4,20}}?(?P<suffix>大会|座谈会|发布会|恳谈会|全会)")),
    ("project", re.compile(rf"[{CJK}A-Za-z0-9（）]{{4,30}}?(?P<suffix>项目)")),
]
SHORT_NAME = re.compile(r"[（(](?:以下)?简称[“\"](?P<short>[^”\"]{2,12})[”\"][）)]")
ADMIN_UNITS = {"省", "市", "县", "区", "乡", "镇"}  # 峨眉山市|高桥镇: a place name starts after one
# jieba's tags of words that open or join a clause and never sit inside a name: prepositions,
# conjunctions, pronouns, particles, status words (紧盯), set phrases (贯彻落实).
CLAUSE_TAGS = ("p", "c", "r", "u", "z", "i")
# Adverbs and habitual phrases (更加, 进一步, 不断完善) are clause words only before a verb or the
# suffix: jieba tags a few name words so too (高新创智谷, 一体化技改项目).
ADVERB_TAGS = ("d", "l")
VERB_TAGS = ("v", "vn")
GENERIC_NAMES = re.compile(
    r"^(?:该|这|本|此|各|其|上述|相关|重点|重大|一批|多个|全市|全省|全国)"
    r"|(?:\d+|[一二三四五六七八九十两]+)个"  # a count anywhere: …产业园已落地7个项目
    r"|[全各][省市县区乡镇村]$"  # every unit, no one place: 夹江全县, 引导各村
)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences, with very short ones joined to the next and very long ones cut at clauses."""
    raw = [s.strip() for s in SENTENCE.findall(paragraph) if s.strip()]
    merged: list[str] = []
    carry = ""
    for position, sentence in enumerate(raw):
        sentence = carry + sentence
        carry = ""
        following = raw[position + 1] if position + 1 < len(raw) else ""
        if (
            merged
            and merged[-1].endswith("”")
            and ATTRIBUTION.fullmatch(sentence)
            and len(merged[-1]) + len(sentence) <= MAX_FACT_CHARS
        ):
            merged[-1] += sentence  # the quote and its speaker: what was said, and by whom
            continue
        short = len(sentence) < MIN_FACT_CHARS
        if (short and len(raw) > 1) or (
            len(sentence) < QUOTE_CHARS and POINTS_BACK.match(following)
        ):
            carry = sentence  # "“2亿粒胶囊……”这是德世堂…": the next sentence says what it is
            continue
        merged.extend(cut_long(sentence))
    if carry:
        if merged and len(merged[-1]) + len(carry) <= MAX_FACT_CHARS:
            merged[-1] += carry
        else:
            merged.append(carry)
    return merged


def cut_long(sentence: str) -> list[str]:
    """Pieces of at most MAX_FACT_CHARS, cut after "；" first, then after "，"."""
    if len(sentence) <= MAX_FACT_CHARS:
        return [sentence]
    for mark in "；，":
        parts = [p for p in re.split(f"(?<={mark})", sentence) if p]
        if len(parts) > 1:
            pieces, current = [], ""
            for part in parts:
                if current and len(current) + len(part) > MAX_FACT_CHARS:
                    pieces.append(current)
                    current = ""
                current += part
            pieces.append(current)
            if all(len(p) <= MAX_FACT_CHARS for p in pieces):
                return pieces
            return [q for p in pieces for q in cut_long(p)]
    return [sentence[i : i + MAX_FACT_CHARS] for i in range(0, len(sentence), MAX_FACT_CHARS)]


def fact_id(file: str, text: str) -> str:
    return hashlib.sha1(f"{file}\n{text}".encode()).hexdigest()[:12]


def make_facts(stories: list[Story]) -> list[Fact]:
    """One fact per sentence, skipping sentences a page printed twice."""
    facts: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    for story in stories:
        headline = Source(story.file, story.title, story.publication, story.date, 0)
        if story.title:  # a headline states a fact too: 金口河：家门口的“坝坝会” 摆好文明“龙门阵”
            facts.append(Fact(fact_id(story.file, story.title), story.title, headline))
        if story.byline:  # who wrote it: 《…》作者：本报记者 叶伟 特约通讯员 刘倩
            text = f"《{story.title}》作者：{story.byline}".removeprefix("《》")
            people = parse.credited(story.byline, story.publication)
            facts.append(Fact(fact_id(story.file, text), text, headline, people=people))
        for number, paragraph in enumerate(story.paragraphs, start=1):
            for sentence in split_sentences(paragraph):
                key = (story.file, re.sub(r"\W", "", sentence))
                if key in seen:
                    continue
                seen.add(key)
                source = Source(story.file, story.title, story.publication, story.date, number)
                facts.append(
                    Fact(
                        id=fact_id(story.file, sentence),
                        text=sentence,
                        source=source,
                        numbers=parse.numbers(sentence),
                        dates=parse.dates(sentence),
                        periods=parse.periods(sentence),
                        people=parse.people(sentence),
                    )
                )
    return facts


def trim_left(candidate: str) -> str:
    """Cut a suffix match back to where the name starts."""
    last = None
    for m in LEFT_STOP.finditer(candidate):
        last = m
    return candidate[last.end() :] if last else candidate


def core_name(name: str) -> str:
    """四川伟力得能源股份有限公司 → 伟力得: the name without region, legal form and trade."""
    core = LEGAL_SUFFIX.sub("", name)
    core = REGION_PREFIX.sub("", core)
    return TRADE_WORDS.sub("", core)


def stands_alone(name: str, text: str, place: bool = False, whole: bool = True) -> bool:
    """True when the name occurs somewhere right after punctuation or a function word, and, if
    whole, as whole words: not 校大学 in 在校大学生, nor 制造业招商引资大会 in 招商引资大会战."""
    for m in re.finditer(re.escape(name), text):
        before = text[max(0, m.start() - 3) : m.start()]
        if (
            not before
            or any(
                LEFT_STOP.fullmatch(before[i:]) or (place and before[i:] in ADMIN_UNITS)
                for i in range(len(before))
            )
        ) and (not whole or whole_words(text, m.start(), m.end())):
            return True
    return False


def whole_words(text: str, start: int, end: int) -> bool:
    """True when jieba cuts the clause around text[start:end] at both of its ends."""
    left, right = start, end
    while left > 0 and NAME_CHAR.fullmatch(text[left - 1]):
        left -= 1
    while right < len(text) and NAME_CHAR.fullmatch(text[right]):
        right += 1
    cuts = word_cuts(text[left:right])
    return start - left in cuts and end - left in cuts


@lru_cache(maxsize=4096)
def word_cuts(clause: str) -> frozenset[int]:
    """The positions between the words of a clause."""
    cuts, position = {0}, 0
    for word in plain_jieba().cut(clause, HMM=False):
        position += len(word)
        cuts.add(position)
    return frozenset(cuts)


def best_name(candidate: str, text: str, suffix_len: int, place: bool = False) -> str | None:
    """The shortest left-trimmed form of a suffix match that the text also uses on its own."""
    candidate = trim_left(candidate)
    for start in range(max(0, len(candidate) - suffix_len - 2), -1, -1):
        name = candidate[start:]
        if stands_alone(name, text, place):
            return name
    if candidate.endswith(("集团", "股份")):  # 酒企保乐力加集团: the text also says 保乐力加
        core = candidate[:-2]
        for start in range(max(0, len(core) - 2), -1, -1):
            if stands_alone(core[start:], text) and not is_common_word(core[start:]):
                return core[start:] + candidate[-2:]
    return None


def drop_predicate(name: str, suffix_len: int, place: bool = False) -> str:
    """更加重视项目 → 项目, 选举市总工会 → 市总工会: the name without the predicate before it.

    The name starts after the last clause word. A verb opening what is left takes the rest, or
    the bare suffix (重视|项目), as its object; but verbs running together up to the suffix are
    a name (创新驱动发展示范区), and so is a verb before a place suffix (前进村).
    """
    words = plain_jieba().lcut(name[:-suffix_len], HMM=False)
    tags = [plain_tags().get(w, "x") for w in words]
    next_is_verb = [tag in VERB_TAGS for tag in tags[1:]] + [True]  # or the suffix, its object
    start = 0
    for i, (word, tag) in enumerate(zip(words, tags, strict=True)):
        # a single character says little (尚纬, 海同 are names jieba does not know), unless an
        # adverb stands right before a verb of two characters: 乐山高新区正|紧扣…, 共|签订…
        if (len(word) > 1 or predicate_verb_next(words, tags, i)) and (
            tag.startswith(CLAUSE_TAGS) or (tag.startswith(ADVERB_TAGS) and next_is_verb[i])
        ):
            start = i + 1
    end = start
    while end < len(words) and tags[end] in VERB_TAGS:
        end += 1
    takes_object = end < len(words)  # 选举|市总工会, not 创新驱动发展|示范区
    if tags[start : start + 1] == ["v"] and (takes_object or (end == start + 1 and not place)):
        start = end
    return "".join(words[start:]) + name[-suffix_len:]


def predicate_verb_next(words: list[str], tags: list[str], i: int) -> bool:
    """The word after words[i] is a plain verb of two characters or more (紧扣, 签订)."""
    return i + 1 < len(words) and tags[i + 1] == "v" and len(words[i + 1]) > 1


def swallowed_suffix(place: str) -> bool:
    """农业农村, 目前全县: a word holds the place suffix (农村, 全县) and the word before it is no
    place name jieba knows (罗城古镇 is one), nor one character of a name it does not (马村镇)."""
    words = plain_jieba().lcut(place, HMM=False)
    return (
        len(words) == 2
        and len(words[0]) > 1
        and len(words[1]) > 1
        and plain_tags().get(words[0]) != "ns"
    )


def coined_name(own: str) -> bool:
    """希尔, 嘉洋, 裕华: two characters or more, every word of it of two or more a proper name
    to jieba, and not a place alone; a dictionary's common noun or verb (发展, 新能源) names no
    company, nor does a place (乐山科技 is a field of 乐山, not a firm) or a stray character
    (美科技, cut from 和美科技)."""
    words = plain_jieba().lcut(own, HMM=False)
    tags = [plain_tags().get(w, "x") for w in words]
    proper = all(len(w) == 1 or t.startswith(NAME_TAGS) for w, t in zip(words, tags, strict=True))
    place = all(t.startswith("ns") for t in tags) or not REGION_PREFIX.sub("", own)
    return len(own) >= 2 and proper and not place


def candidate_names(text: str) -> Iterable[tuple[str, str]]:
    for kind, pattern in KIND_PATTERNS:
        matches = {m.group(0): len(m["suffix"]) for m in pattern.finditer(text)}
        for match, suffix_len in matches.items():
            place = kind == "place"
            name = best_name(match, text, suffix_len, place)
            if name and kind != "company":  # a legal form closes a name its owners spelled out
                name = drop_predicate(name, suffix_len, place)
                if len(name) == suffix_len or not stands_alone(name, text, place):
                    continue  # 紧盯|千亿产业园区: what is left is no name the text uses alone
            if not name or GENERIC_NAMES.search(name) or is_common_word(name):
                continue
            if kind == "project" and len(name) < 6:
                continue
            if pattern is TRADE_NAME and not coined_name(name[:-suffix_len]):
                continue
            if place and swallowed_suffix(name):
                continue
            yield kind, name


def extract_entities(stories: list[Story], facts: list[Fact]) -> list[Entity]:
    """Entities with aliases; variant spellings of one name become aliases of the commoner."""
    return merge_entities([article_entities(stories, facts)])


def article_entities(stories: list[Story], facts: list[Fact]) -> tuple[list[Entity], Counter[str]]:
    """One article's entities, with the aliases its own text gives, and how often it names each.

    Kept apart from `merge_entities` so that a build extracts an unchanged article only once.
    """
    text = "\n".join(p for s in stories for p in s.paragraphs)
    people = {p.name for fact in facts for p in fact.people if len(p.name) > 1}
    entities: dict[str, Entity] = {}
    for kind, name in candidate_names(text):
        if any(person in name for person in people):
            continue  # 书记雷建新当选市总工会: a clause about a person, not an organisation's name
        entities.setdefault(name, Entity(name=name, type=kind))
    for m in SHORT_NAME.finditer(text):
        before = text[: m.start()]
        owner = max(
            (e for e in entities.values() if e.type == "company" and before.endswith(e.name)),
            key=lambda e: len(e.name),
            default=None,
        )
        if owner:
            add_alias(owner, m["short"])
            add_alias(owner, REGION_PREFIX.sub("", m["short"]))
    for fact in facts:
        for person in fact.people:
            if is_common_word(person.name):
                continue  # 记者 祝贺 is a person, but as a name to find in questions, a word
            entity = entities.setdefault(person.name, Entity(name=person.name, type="person"))
            entity.role = entity.role or person.role
            entity.organisation = entity.organisation or person.organisation
    for entity in list(entities.values()):
        if entity.type == "company":
            core = core_name(entity.name)
            if len(core) >= 2 and core != entity.name:
                add_alias(entity, core)
                trade = TRADE_WORDS.search(LEGAL_SUFFIX.sub("", entity.name))
                if trade:
                    add_alias(entity, core + trade.group(0))
        for long, short in ABBREVIATIONS.items():
            if long in entity.name:
                add_alias(entity, entity.name.replace(long, short))
        if entity.type == "place":  # 夹江县 → 夹江, when the text says 夹江 on its own
            bare = entity.name[:-1]
            if (
                len(bare) >= 2
                and not is_common_word(bare)  # 民主村 is not named by 民主 (democracy)
                and stands_alone(bare, text, place=True, whole=False)
            ):
                add_alias(entity, bare)
        region = REGION_PREFIX.match(entity.name)
        if entity.type in {"park", "organisation"} and region:
            # 乐山市总工会 → 总工会, and 市总工会 as the city's own paper says
            unit = region.end() - region.group().endswith(("省", "市"))
            for bare in (entity.name[region.end() :], entity.name[unit:]):
                if len(bare) >= 3 and bare in text:
                    add_alias(entity, bare)
    found = list(entities.values())
    return found, Counter({e.name: text.count(e.name) for e in found})


def merge_entities(articles: Iterable[tuple[list[Entity], Counter[str]]]) -> list[Entity]:
    """The articles' entities as one list: a name found in several articles is one entity
    (its first type, all aliases), and variant spellings become aliases of the commoner."""
    merged: dict[str, Entity] = {}
    counts: Counter[str] = Counter()
    for entities, article_counts in articles:
        counts.update(article_counts)
        for found in entities:
            entity = merged.get(found.name)
            if entity is None:
                merged[found.name] = Entity(
                    found.name, found.type, list(found.aliases), found.role, found.organisation
                )
                continue
            for alias in found.aliases:
                add_alias(entity, alias)
            entity.role = entity.role or found.role
            entity.organisation = entity.organisation or found.organisation
    return sorted(merge_variants(list(merged.values()), counts), key=lambda e: (e.type, e.name))


def add_alias(entity: Entity, alias: str) -> None:
    if len(alias) >= 2 and alias != entity.name and alias not in entity.aliases:
        entity.aliases.append(alias)


def merge_variants(entities: list[Entity], counts: Counter[str]) -> list[Entity]:
    """尚伟股份 and 尚纬股份 are one company: names of one type that sound the same."""
    by_sound: dict[tuple[str, str], list[Entity]] = {}
    for e in entities:
        by_sound.setdefault((e.type, pinyin_key(e.name)), []).append(e)
    kept = []
    for group in by_sound.values():
        group.sort(key=lambda e: (-counts[e.name], e.name))
        main = group[0]
        for other in group[1:]:
            add_alias(main, other.name)
            for alias in other.aliases:
                add_alias(main, alias)
        kept.append(main)
    return resolve_aliases(merge_trade_names(kept, counts), counts)


def merge_trade_names(entities: list[Entity], counts: Counter[str]) -> list[Entity]:
    """吉晟生物 is 四川吉晟生物医药有限公司: a company named by its trade name is the company
    of a legal form with the same coined core. Two trade names of one core (航达电子, 航达储能
    科技公司) stay apart: they may be sister companies."""

    def core(name: str) -> str:
        trade = TRADE_NAME.fullmatch(name)
        return name[: trade.start("suffix")] if trade else core_name(name)

    by_core: dict[str, list[Entity]] = {}
    for e in entities:
        if e.type == "company" and len(core(e.name)) >= 2:
            by_core.setdefault(core(e.name), []).append(e)
    merged: set[str] = set()
    for group in by_core.values():
        trade_names = [e for e in group if TRADE_NAME.fullmatch(e.name)]
        legal = [e for e in group if e not in trade_names]
        if not trade_names or not legal:
            continue
        main = min(legal, key=lambda e: (-counts[e.name], e.name))
        for other in trade_names:
            add_alias(main, other.name)
            for alias in other.aliases:
                add_alias(main, alias)
            merged.add(other.name)
    return [e for e in entities if e.name not in merged]


def resolve_aliases(entities: list[Entity], counts: Counter[str]) -> list[Entity]:
    """An entity named like another's alias is that entity; a shared alias goes to the commoner."""
    by_name = {e.name: e for e in entities}
    for e in sorted(entities, key=lambda e: -len(e.name)):
        for alias in list(e.aliases):
            twin = by_name.get(alias)
            if twin is not None and twin is not e and twin.type == e.type:
                for extra in twin.aliases:
                    add_alias(e, extra)
                del by_name[alias]
    kept = list(by_name.values())
    owners: dict[str, Entity] = {}
    for e in sorted(kept, key=lambda e: (-counts[e.name], e.name)):
        e.aliases = [a for a in e.aliases if a not in owners and a not in by_name]
        for alias in e.aliases:
            owners[alias] = e
        e.aliases.sort()
    return kept


def link_entities(facts: list[Fact], entities: list[Entity]) -> None:
    """Each fact lists the entities it names, longest names first so 乐山高新区 beats 乐山."""
    linker = Linker(entities)
    for fact in facts:
        fact.entities = linker.entities_of(fact)


NameRow = tuple[str, str, str]  # (alias or name, the entity's name, the entity's type)


class Linker:
    """Finds the entities a fact names. The names are tried in an order that depends on the
    names alone (longest first), so relinking only the facts that a changed name occurs in
    gives what relinking every fact gives: this is what lets a build reuse old links."""

    def __init__(self, entities: list[Entity]) -> None:
        rows = {(alias, e.name, e.type) for e in entities for alias in [e.name, *e.aliases]}
        self.rows: frozenset[NameRow] = frozenset(rows)
        ordered = sorted(rows, key=lambda r: (-len(r[0]), r[2], r[1], r[0] != r[1], r[0]))
        self.rank = {row: i for i, row in enumerate(ordered)}
        self.by_start: dict[str, list[NameRow]] = {}  # the first two characters → names
        self.single: list[NameRow] = []  # one-character names (a curated alias may be one)
        for row in ordered:
            if len(row[0]) < 2:
                self.single.append(row)
            else:
                self.by_start.setdefault(row[0][:2], []).append(row)

    def entities_of(self, fact: Fact) -> list[str]:
        return self.names_in(fact.text, fact.entities, fact.curated)

    def names_in(self, text: str, given: Sequence[str] = (), curated: bool = False) -> list[str]:
        """The entities a text names; `given` and `curated` as a curated entry has them."""
        found = {row for row in self.single if row[0] in text}
        for i in range(len(text) - 1):
            for row in self.by_start.get(text[i : i + 2], ()):
                if text.startswith(row[0], i):
                    found.add(row)
        remaining = text
        linked: list[str] = list(given)  # a curated entry names its entity itself
        for alias, canonical, _ in sorted(found, key=self.rank.__getitem__):
            if alias in remaining:
                remaining = remaining.replace(alias, "\0")
                if canonical not in linked:
                    linked.append(canonical)
        named = [n for n in linked if n in text or not curated]
        return [n for n in linked if n not in named] + sorted(
            named, key=lambda n: text.find(n) % 10_000
        )
