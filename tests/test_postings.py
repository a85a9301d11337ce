"""Finding a word through the texts' piece postings (bot/answer/index.py) finds exactly what
reading every text finds: the postings only decide which texts are read, and a word of up to
three characters is found by them alone. Checked against a plain scan of every text, for every
short string of real article sentences and for strings that straddle jieba's cuts."""

import random
import re
from pathlib import Path

import numpy as np
import pytest

from bot.answer import index as index_module
from bot.answer.index import PIECE, Haystack, Postings
from bot.answer.segmenter import plain_segmenter
from bot.facts.store import load_factbase
from bot.text import normalise, sound_string

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
NUMBER_END = "0123456789."


def scanned(bodies: list[str], texts: list[str], needle: str) -> set[int]:
    """The texts whose body (the text, or its sound string) holds the needle at a place the
    text has no 副 right before, and where a number the needle starts or ends in stands whole:
    the rule Haystack.find keeps, by reading every text at every place."""
    numeric = needle[0].isdigit() or needle[-1].isdigit()
    found = set()
    for position, (body, text) in enumerate(zip(bodies, texts, strict=True)):
        if needle not in body:
            continue
        for start in (m.start() for m in re.finditer(f"(?={re.escape(needle)})", body)):
            end = start + len(needle)
            after_deputy = start > 0 and text[start - 1] == "副"
            cut_number = numeric and (
                (needle[0] in NUMBER_END and start > 0 and text[start - 1] in NUMBER_END)
                or (needle[-1] in NUMBER_END and end < len(text) and text[end] in NUMBER_END)
            )
            if not after_deputy and not cut_number:
                found.add(position)
                break
    return found


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """A few hundred sentences and paragraphs of the seeds, with a 副 and a number or two."""
    factbase = load_factbase(KNOWLEDGE)
    rng = random.Random(12)
    facts = rng.sample(factbase.facts, 150)
    paragraphs = [normalise(p) for s in rng.sample(factbase.stories, 3) for p in s.paragraphs]
    extra = ["伟力得的副总经理", "副市长和市长", "副2号和2号", "收益13.8亿元", "2024年投资2亿元"]
    extra += ["17月和7月4日", "副7月", "12个项目和2个", "2.5亿和.5", "第7.05亿"]
    extra += ["高新区和乐山高新"]  # every piece of 乐山高新区, but not the word
    return [normalise(f.text) for f in facts] + paragraphs + extra


def needles_of(texts: list[str]) -> set[str]:
    """Every string of one to five characters of some texts; every word jieba cuts them into;
    and the strings that straddle two of its words (the end of one, the start of the next)."""
    found: set[str] = set()
    for text in texts[:12]:
        found |= {text[i : i + n] for n in range(1, 6) for i in range(len(text) - n + 1)}
    for text in texts:
        words = plain_segmenter().cut(text)
        found |= set(words)
        for left, right in zip(words, words[1:], strict=False):
            found |= {left[-a:] + right[:b] for a in (1, 2) for b in (1, 2, 3)}
    # Left out: a needle with a bare point at an end (%.), which no question word is; the
    # table of numbers narrows it as if it were a number, and the scan below does not.
    plain = {n for n in found if n.strip() and not (n[0] == "." or n[-1] == ".")}
    numbers = {"2", "2号", "13.8", "3.8亿", "7月", "7", "2个", "5亿", "7.05", "05亿", "1"}
    return plain | numbers | {"不在文中", "副", "经理", "乐山高新区"}


def test_every_piece_of_up_to_three_characters_has_exactly_its_texts(sentences):
    postings = Postings.of(sentences)
    pieces = {t[i : i + n] for t in sentences for n in range(1, PIECE + 1) for i in range(len(t))}
    for piece in pieces:
        expected = [position for position, text in enumerate(sentences) if piece in text]
        assert postings.get(piece).tolist() == expected, piece
    assert not len(postings.get("麻婆豆")) and not len(postings.get("𠀀"))  # in no text


def test_finding_a_word_finds_what_reading_every_text_finds(sentences):
    haystack = Haystack.of(sentences, [list(range(len(sentences)))])
    needles = needles_of(sentences)
    assert any(len(needle) > PIECE for needle in needles)  # read, not only looked up
    for needle in sorted(needles):
        assert haystack.find(needle) == scanned(sentences, sentences, needle), needle
        if needle[0] not in NUMBER_END and needle[-1] not in NUMBER_END:  # numbers: whole
            expected = {i for i, t in enumerate(sentences) if needle in t}
            assert haystack.holding(needle) == expected, needle


def test_finding_a_sound_finds_what_reading_every_sound_string_finds(sentences):
    haystack = Haystack.of(sentences, [list(range(len(sentences)))])
    sounds = [sound_string(text) for text in sentences]
    for needle in sorted(needles_of(sentences)):
        sound = sound_string(needle)
        assert haystack.find(sound, in_sound=True) == scanned(sounds, sentences, sound), needle
        held = haystack.find(needle)
        besides = np.array(sorted(held), dtype=np.int32)
        rest = haystack.find_ids(sound, True, besides=besides).tolist()
        assert rest == sorted(scanned(sounds, sentences, sound) - held), needle


def test_a_deputy_before_a_short_word_is_read_for(sentences):
    # 总经理 is looked up, not read: the texts with 副总经 are the only ones read for a 副.
    texts = ["伟力得的副总经理", "伟力得总经理朱晓星", "副总经理和总经理", "副市长"]
    haystack = Haystack.of(texts, [list(range(len(texts)))])
    assert haystack.find("总经理") == {1, 2}
    assert haystack.find("市长") == set()
    assert haystack.find(sound_string("市长"), in_sound=True) == set()


def test_too_many_characters_and_texts_for_a_64_bit_key_are_refused(monkeypatch):
    monkeypatch.setattr(index_module, "PIECE", 6)  # 2001 ** 6 is over 2 ** 64
    letters = "".join(chr(0x4E00 + i) for i in range(2000))
    with pytest.raises(ValueError, match="too many"):
        Postings.of([letters])


def test_postings_filed_in_many_batches_are_those_filed_in_one(sentences, monkeypatch):
    """Each batch's pieces are written straight into one array (filed), and each length's ids
    into the whole (joined): the same arrays however the texts are cut into batches, with
    texts shorter than a piece and an empty one among them."""
    texts = [*sentences, "", "副", "乐山"]
    whole = Postings.of(texts)
    monkeypatch.setattr(index_module, "BATCH_LETTERS", 40)
    assert len(index_module.batches_of(texts)) > 50
    batched = Postings.of(texts)
    for name in ("alphabet", "codes", "starts", "ids"):
        assert np.array_equal(getattr(batched, name), getattr(whole, name)), name
        assert getattr(batched, name).dtype == getattr(whole, name).dtype, name
    assert batched.get("副").tolist() == [i for i, t in enumerate(texts) if "副" in t]
