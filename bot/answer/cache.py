"""The engine's one cache: results of pure per-word and per-cue scoring, kept between questions.

Many questions share words (投资) and cues (a number in 元, of 2023): what scoring works out for
one depends only on the fact base, so it is kept under a key naming all it depends on. Recent
results are kept up to a size; those worked out at start-up (Answerer.warm_up) for good.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
CACHE_SIZE = 5_000  # recent per-word results kept between questions


class ResultCache:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.recent: OrderedDict[Hashable, Any] = OrderedDict()
        self.kept: dict[Hashable, Any] = {}

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under the key, computed (by a pure function) the first time."""
        if key in self.kept:
            return self.kept[key]
        if key in self.recent:
            self.recent.move_to_end(key)
            return self.recent[key]
        value = self.recent[key] = compute()
        if len(self.recent) > self.size:
            self.recent.popitem(last=False)
        return value

    def keep(self, key: Hashable, value: Any) -> None:
        """Store a result for good, outside the recent ones (worked out ahead)."""
        self.kept[key] = value
