"""Text folding shared by the build and the matcher, so both sides compare like with like."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import jieba
import jieba.posseg
import opencc
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(60)  # its dictionary-loading chatter on stderr would drown the CLI's output
CJK = r"\u4e00-\u9fff"  # the range of Chinese characters, for regular expressions
# The roles a byline gives the names after it: 记者, 本报记者, 全媒体记者, 特约通讯员, 实习生 …
BYLINE_ROLE = r"(?:本报|全媒体|融媒体|首席|实习|见习|特约)*(?:记者|通讯员)|实习生"
_T2S = opencc.OpenCC("t2s")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e]")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
# Full-width ASCII and the ideographic space, as NFKC folds them; folded first, they leave most
# Chinese text already in NFKC, which unicodedata then sees at a glance instead of recomposing.
_FULL_WIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}
COMMON_WORD_FREQ = 20  # jieba's count above which a word is general language, not a name
EVERYDAY_WORD_FREQ = 10_000  # …and above which it is among the few thousand commonest (出来, 一般)
_SYLLABLE_CODES: dict[str, str] = {}
_CODES_LOCK = threading.Lock()


def normalise(text: str) -> str:
    """Traditional → Simplified, full-width → half-width, lower case, one space between words."""
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    text = unicodedata.normalize("NFKC", text.translate(_FULL_WIDTH))
    text = _T2S.convert(text).lower()
    text = text.replace("—", "-").replace("–", "-").replace("～", "-")
    return _SPACES.sub(" ", text).strip()


SOUNDS_KEPT = 16384  # the common characters (warm_sounds) and the articles' rarer ones


def _char_sound(char: str) -> str:
    if not "\u4e00" <= char <= "\u9fff":
        return char
    syllable = lazy_pinyin(char, style=Style.NORMAL)[0]
    with _CODES_LOCK:  # /reload indexes in a worker thread while questions are answered
        code = _SYLLABLE_CODES.get(syllable)
        if code is None:  # one private-use character per syllable keeps positions aligned
            taken = set(_SYLLABLE_CODES.values())  # adopt_sound_codes may have left gaps
            number = len(_SYLLABLE_CODES)
            while chr(0xE000 + number) in taken:
                number += 1
            code = _SYLLABLE_CODES[syllable] = chr(0xE000 + number)
    return code


class _Sounds(dict):
    """Character code → its sound, as str.translate wants it, filled as characters come (the
    cache of _char_sound): a translate is a few times faster than a call per character."""

    def __missing__(self, code: int) -> str:
        sound = _char_sound(chr(code))
        if len(self) < SOUNDS_KEPT:  # odd input cannot grow it for ever
            self[code] = sound
        return sound


_SOUNDS = _Sounds()


def sound_string(text: str) -> str:
    """The text with every Chinese character replaced by a code for its sound.

    Homophone typos from pinyin input (尚维 for 尚纬, 德士堂 for 德世堂) compare equal here,
    and the string keeps the original's length, so positions still line up.
    """
    return text.translate(_SOUNDS)


def sound_codes() -> dict[str, str]:
    """Syllable → the code sound_string writes for it in this process. Codes are handed out as
    syllables are first met, so sound strings kept across processes (the engine's runtime
    cache) keep this table with them."""
    with _CODES_LOCK:
        return dict(_SYLLABLE_CODES)


def adopt_sound_codes(codes: dict[str, str]) -> bool:
    """Take on another process's codes, where this one has not yet given them out otherwise;
    whether every syllable now has the code it had there (its sound strings then hold here)."""
    with _CODES_LOCK:
        taken = {code: syllable for syllable, code in _SYLLABLE_CODES.items()}
        for syllable, code in codes.items():
            if syllable not in _SYLLABLE_CODES and taken.get(code, syllable) == syllable:
                _SYLLABLE_CODES[syllable] = taken[code] = code
        return all(_SYLLABLE_CODES.get(syllable) == code for syllable, code in codes.items())


def common_characters() -> str:
    """The 6,763 characters of GB 2312, which cover nearly all everyday Chinese text."""
    rows = bytes(range(0xB0, 0xF8))
    cells = bytes(range(0xA1, 0xFF))
    pairs = b"".join(bytes([row, cell]) for row in rows for cell in cells)
    return pairs.decode("gb2312", errors="ignore")


def warm_sounds() -> None:
    """Look up the sounds of the common characters ahead: pypinyin takes tens of microseconds
    for a character it has not seen, which a question should not wait for."""
    sound_string(common_characters())


@lru_cache(maxsize=1)
def plain_jieba() -> jieba.Tokenizer:
    """jieba with only its general dictionary: the answerer adds entity names to the global
    one, and the build must not depend on whether that happened (determinism)."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def is_common_word(word: str) -> bool:
    """A word the general dictionary knows well is no name: 表示, 乡村, 全县."""
    return plain_jieba().FREQ.get(word, 0) >= COMMON_WORD_FREQ


def is_everyday_word(word: str) -> bool:
    """One of the few thousand commonest words of the language: 出来, 一般, 为了."""
    return plain_jieba().FREQ.get(word, 0) >= EVERYDAY_WORD_FREQ


# Importing jieba.posseg read the tag of every word of jieba's dictionary file into its
# process-wide tagger; copied here, before anything can add to that table, so that the file is
# read once per process rather than twice (about 0.1 s of every start).
_GENERAL_TAGS: dict[str, str] = dict(jieba.posseg.dt.word_tag_tab)


@lru_cache(maxsize=1)
def plain_tagger() -> jieba.posseg.POSTokenizer:
    """jieba's part-of-speech tagger over plain_jieba, with its own copy of the dictionary's
    tags: never the process-wide tagger, whose table grows with any tagged word added to jieba."""
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)  # __init__ reads the file
    tagger.tokenizer = plain_jieba()
    tagger.word_tag_tab = _GENERAL_TAGS
    return tagger


def plain_tags() -> dict[str, str]:
    """The part of speech jieba's general dictionary gives each word (v verb, d adverb, n noun…)."""
    return plain_tagger().word_tag_tab


def pinyin_key(text: str) -> str:
    return sound_string(normalise(text))
