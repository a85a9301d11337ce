"""When the bot answers: the one place every surface and the query log ask.

The engine scores each candidate with the model's probability that it is right (0-100). The
thresholds are picked by `python -m bot train` on a split of questions the model never saw, for
a stated precision, and stored with the model (knowledge/answer_model.json); DEFAULT_POLICY holds
the values a newcomer sees without loading one, and what the query log uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer.result import Hit

LENIENT_PRECISION = 0.85  # private chats and inline: of the questions answered, right at least
STRICT_PRECISION = 0.95  # groups, where a wrong answer is public


@dataclass(frozen=True)
class AnswerPolicy:
    lenient: float = 50.0  # private chats, inline mode, `ask`, `chat`: answer at or above
    strict: float = 70.0  # groups
    suggestion_floor: float = 2.0  # below this (a 2 % chance) a near miss is not worth offering
    low_confidence: float = 80.0  # answered under this: the query log lists it for an admin

    def threshold(self, strict: bool = False) -> float:
        return self.strict if strict else self.lenient

    def answers(self, score: float, strict: bool = False) -> bool:
        return score >= self.threshold(strict)

    def sure_hits(self, hits: tuple[Hit, ...], strict: bool = False) -> list[Hit]:
        """The hits the bot would give as an answer (inline shows each as a result)."""
        return [hit for hit in hits if self.answers(hit.score, strict)]

    def suggestions(self, hits: tuple[Hit, ...]) -> tuple[Hit, ...]:
        return tuple(hit for hit in hits[:3] if hit.score >= self.suggestion_floor)


DEFAULT_POLICY = AnswerPolicy()
