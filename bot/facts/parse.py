"""Structured values inside a fact: numbers with units, dates, periods and people with roles.

Both the build (to store them) and the matcher (to check a question's cue against a fact) use
these, so they live in one place.
"""

from __future__ import annotations

import re

from bot.facts.model import Person
from bot.text import BYLINE_ROLE, CJK, is_common_word

CJK_NUM = "零〇一二两三四五六七八九十百千万亿"
UNITS = (
    "亿元|万元|元|亿|万美元|美元|万吨|吨|万升|升|吉瓦|GW|MW|千瓦|平方米|亩|公里|%|万人|人|家|户|个|项|"
    "条|批|次|座|所|种|粒|支|倍|年|位|名|余人|余家|余项|余个|余次"
)
NUMBER = re.compile(
    rf"(?:约|近|超|超过|达|突破)?(?P<value>\d+(?:\.\d+)?(?:[-—～~]\d+(?:\.\d+)?)?)"
    rf"(?P<mult>[万亿千百]*)(?:余|多)?(?P<unit>{UNITS})"
)
WORD_NUMBER = re.compile(rf"[{CJK_NUM}]{{1,3}}(?:个|家|项|大|条|批|种|位|名|次)")
FULL_DATE = re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日")
MONTH = re.compile(r"\d{4}年\d{1,2}(?:[-—]\d{1,2})?月(?!\d{1,2}日)")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?=年|全国|乐山|世界)")  # a year in running text
BARE_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")  # any four-digit year, as people type
PLAN_PERIOD = re.compile(r"[“\"]?(十[一二三四五六七八九]?五)[”\"]?")
ROLE_WORDS = (
    "副总经理|总经理|董事长|副董事长|项目经理|经理|副主任|主任|副书记|书记|局长|副局长|部长|"
    "副校长|校长|副主席|主席|副市长|市长|县长|区长|院长|负责人|村民|委员|总监|首席"
)
PERSON = re.compile(
    rf"(?P<org>[^\s，。、；：“”（）]{{0,24}}?)(?P<role>{ROLE_WORDS})"
    rf"(?P<name>[\u4e00-\u9fff]{{2,3}}?)"
    r"(?=表示|说|介绍|指出|要求|出席|当选|围绕|谈到|在致辞|信心|，|、|参加|对)"
)
NOT_NAMES = {"相关", "一行", "工作", "团队", "同志", "代表", "们"}


def numbers(text: str) -> list[str]:
    found = [
        m.group(0)
        for m in NUMBER.finditer(text)
        if not (m["unit"] == "年" and len(m["value"]) == 4)  # a year is a date, not a quantity
    ]
    found += [m.group(0) for m in WORD_NUMBER.finditer(text)]
    return sorted(set(found), key=text.find)


def dates(text: str) -> list[str]:
    found = [m.group(0) for m in FULL_DATE.finditer(text)]
    found += [m.group(0) for m in MONTH.finditer(text)]
    return sorted(set(found), key=text.find)


def periods(text: str) -> list[str]:
    """Years and plan periods a fact speaks of: "2023年", "2025年1-8月", "十四五"."""
    found = [m.group(0) + "年" for m in YEAR.finditer(text)]
    found += [m.group(0) for m in MONTH.finditer(text) if "-" in m.group(0) or "—" in m.group(0)]
    found += [m.group(1) for m in PLAN_PERIOD.finditer(text)]
    return sorted(set(found), key=lambda p: (text.find(p.rstrip("年")), p))


def people(text: str) -> list[Person]:
    found: dict[str, Person] = {}
    for m in PERSON.finditer(text):
        name = m["name"]
        if name in NOT_NAMES or name[0] in "的和与及在" or is_common_word(name):
            continue  # 负责人表示, 村民纷纷: a word, not a name
        org = m["org"].lstrip("、，")
        found.setdefault(name, Person(name=name, role=m["role"], organisation=org))
    return list(found.values())


_BYLINE_ROLE = re.compile(f"({BYLINE_ROLE})")
_NAME = re.compile(rf"[{CJK}]{{2,4}}|[{CJK}]{{1,6}}[·•][{CJK}]{{1,8}}")  # 吉克·阿依


def credited(byline: str, publication: str = "") -> list[Person]:
    """The people a byline names: 本报记者 叶伟 特约通讯员 刘倩 → 叶伟 (记者), 刘倩 (特约通讯员).
    A name printed without a role (本报讯（罗曦）) is the story's writer, its 作者; one that is
    also an everyday word (祝贺) is taken only after a role, where it can be nothing else."""
    found, role = [], ""
    for piece in _BYLINE_ROLE.split(byline):
        if _BYLINE_ROLE.fullmatch(piece):
            role = piece.removeprefix("本报")
            continue
        for name in re.split(r"[\s、，,]+", piece.strip()):
            if _NAME.fullmatch(name) and (role or not is_common_word(name)):
                found.append(Person(name=name, role=role or "作者", organisation=publication))
        role = ""
    return found
