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
from dataclasses import replace

from bot.answer.policy import DEFAULT_POLICY, AnswerPolicy
from bot.answer.result import Answer, Item
from bot.facts.model import FactBase
from bot.short_answer.asked import asked_of
from bot.short_answer.conflicts import conflicting
from bot.short_answer.lists import gather_items
from bot.short_answer.spans import short_span

__all__ = ["add_short_answers"]

SHORT_HITS = 10  # results that get a short form of their own: all any surface shows


def add_short_answers(
    answer: Answer, factbase: FactBase, policy: AnswerPolicy = DEFAULT_POLICY
) -> Answer:
    """The answer with a short form for it and for each shown result, its list's items and the
    rival answers that give a different value: what every surface shows first. The policy
    (the answerer's own) says which rivals are answers the bot would give.

    Hits from the entity and story layers (entity:…, story:…) have no fact in the fact base;
    they keep no short form and add no items: their answer is already a name or a date."""
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
    conflict = conflicting(asked, tuple(hits), factbase, policy)
    return replace(answer, hits=tuple(hits), short=hits[0].short, items=items, conflict=conflict)


def printed_in(short: str, sentence: str) -> bool:
    """Every piece of a short answer (朱晓星, 伟力得副总经理) is printed in the sentence shown
    under it, which may have been trimmed: a short answer never says what the reader cannot
    check right below it."""
    return all(piece in sentence for piece in re.split(r"[（）]", short) if piece)
