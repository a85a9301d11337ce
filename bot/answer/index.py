"""Everything the matcher looks up, computed once per fact base: folded texts and names."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from bot.answer.cache import ResultCache
from bot.answer.cues import continues_list
from bot.answer.indexed import IndexedFact
from bot.answer.layers import layer_facts
from bot.answer.lexicon import LEXICON
from bot.answer.segmenter import Segmenter
from bot.answer.traits import Traits, among, traits_of
from bot.facts.model import Fact, FactBase
from bot.facts.parse import BARE_YEAR
from bot.text import normalise, sound_string

PLACE_WORD = re.compile(r"[\u4e00-\u9fff]{1,6}(?:省|市|县|镇|乡|村|河|江|岸|城区|街道|路)")
LOCATING = re.compile(r"位于|坐落|地处|落户|建在|选址|距离")  # "X坐落于此": where X is
CORPUS_WORD_BONUS = 1000  # how much more likely jieba finds a word the articles use
USED_KEPT = 50_000  # words whose use in the articles is kept (Index.uses)
T = TypeVar("T")
V = TypeVar("V", bound=Hashable)
LONG_ALIAS = 4  # aliases this long or longer are also found by a near-miss spelling
COMMON_ENTITY_SHARE = 0.2  # a story naming an entity in more of its facts than this is about it
COMMON_ENTITY_STORIES = 3  # an entity this many stories are about (乐山高新区) names no one thing


NO_IDS = np.zeros(0, dtype=np.int32)
# The longest piece Postings files. A needle this long or shorter is found by its own postings,
# without reading a text; a longer one, in the texts holding all its pieces of this length.
# Three, not two: common words of three characters (高新区, 现代化) are held by tens of thousands
# of long texts on 10,000 articles, and reading them all took most of a new question's time.
PIECE = 3
BATCH_LETTERS = 2_000_000  # texts are filed about this many characters at a time
DEPUTY = "副"  # 主任 is not found in 副主任: a deputy is a different role
NUMBER_END = set("0123456789.")  # a needle starting or ending in one starts or ends a number
NUMBER_RUN = re.compile(r"[0-9.]+")  # a number as whole_number sees it: no digit or point beside


@dataclass
class Postings:
    """Each piece of the texts (a run of one to PIECE characters) → the sorted ids of the
    texts holding it.

    Three arrays, not a dict of sets: `codes` holds each piece's code (piece_code), sorted; the
    ids of the texts holding piece `codes[r]` are `ids[starts[r]:starts[r + 1]]`. Four bytes a
    text and piece, where a Python set spends about fifty, and arrays load fast from the
    runtime cache. A piece's code reads its characters' places in `alphabet` (the characters
    the texts use, counted from 1) as the digits of a number in base len(alphabet) + 1, so
    pieces of every length have codes of their own, in under 64 bits with the text id.
    """

    alphabet: np.ndarray  # uint32: the code points of the characters the texts use, sorted
    codes: np.ndarray  # uint64, sorted
    starts: np.ndarray  # int64, one more than codes
    ids: np.ndarray  # int32
    # each character of the alphabet → its place there, counted from 1: a piece's code is a
    # few dict look-ups, where numpy took tens of microseconds per piece on arrays this small
    places: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.places = {chr(letter): place for place, letter in enumerate(self.alphabet.tolist(), 1)}

    @classmethod
    def of(cls, texts: list[str]) -> Postings:
        """Every (piece, text) once. The pieces of each length apart, as the pieces of one
        length all have codes above those of the shorter (see piece_code): that bounds the
        memory the sorting takes."""
        batches = batches_of(texts)
        alphabet = np.unique(
            np.concatenate(
                [NO_LETTERS, *(np.unique(letters_of("".join(texts[a:b]))) for a, b in batches)]
            )
        )
        count = max(1, len(texts))
        if (len(alphabet) + 1) ** PIECE * count >= 2**64:
            raise ValueError(f"{len(alphabet)} characters in {count} texts: too many to file")
        codes, starts, ids = [], [np.zeros(1, np.int64)], []
        for length in range(1, PIECE + 1):
            piece_codes, piece_starts, piece_ids = filed(texts, batches, length, alphabet)
            codes.append(piece_codes)
            starts.append(piece_starts[1:] + sum(len(i) for i in ids))
            ids.append(piece_ids)
        return cls(alphabet, np.concatenate(codes), np.concatenate(starts), joined(ids, np.int32))

    def piece_code(self, piece: str) -> int | None:
        """The piece's code, or None if one of its characters is in no text."""
        code, base = 0, len(self.alphabet) + 1
        for letter in piece:
            place = self.places.get(letter)
            if place is None:
                return None
            code = code * base + place
        return code

    def get(self, piece: str) -> np.ndarray:
        """The ids of the texts holding the piece (of at most PIECE characters); empty if none
        does."""
        code = self.piece_code(piece)
        if code is None:
            return NO_IDS
        row = int(np.searchsorted(self.codes, np.uint64(code)))  # as uint64: no copy
        if row == len(self.codes) or int(self.codes[row]) != code:
            return NO_IDS
        return self.ids[self.starts[row] : self.starts[row + 1]]

    def narrowed(self, keep: np.ndarray) -> Postings:
        """The same pieces, holding only the texts `keep` (a bool per text id) marks."""
        kept = np.flatnonzero(keep[self.ids])  # positions in ids, not a count per posting
        return Postings(
            self.alphabet, self.codes, np.searchsorted(kept, self.starts), self.ids[kept]
        )


NO_LETTERS = np.zeros(0, np.uint32)


def letters_of(text: str) -> np.ndarray:
    """The text's code points."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def batches_of(texts: list[str]) -> list[tuple[int, int]]:
    """The texts as runs (first, after last) of about BATCH_LETTERS characters."""
    bounds, letters = [0], 0
    for position, text in enumerate(texts, 1):
        letters += len(text)
        if letters >= BATCH_LETTERS:
            bounds.append(position)
            letters = 0
    if bounds[-1] < len(texts):
        bounds.append(len(texts))
    return list(zip(bounds, bounds[1:], strict=False))


def filed(
    texts: list[str], batches: list[tuple[int, int]], length: int, alphabet: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Postings' three arrays for the pieces of one length: each (piece, text) as
    code × len(texts) + text id, sorted, worked out a batch of texts at a time, each batch
    written straight into one array. That array is made as long as the texts have letters, more
    than their pieces can fill: the pages never written are never given memory, and no batch
    is kept beside it (holding them all, then their copy, took twice the memory)."""
    count = np.uint64(max(1, len(texts)))
    room = np.empty(sum(len(text) for text in texts), np.uint64)
    filled = 0
    for first, end in batches:
        batch = keyed_pieces(texts[first:end], first, count, length, alphabet)
        room[filled : filled + len(batch)] = batch
        filled += len(batch)
    keyed = room[:filled]
    keyed.sort()
    ids = np.empty(len(keyed), np.int32)
    np.remainder(keyed, count, out=ids, casting="unsafe")  # the ids fit: below len(texts)
    keyed //= count  # now each posting's piece code
    first = np.flatnonzero(np.r_[True, keyed[1:] != keyed[:-1]]) if len(keyed) else ids
    return keyed[first], np.r_[first, len(keyed)].astype(np.int64), ids


def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """The parts one after another, in one array; each part is dropped from the list (and
    freed, if nothing else holds it) once copied: np.concatenate would hold two copies of all
    of them at its end, the largest arrays of the first start (the postings' ids)."""
    whole = np.empty(sum(len(part) for part in parts), dtype)
    filled = 0
    while parts:
        part = parts.pop(0)
        whole[filled : filled + len(part)] = part
        filled += len(part)
    return whole


def keyed_pieces(
    texts: list[str], first_id: int, count: np.uint64, length: int, alphabet: np.ndarray
) -> np.ndarray:
    """piece code × count + text id of each piece of `length` characters of the texts, each
    once."""
    flat = np.concatenate([NO_LETTERS, *map(letters_of, texts)])
    places = np.searchsorted(alphabet, flat).astype(np.uint64) + np.uint64(1)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    owner = np.repeat(np.arange(first_id, first_id + len(texts), dtype=np.uint64), lengths)
    starts = len(flat) - length + 1  # where a piece of the length can start
    if starts <= 0:
        return np.zeros(0, np.uint64)
    base = np.uint64(len(alphabet) + 1)
    codes = places[:starts].copy()
    for offset in range(1, length):
        codes *= base
        codes += places[offset : offset + starts]
    within = owner[:starts] == owner[length - 1 :]  # a piece never spans two texts
    keyed = codes[within] * count + owner[:starts][within]
    keyed.sort()
    return keyed[np.r_[True, keyed[1:] != keyed[:-1]]] if len(keyed) else keyed


@dataclass
class Haystack:
    """Many texts, searched one by one with `in`.

    A table of each text's characters and character pairs (Postings) narrows a search to the
    texts that could hold the word. Each sound string is aligned with its text character for
    character (see sound_string).
    """

    texts: list[str]
    sounds: list[str]  # sound_string of each text
    text_of: np.ndarray  # for each tier (a row) and fact, the index of the fact's text
    pieces: Postings  # each character and character pair → the texts holding it
    sound_pieces: Postings
    # each number the texts print (a run of digits and points) → the sorted ids of those texts:
    # a needle that starts or ends in a number (7, 3号) is found only where that number stands
    # whole, and a digit's character postings hold nearly every text
    numbers: dict[str, np.ndarray]

    @classmethod
    def of(cls, texts: list[str], text_of: list[list[int]]) -> Haystack:
        sounds = [sound_string(text) for text in texts]
        text_of_facts = np.array(text_of, dtype=np.int32)
        printing: dict[str, list[int]] = {}
        for position, text in enumerate(texts):
            for number in set(NUMBER_RUN.findall(text)):
                printing.setdefault(number, []).append(position)
        numbers = {n: np.array(ids, dtype=np.int32) for n, ids in printing.items()}
        return cls(texts, sounds, text_of_facts, Postings.of(texts), Postings.of(sounds), numbers)

    def facts_in(self, texts: np.ndarray) -> np.ndarray:
        """For each fact, whether one of its texts is one of `texts` (ids)."""
        mask = np.zeros(len(self.texts), dtype=bool)
        mask[texts] = True
        return mask[self.text_of].any(axis=0)

    def tier(self, row: int) -> Haystack:
        """The texts of one tier alone, under the same text ids, sharing texts and sounds."""
        keep = np.zeros(len(self.texts), dtype=bool)
        keep[self.text_of[row]] = True
        row_only = self.text_of[row : row + 1]
        pieces, sound_pieces = self.pieces.narrowed(keep), self.sound_pieces.narrowed(keep)
        return Haystack(self.texts, self.sounds, row_only, pieces, sound_pieces, self.numbers)

    def could_hold_ids(self, needle: str, in_sound: bool = False) -> np.ndarray:
        """The texts that hold every piece of the needle (pieces_in), sorted: those holding
        the needle itself if it is PIECE characters or fewer. Of a needle that starts or ends
        in a number, only the texts that print that number whole."""
        pieces = self.sound_pieces if in_sound else self.pieces
        postings = []
        for piece in pieces_in(needle):
            if not len(texts := pieces.get(piece)):
                return NO_IDS  # a piece no text holds: the usual case for a new word
            postings.append(texts)
        if not in_sound:
            postings += [self.numbers.get(number, NO_IDS) for number in end_numbers(needle)]
        postings.sort(key=len)
        held = postings[0]
        for texts in postings[1:]:  # the fewest first: a binary search each in the longer
            held = held[among(held, texts)]
        return held

    def holds_a_pair_of(self, word: str) -> bool:
        """Whether some text holds one of the word's character pairs, as any part of it would
        need to: word_parts are two characters or more."""
        return any(len(self.pieces.get(word[i : i + 2])) for i in range(len(word) - 1))

    def holding(self, needle: str) -> set[int]:
        """The texts that contain the needle, wherever it stands."""
        return set(self.holding_ids(needle).tolist())

    def holding_ids(self, needle: str) -> np.ndarray:
        """holding's texts, sorted. A needle of PIECE characters or fewer is found by its
        postings alone, a longer one by reading the texts that hold all its pieces."""
        held = self.could_hold_ids(needle)
        if len(needle) <= PIECE:
            return held
        return np.array([t for t in held.tolist() if needle in self.texts[t]], dtype=np.int32)

    def find(self, needle: str, in_sound: bool = False) -> set[int]:
        """The texts that contain the needle, not preceded by 副."""
        return set(self.find_ids(needle, in_sound).tolist())

    def find_ids(
        self, needle: str, in_sound: bool = False, besides: np.ndarray = NO_IDS
    ) -> np.ndarray:
        """find's texts, sorted, other than `besides` (sorted): as an array, since a common
        word's run to hundreds of thousands."""
        held = self.could_hold_ids(needle, in_sound)
        if len(besides):
            held = held[~among(held, besides)]
        numeric = needle[0].isdigit() or needle[-1].isdigit()
        # The texts where a neighbour may spoil the needle are searched place by place; the
        # others hold it wherever it stands, if they hold it at all
        number = not in_sound and bool(NUMBER_RUN.fullmatch(needle))
        doubtful = self.may_be_spoilt(held, needle, in_sound, numeric and not number)
        kept = self.search(needle, held[doubtful].tolist(), in_sound, numeric)
        unspoilt = held[~doubtful]
        # a number's texts (Haystack.numbers) print it whole, and a short needle's postings
        # are the texts holding it; a longer needle's hold all its pieces, and are read
        if not (number or len(needle) <= PIECE):
            bodies = self.sounds if in_sound else self.texts
            unspoilt = np.array([t for t in unspoilt.tolist() if needle in bodies[t]], np.int32)
        return np.sort(np.r_[unspoilt, np.array(kept, dtype=np.int32)])

    def may_be_spoilt(
        self, held: np.ndarray, needle: str, in_sound: bool, numeric: bool
    ) -> np.ndarray:
        """Which of the texts `held` may hold the needle only beside a character that keeps
        search from finding it there: 副 before it; if `numeric`, a digit or point beside a
        number it starts or ends in (whole_number). Those hold a piece of that character and
        the needle's start or end; in the sound strings, 副 stands as sounded."""
        pieces = self.sound_pieces if in_sound else self.pieces
        start, end = needle[: PIECE - 1], needle[1 - PIECE :]
        spoiling = [(sound_string(DEPUTY) if in_sound else DEPUTY) + start]
        if numeric and needle[0] in NUMBER_END:
            spoiling += [mark + start for mark in sorted(NUMBER_END)]
        if numeric and needle[-1] in NUMBER_END:
            spoiling += [end + mark for mark in sorted(NUMBER_END)]
        doubtful = np.zeros(len(held), dtype=bool)
        for piece in spoiling:
            doubtful |= among(held, pieces.get(piece))
        return doubtful

    def search(self, needle: str, texts: list[int], in_sound: bool, numeric: bool) -> list[int]:
        """Those of the texts that contain the needle, in their order: not after 副, numbers
        whole."""
        bodies = self.sounds if in_sound else self.texts
        found: list[int] = []
        for t in texts:
            body, text = bodies[t], self.texts[t]
            start = body.find(needle)  # the first place usually does: one scan, partway
            while start != -1 and (
                (start > 0 and text[start - 1] == DEPUTY)
                or (numeric and not whole_number(text, start, needle))
            ):
                start = body.find(needle, start + 1)
            if start != -1:
                found.append(t)
        return found


def whole_number(text: str, start: int, needle: str) -> bool:
    """7 is not found in 2027 or 7.05, nor 7月 in 17月: a number in the needle is whole where
    it meets the text, at either end (7月 is found in 7月4日)."""
    end = start + len(needle)
    before = text[start - 1] if start > 0 and needle[0] in NUMBER_END else ""
    after = text[end] if end < len(text) and needle[-1] in NUMBER_END else ""
    return before not in NUMBER_END and after not in NUMBER_END


def end_numbers(needle: str) -> set[str]:
    """The numbers a needle starts or ends in (7 of 7月, 3.5 of 3.5亿): where the needle is
    found whole (whole_number), the text prints each of them whole."""
    runs = NUMBER_RUN.findall(needle)
    return (
        {
            run
            for run, at_end in [(runs[0], needle[0]), (runs[-1], needle[-1])]
            if at_end in NUMBER_END
        }
        if runs
        else set()
    )


def pieces_in(text: str) -> set[str]:
    """The pieces of PIECE characters of a text, or the text itself if it is shorter."""
    return {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)} or {text}


@dataclass
class Aliases:
    """Entity names and aliases, filed by their opening characters and by their letters, so
    that finding the ones a question names takes a few lookups, not a pass over all of them."""

    rows: list[tuple[str, str, str]]  # (normalised alias, its sound, canonical entity name)
    by_opening: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    by_sound_opening: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    long: list[str] = field(default_factory=list)  # the aliases fuzzy matching tries
    long_lengths: np.ndarray = field(default_factory=lambda: np.zeros(0))
    longest: int = 0  # of the long aliases
    letter_rows: dict[str, int] = field(default_factory=dict)  # letter → its row in counts
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # letters × long aliases, int16

    def __post_init__(self) -> None:
        for alias, sound, name in self.rows:
            self.by_opening.setdefault(alias[:2], []).append((alias, name))
            if len(alias) >= 3:
                self.by_sound_opening.setdefault(sound[:2], []).append((sound, name))
        self.long = [alias for alias, _, _ in self.rows if len(alias) >= LONG_ALIAS]
        self.long_lengths = np.array([len(alias) for alias in self.long])
        self.longest = max((len(alias) for alias in self.long), default=0)
        for letter in sorted({letter for alias in self.long for letter in alias}):
            self.letter_rows[letter] = len(self.letter_rows)
        self.counts = np.zeros((len(self.letter_rows), len(self.long)), np.int16)
        for position, alias in enumerate(self.long):
            for letter in alias:
                self.counts[self.letter_rows[letter], position] += 1

    def named_in(self, text: str, sound: str) -> set[str]:
        """Entities whose alias the text contains, as written or (three letters or more) as
        sounded."""
        found: set[str] = set()
        for i in range(len(text) - 1):
            for alias, name in self.by_opening.get(text[i : i + 2], ()):
                if text.startswith(alias, i):
                    found.add(name)
            for alias_sound, name in self.by_sound_opening.get(sound[i : i + 2], ()):
                if sound.startswith(alias_sound, i):
                    found.add(name)
        return found

    def could_resemble(self, text: str, floor: float) -> list[str]:
        """The long aliases that rapidfuzz's partial_ratio could score at `floor` or more
        against the text. A window sharing m of an alias's n letters scores at most
        200m / (n + m), so at least m ≥ floor·n / (200 − floor) of them must occur in the text.
        """
        rows = [self.letter_rows[letter] for letter in set(text) if letter in self.letter_rows]
        shared = self.counts[rows].sum(axis=0, dtype=np.int64)
        possible = shared * (200 - floor) >= floor * self.long_lengths
        if len(text) < self.longest:  # the usual question is longer than any name
            possible |= self.long_lengths > len(text)
        return [self.long[i] for i in np.flatnonzero(possible)]


@dataclass
class Index:
    facts: list[IndexedFact]
    aliases: Aliases
    common_entities: set[str]
    facts_text: Haystack  # each fact's own text: the first row of tiers, with its text ids
    # The texts of every tier in one, nearest first: fact texts, neighbours, paragraphs,
    # stories; one search covers them all, and rarity counts the facts' own (fact_texts).
    tiers: Haystack
    names_of: dict[str, list[str]]  # entity name → its normalised name and aliases
    name_of: dict[str, str]  # normalised name or alias → entity name
    types: dict[str, str]  # entity name → its type (company, person, …)
    traits: Traits  # what each fact is like, as arrays over the facts
    segmenter: Segmenter  # the engine's own jieba, its dictionary grown with the names
    cache: ResultCache = field(default_factory=ResultCache)  # pure scoring results, kept
    used: ResultCache = field(default_factory=lambda: ResultCache(USED_KEPT))  # see uses()
    # the ids of the tiers' first row (facts' own texts) and last (stories), sorted
    fact_texts: np.ndarray = field(init=False, default_factory=lambda: NO_IDS)
    story_texts: np.ndarray = field(init=False, default_factory=lambda: NO_IDS)

    def __post_init__(self) -> None:
        self.fact_texts = np.unique(self.tiers.text_of[0])
        self.story_texts = np.unique(self.tiers.text_of[-1])

    def uses(self, word: str) -> bool:
        """Whether the articles (a story's text) contain the word: the stories that hold all
        its character pairs, then `in`; no table of every substring, which grows with the
        corpus faster than anything else."""
        return self.used.remember(word, lambda: self._in_a_story(word))

    def _in_a_story(self, word: str) -> bool:
        if len(word) == 1:
            return bool(among(self.tiers.pieces.get(word), self.story_texts).any())
        held = self.tiers.could_hold_ids(word)
        held = held[among(held, self.story_texts)]
        if len(word) <= PIECE:  # the postings hold the answer
            return bool(len(held))
        return any(word in self.tiers.texts[t] for t in held.tolist())

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Per-word results are the same for every question: see cache.py."""
        return self.cache.remember(key, compute)


def units_of(fact: Fact) -> set[str]:
    endings = LEXICON.unit_endings
    return {unit for number in fact.numbers for ending, unit in endings if number.endswith(ending)}


def prefer_corpus_words(factbase: FactBase, segmenter: Segmenter) -> None:
    """Let jieba cut questions the way the articles cut: 榜单|排第几, not 榜|单排|第几."""
    seen: set[str] = set()
    for fact in factbase.facts:
        for word in segmenter.cut(normalise(fact.text), hmm=False):
            if len(word) >= 2 and word not in seen and not word.isascii():
                seen.add(word)
                segmenter.add_word(word, freq=segmenter.freq(word) + CORPUS_WORD_BONUS)


CONTINUES = re.compile(r"[“\"「]|该|这|此|其")  # a paragraph that quotes someone or points back


def continues(fact: Fact, before: Fact) -> bool:
    """A paragraph opening with a quote or with 该项目 goes on from the one before it: the
    reporter names the place, then quotes the person there."""
    same_story = (before.source.file, before.source.title) == (fact.source.file, fact.source.title)
    next_paragraph = before.source.paragraph == fact.source.paragraph - 1
    return same_story and next_paragraph and bool(CONTINUES.match(fact.text))


def lists_on(fact: Fact, after: Fact | None) -> bool:
    """The next fact holds the list this one announces (cues.continues_list)."""
    story = (fact.source.file, fact.source.title)
    if after is None or (after.source.file, after.source.title) != story:
        return False
    step = after.source.paragraph - fact.source.paragraph
    return step in (0, 1) and continues_list(fact.text, after.text, new_paragraph=step == 1)


def common_entities(factbase: FactBase) -> set[str]:
    """The entities that name no one thing (乐山高新区): several stories are about them, each
    naming them in more than COMMON_ENTITY_SHARE of its facts. Counted story by story, so that
    articles about other things, added to the corpus, change nothing here, not even where they
    say 高新区 once in passing."""
    story_sizes = Counter(fact.source.file for fact in factbase.facts)
    linked = Counter((name, fact.source.file) for fact in factbase.facts for name in fact.entities)
    about = Counter(
        name
        for (name, story), count in linked.items()
        if count > COMMON_ENTITY_SHARE * story_sizes[story]
    )
    return {name for name, stories in about.items() if stories >= COMMON_ENTITY_STORIES}


def build_index(factbase: FactBase) -> Index:
    names = {e.name: e for e in factbase.entities}
    aliases = sorted(
        {
            (normalise(alias), e.name)
            for e in factbase.entities
            for alias in [e.name, *e.aliases]
            if len(alias) >= 2
        },
        key=lambda pair: (-len(pair[0]), pair),
    )
    segmenter = Segmenter()
    for alias, _ in aliases:
        segmenter.add_word(alias, freq=2000)
    prefer_corpus_words(factbase, segmenter)
    common = common_entities(factbase)
    stories = {
        (s.file, s.title): normalise(" ".join([s.publication, s.title, *s.paragraphs]))
        for s in factbase.stories
    }
    paragraphs: dict[tuple[str, str, int], str] = {}  # shared strings: one match per paragraph
    indexed = []
    shared: dict[Hashable, Any] = {}  # equal values as one object: the cache loads it once

    def one(value: V) -> V:
        return shared.setdefault(value, value)

    latest_year: dict[str, str] = {}  # per story: the last year the text named, for 今年
    facts = factbase.facts + layer_facts(factbase)  # entities and story metadata, as sentences
    for position, fact in enumerate(facts):
        paragraph = factbase.paragraph(fact.source)
        # the sentence before, which names what this one goes on about; not the one after,
        # or a sentence naming the subject would borrow the words of the next, which answers
        before = facts[position - 1] if position and position < len(factbase.facts) else None
        goes_on = before is not None and (before.source == fact.source or continues(fact, before))
        after = facts[position + 1] if position + 1 < len(factbase.facts) else None
        entity_words = [" ".join([n, *names[n].aliases]) for n in fact.entities if n in names]
        near_texts = [before.text] if before is not None and goes_on else []
        near = normalise(" ".join([*near_texts, *entity_words, fact.question]))
        key = (fact.source.file, fact.source.title, fact.source.paragraph)
        if key not in paragraphs:
            paragraphs[key] = normalise(" ".join([fact.source.title, paragraph]))
        context = paragraphs[key]
        story = stories.get((fact.source.file, fact.source.title), context)
        text = normalise(fact.text if not fact.question else f"{fact.question} {fact.text}")
        years = set(BARE_YEAR.findall(text)) | {p for p in fact.periods if p.startswith("十")}
        story_key = f"{fact.source.file}|{fact.source.title}"
        if "今年" in text and story_key in latest_year:
            years.add(latest_year[story_key])  # "今年1-8月" after "2025年1-8月" is 2025
        if BARE_YEAR.search(text):
            latest_year[story_key] = BARE_YEAR.findall(text)[-1]
        indexed.append(
            IndexedFact(
                fact=fact,
                text=one(text),
                near=one(near),
                context=context,
                story=story,
                story_years=one(frozenset(BARE_YEAR.findall(story))),
                paragraph_years=one(frozenset(BARE_YEAR.findall(context))),
                digit_years=one(frozenset(y for y in years if y.isdigit())),
                places=one(tuple(PLACE_WORD.findall(text))),
                locates=bool(LOCATING.search(text)),
                years=one(frozenset(years)),
                entities=one(frozenset(fact.entities)),
                has_people=bool(fact.people)
                or any(names[n].type == "person" for n in fact.entities if n in names),
                entity_types=one(frozenset(names[n].type for n in fact.entities if n in names)),
                has_list="、" in fact.text or "和" in fact.text or lists_on(fact, after),
                units=one(frozenset(units_of(fact))),
            )
        )
    alias_rows = Aliases([(alias, sound_string(alias), name) for alias, name in aliases])
    tiers = shared_haystack(
        [f.text for f in indexed],
        [f.near for f in indexed],
        [f.context for f in indexed],
        [f.story for f in indexed],
    )
    facts_text = tiers.tier(0)
    names_of: dict[str, list[str]] = {}
    for alias, name in aliases:
        names_of.setdefault(name, []).append(alias)
    name_of = {alias: name for alias, name in aliases}
    types = {e.name: e.type for e in factbase.entities}
    traits = traits_of(indexed, names_of)
    return Index(
        indexed, alias_rows, common, facts_text, tiers, names_of, name_of, types, traits, segmenter
    )


def shared_haystack(*tiers: list[str]) -> Haystack:
    """One entry per distinct text: a paragraph is shared by its sentences, and a text that
    is a fact and its paragraph too, by both tiers."""
    position: dict[str, int] = {}
    text_of = [[position.setdefault(text, len(position)) for text in tier] for tier in tiers]
    return Haystack.of(list(position), text_of)
