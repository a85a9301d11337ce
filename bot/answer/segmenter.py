"""One engine's own jieba: its dictionary grows with the fact base's names and words, and never
touches jieba's process-wide tokenizer, so two engines in one process cut each alone would."""

from __future__ import annotations

import threading

import jieba

from bot.text import plain_jieba, plain_tags

TAGS = plain_tags()  # word → part of speech, as jieba's dictionary file gives it (read-only)
KEPT_CUTS = 20_000  # per engine: the dictionary cuts of words met, kept for the next question


class Segmenter:
    def __init__(self) -> None:
        self.tokenizer = jieba.Tokenizer()
        general = plain_jieba()  # a copy of its dictionary: 0.7 s less than jieba's own load
        self.tokenizer.FREQ, self.tokenizer.total = dict(general.FREQ), general.total
        self.tokenizer.initialized = True
        self.added: list[tuple[str, int]] = []  # what add_word was given, in order
        self._cuts: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()  # /reload builds an engine while another answers

    def add_word(self, word: str, freq: int) -> None:
        self.tokenizer.add_word(word, freq=freq)
        self.added.append((word, freq))
        self._cuts.clear()  # the dictionary has grown: earlier cuts may no longer hold

    def __getstate__(self) -> list[tuple[str, int]]:
        """Pickled as the words it was given (the runtime cache): jieba's own dictionary is
        loaded, not copied, and locks do not pickle."""
        return self.added

    def __setstate__(self, added: list[tuple[str, int]]) -> None:
        self.__init__()  # type: ignore[misc]
        for word, freq in added:
            self.add_word(word, freq)

    def freq(self, word: str) -> int:
        return self.tokenizer.FREQ.get(word) or 0

    def cut(self, text: str, hmm: bool = True) -> list[str]:
        return list(self.tokenizer.cut(text, HMM=hmm))

    def dictionary_words(self, word: str) -> tuple[str, ...]:
        """The cut of a word by the dictionary alone (坝坝 → 坝|坝), which both word_flags and
        the matcher's word_parts need of a word they have not seen: one cut for both."""
        cut = self._cuts.get(word)
        if cut is None:
            cut = tuple(self.tokenizer.cut(word, HMM=False))
            with self._lock:
                if len(self._cuts) < KEPT_CUTS:
                    self._cuts[word] = cut
        return cut

    def word_flags(self, word: str) -> tuple[str, ...]:
        """Part-of-speech tags from the dictionary: of the word, or else of its parts (坝|坝).
        Guessing an unknown word's tag with jieba's HMM would cost milliseconds."""
        if self.freq(word):
            return (TAGS.get(word, "x"),)
        return tuple(TAGS.get(part, "x") for part in self.dictionary_words(word))


_PLAIN: list[Segmenter] = []


def plain_segmenter() -> Segmenter:
    """A segmenter with jieba's general dictionary alone, for text analysed without an engine
    (tests, the question generator's checks); made on first use, never grown."""
    if not _PLAIN:
        _PLAIN.append(Segmenter())
    return _PLAIN[0]
