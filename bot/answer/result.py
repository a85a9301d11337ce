"""What the answer engine hands to every surface (CLI, terminal chat, Telegram)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.facts.model import Source

MAX_ANSWER_CHARS = 250  # the fact shown to the user; longer facts are trimmed at a clause


@dataclass(frozen=True)
class Item:
    """One item of a list answer, with the source it was read from."""

    text: str
    source: Source


@dataclass(frozen=True)
class Hit:
    fact_id: str
    answer: str
    entity: str | None
    source: Source
    score: float  # 0-100
    short: str | None = None  # the answer itself, copied from the fact (bot.short_answer)

    @property
    def label(self) -> str:
        """A short handle for a button or an inline result title."""
        text = self.entity or self.answer
        return text if len(text) <= 24 else text[:23] + "…"


@dataclass(frozen=True)
class Answer:
    question: str  # as asked, after truncation
    normalised: str
    found: bool
    hits: tuple[Hit, ...] = ()  # ranked; hits[0] is the answer when found
    suggestions: tuple[Hit, ...] = ()  # up to three, offered when not found
    notice: str = ""  # a message about the input itself: empty, truncated, …
    score: float = 0.0  # the best candidate's score, also when not found: how close it came
    entities: tuple[str, ...] = field(default=())  # entities the question named
    short: str | None = None  # the top answer's short form, or the list's items joined
    items: tuple[Item, ...] = ()  # a list question's items, each with its source
    conflict: tuple[Hit, ...] = ()  # top answers giving different values, newest first

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.found and self.hits else None
