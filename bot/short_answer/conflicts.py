"""Conflicts: the top answers that give different figures for the same thing, shown both."""

from __future__ import annotations

import re

from bot.answer.policy import AnswerPolicy
from bot.answer.result import Hit
from bot.facts.model import FactBase
from bot.short_answer.asked import Asked
from bot.short_answer.spans import Amount, best_amount

RIVALS = 5  # the top results looked at for a different figure


def conflicting(
    asked: Asked, hits: tuple[Hit, ...], factbase: FactBase, policy: AnswerPolicy
) -> tuple[Hit, ...]:
    """The top answers that give different numbers for the same thing (the same question words
    before the number, the same unit, no different periods), newest first; () when they agree.

    A rival counts when the policy would give it as an answer on its own (its probability of
    being right is at or above the lenient threshold): the score is a calibrated probability,
    so "close to the top one" is no measure; "an answer the bot would give" is."""
    if asked.kind != "number" or not hits:
        return ()
    found: list[tuple[Hit, Amount]] = []
    for hit in hits[:RIVALS]:
        if not policy.answers(hit.score):
            break
        fact = factbase.fact(hit.fact_id)
        if fact is None:  # an entity's or a story's own answer (entity:…, story:…)
            if not found:
                return ()  # the top answer states no figure: nothing to set against it
            continue
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
