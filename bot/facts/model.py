"""The fact base's records: plain dataclasses, so YAML in and out stays obvious."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.corpus.stories import Story  # the corpus makes stories; the fact base keeps them


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact comes from; enough to cite it and to show the original paragraph."""

    file: str
    title: str
    publication: str = ""
    date: str = ""
    paragraph: int = 0  # 1-based index into the story's paragraphs; 0 = not from a paragraph

    def citation(self) -> str:
        """One human line: publication, date and story title, leaving out what is unknown."""
        parts = [p for p in (self.publication, self.date) if p]
        head = " ".join(parts)
        title = f"《{self.title}》" if self.title else self.file
        return f"{head} {title}".strip()


@dataclass(slots=True)
class Person:
    name: str
    role: str = ""
    organisation: str = ""


@dataclass
class Entity:
    name: str
    type: str  # organisation | company | park | place | person | project | industry | event
    aliases: list[str] = field(default_factory=list)
    role: str = ""  # people only: "总经理", with the organisation in `organisation`
    organisation: str = ""


@dataclass(slots=True)
class Fact:
    id: str
    text: str
    source: Source
    entities: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # "36.3亿元", "45.2%"
    dates: list[str] = field(default_factory=list)  # "2024年1月2日", "12月19日"
    periods: list[str] = field(default_factory=list)  # "2023年", "2025年1-8月", "十四五"
    people: list[Person] = field(default_factory=list)
    question: str = ""  # curated question → answer entries only
    curated: bool = False


@dataclass
class FactBase:
    stories: list[Story]
    entities: list[Entity]
    facts: list[Fact]

    def __post_init__(self) -> None:
        self._facts = {f.id: f for f in self.facts}
        self._stories = {(s.file, s.title): s for s in self.stories}

    def fact(self, fact_id: str) -> Fact | None:
        return self._facts.get(fact_id)

    def paragraph(self, source: Source) -> str:
        """The original paragraph a fact was taken from, or "" when it is not known."""
        story = self._stories.get((source.file, source.title))
        if story is None or not 0 < source.paragraph <= len(story.paragraphs):
            return ""
        return story.paragraphs[source.paragraph - 1]
