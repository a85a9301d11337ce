"""The engine's one cache: results of pure per-word scoring, kept between questions.

Many questions share words (投资, 乐山高新区): where a word is found (rank.WordEvidence, the
ids of the texts holding it) depends only on the fact base, so it is kept under a key naming
all it depends on. Recent results are kept up to a number and a memory size (a common word's
text ids run to hundreds of kilobytes on 10,000 articles).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
CACHE_SIZE = 5_000  # recent per-word results kept between questions
CACHE_BYTES = 128 * 2**20  # …and at most this much of their arrays
SMALL = 64  # what a result without arrays is counted as


def footprint(value: Any) -> int:
    """The bytes of the arrays a result holds: itself, or its fields and their tuples
    (WordEvidence)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, tuple):
        return sum(footprint(item) for item in value)
    fields = getattr(value, "__dict__", {}).values()
    return SMALL + sum(footprint(v) for v in fields if isinstance(v, np.ndarray | tuple))


class ResultCache:
    def __init__(self, size: int = CACHE_SIZE, max_bytes: int = CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0  # footprint of the recent results
        self.recent: OrderedDict[Hashable, Any] = OrderedDict()

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under the key, computed (by a pure function) the first time."""
        if key in self.recent:
            self.recent.move_to_end(key)
            return self.recent[key]
        value = self.recent[key] = compute()
        self.bytes += footprint(value)
        while len(self.recent) > 1 and (
            len(self.recent) > self.size or self.bytes > self.max_bytes
        ):  # the newest stays, whatever its size
            self.bytes -= footprint(self.recent.popitem(last=False)[1])
        return value
