"""The question cues: what kind of answer a question asks for, in one registry.

Each cue is one object: the question pattern that asks for it, the fact property that answers
it, the ranker's preference for facts with and without that property, and whether it feeds the
evidence feature `type_misfit` (an answer must be such a thing). Adding a cue means adding one
entry to CUES; traits.py makes a mask of `holds` over all facts, rank.py applies the
preference, evidence.py checks the answer kind, question.py tells which cues a question asks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answer.lexicon import LEXICON
from bot.facts import parse

if TYPE_CHECKING:
    from bot.answer.indexed import IndexedFact

METHOD = re.compile(r"以“|通过|采取|采用|依托|靠")  # "以“道德评议+村规民约”推进…": how
NUMBER_CUE = re.compile(
    r"多少|好多|(?<!哪)几[个家项条次位年人万亿%]?|多大|多高|多长|多远|比例|占比|增速|增幅|排名|第几|规模(?!以上)"
)  # 好多 asks "how many" in Sichuan speech: 营收好多, 花了好多钱
DATE_CUE = re.compile(
    r"哪天|哪一天|何时|什么时候|啥时候|啥子时候|哪一年|哪年|几月|哪个月|几号|好久"
)  # 好久 asks "when" in Sichuan speech: 生产线好久建成
DURATION_CUE = re.compile(r"多久|多长时间|多少时间|多长的时间")  # how long, not when
# A span of time, not a date: 半年, 两周, 36个工作日, 3个月, 连续5年 (2024年 and 7月 are dates)
DURATION = re.compile(
    r"(?<![0-9.〇零一二两三四五六七八九十百])(?:[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百半几]+)多?"
    r"(?:个多?月|个?星期|周(?!年)|天|小时|分钟|个?工作日|(?<![0-9]{4})年)"
)
DATE_WORD = re.compile(r"时间|日期")  # asks for a date unless a number is asked: 审批时间多少天
NOT_A_NUMBER = re.compile(f"{DATE_CUE.pattern}|{DURATION_CUE.pattern}")  # 多长时间: a span
NOT_A_DATE = re.compile(f"{NUMBER_CUE.pattern}|{DURATION_CUE.pattern}")  # 用了多久时间
# A month is a date too, with no day or year: 今年9月正式进场, 刚刚过去的6月 (not 3个月, a span)
MONTH_NAMED = re.compile(r"(?<!\d)\d{1,2}月")


def dated(fact: IndexedFact) -> bool:
    """The fact says when: a full date, a year, or a month."""
    return bool(fact.fact.dates or fact.years or MONTH_NAMED.search(fact.text))


@dataclass(frozen=True)
class Cue:
    name: str  # the kind of answer: several entries may share one (two ways to ask a date)
    pattern: re.Pattern[str]  # asks for it
    holds: Callable[[IndexedFact], object]  # the fact property that answers it (truthy)
    if_held: float = 1.0  # the ranker's factor for a fact that has the property …
    if_not: float = 1.0  # … and for one that has not
    answer_kind: bool = False  # feeds type_misfit: the answer itself must be such a thing
    unless: re.Pattern[str] | None = None  # a question matching this does not ask the cue

    def asked_in(self, text: str) -> bool:
        return bool(self.pattern.search(text)) and not (self.unless and self.unless.search(text))


CUES: tuple[Cue, ...] = (
    Cue("number", NUMBER_CUE, lambda f: f.fact.numbers, 1.0, 0.7, True, unless=NOT_A_NUMBER),
    Cue("date", DATE_CUE, dated, 1.0, 0.7, True),
    Cue("duration", DURATION_CUE, lambda f: DURATION.search(f.text), 1.0, 0.7, True),
    Cue("date", DATE_WORD, dated, 1.0, 0.7, True, NOT_A_DATE),
    Cue(  # 叫什么 asks for a person only after a role or 人: 副书记叫啥, 那个人叫什么名字, not
        # 行动方案叫什么 nor 活动叫什么名字
        "person",
        re.compile(rf"谁|哪位|姓名|(?:{parse.ROLE_WORDS}|老总|人)(?:是)?(?:叫什么|叫啥)"),
        lambda f: f.has_people,
        1.05,
        0.7,
        True,
    ),
    Cue(
        "list",
        re.compile(r"哪些|哪几|哪两|哪三|哪四|都有|有哪|包括什么|分别"),
        lambda f: f.has_list,
        1.05,
        0.9,
        True,
    ),
    Cue(  # a place the question does not name already: rank.py also prefers a new place
        "place",
        re.compile(
            r"哪里|在哪|哪儿|哪个(?:镇|县|区|市|乡|村|城市|地方|位置|省)|什么地方|位置|地点"
        ),
        lambda f: f.locates,
        1.1,
        1.0,
    ),
    Cue(
        "method",
        re.compile(
            r"靠(?:什么|啥)|(?:什么|啥子?|哪些)(?:方式|办法|途径|手段|措施)"
            r"|怎么推进|如何推进|通过什么|用什么"
        ),
        lambda f: METHOD.search(f.text),
        1.15,
        1.0,
    ),
    Cue(  # rank.py prefers the facts that name the asked person with a role
        "role",
        re.compile(r"职务|职位|什么职|担任|身份|什么官"),
        lambda f: f.fact.people,
    ),
    Cue(  # what a thing is, of which kind, in which role: rank.py prefers a fact that
        # describes it (describes), evidence.py counts one that only lists it as a misfit
        "definition",
        re.compile(
            r"是做什么|是干什么|做什么的|干什么的|是什么企业|是什么公司"
            r"|(?:什么|哪种|哪一种|哪类|啥)(?:类型|性质|身份|角色)|什么样的(?:企业|公司|机构|单位)"
        ),
        lambda f: True,
    ),
)
NAMES = tuple(dict.fromkeys(cue.name for cue in CUES))


# What a definition question asks of X is said by a fact that describes X, and not by one that
# only lists X among others: 重点推进希尔电子、嘉洋科技等企业技改 says nothing of what 希尔电子 is.
ASIDE = re.compile(r"\([^()]*\)")  # (以下简称“四川伟力得”): a name again, in passing


def mentions(text: str, names: Iterable[str]) -> list[tuple[str, str]]:
    """(text before, text after) each mention of one of the names, the longest name where
    several start at one place, asides left out."""
    names = sorted({n for n in names if n}, key=len, reverse=True)
    if not names:
        return []
    text = ASIDE.sub("", text)
    found = re.finditer("|".join(map(re.escape, names)), text)
    return [(text[: m.start()], text[m.end() :]) for m in found]


def describes(text: str, names: Iterable[str]) -> bool:
    """The text says what one of the names is, by a word right before it (电缆制造商尚纬股份,
    非直属附属医院--成都中医药大学附属乐山医院) or by 是 or 为 right after it (尚纬股份是…)."""
    return any(
        before.endswith(tuple(LEXICON.descriptor_heads)) or after[:1] in ("是", "为")
        for before, after in mentions(text, names)
    )


def only_listed(text: str, names: Iterable[str]) -> bool:
    """The text names one of the names only as items of lists (希尔电子、嘉洋科技, 尚纬股份等
    大企业), and describes none."""
    found = mentions(text, names)
    listed = all(before.endswith("、") or after[:1] in ("、", "等") for before, after in found)
    return bool(found) and listed and not describes(text, names)


def continues_list(text: str, after: str, *, new_paragraph: bool) -> bool:
    """`after` holds the list that `text` announces: the next sentence opens with 分别是 (…引进
    重点企业5家。分别是A、B、C), or `text` ends with a colon and `after` is the next paragraph or
    sentence. Then a 哪些 question about `text` is answered by both together."""
    if "、" not in after:
        return False
    announces = text.rstrip().endswith(("：", ":"))
    return announces or (not new_paragraph and after.startswith(tuple(LEXICON.list_openers)))


def entries_asked(text: str) -> tuple[Cue, ...]:
    """The cues the (normalised) question asks: of entries sharing a name, the first asked."""
    found: dict[str, Cue] = {}
    for cue in CUES:
        if cue.name not in found and cue.asked_in(text):
            found[cue.name] = cue
    return tuple(found.values())


def asked_cues(text: str) -> frozenset[str]:
    """The names of the cues the (normalised) question asks."""
    return frozenset(cue.name for cue in entries_asked(text))


def answer_kind_holds(name: str, fact: IndexedFact) -> bool:
    """Whether the fact has an answer of the kind the cue asks (any of its entries)."""
    return any(bool(cue.holds(fact)) for cue in CUES if cue.name == name)
