"""The ranker's numbers, in one object that is passed, never read from a module global.

A fact's score (rank.py) is how much of the question it covers, each word counted by where it
is found, then multiplied by factors for how the fact fits what is asked: the kind of answer,
the time, the entity, the phase. Every such number is here. They only order the candidates;
whether to answer is the fitted model's decision (model.py), which weighs the score with the
other evidence. The question cues' own factors stay with each cue (cues.py).

To try another value, make a changed copy and pass it:
`Answerer(factbase, parameters=replace(RANKING, other_time=0.5))`. Two engines with different
parameters can run side by side in one process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankParameters:
    # Where a question word is found, for a fact (rank.WordEvidence.matches): in the fact, 1.
    near: float = 0.7  # in the sentence before, which often names the subject
    in_context: float = 0.5  # only in the fact's paragraph or story title
    in_story: float = 0.3  # elsewhere in the same story
    by_sound: float = 0.9  # 尚维 for 尚纬: a homophone typo still counts, nearly in full
    part_of_word: float = 0.6  # not found whole: times the share of its parts (投资|规模)
    near_miss: float = 0.6  # only as a near-miss spelling (rapidfuzz)
    kind_by_head: float = 0.8  # a kind word (园区) found as the end of listed names (…示范园、)
    # One of the commonest words of the language that the articles never use (出来, 一般) is
    # phrasing, not a topic they miss: it weighs this share of what its rarity says.
    everyday_word: float = 0.25
    # Lowering a fact's coverage
    focus_missing: float = 0.65  # the word asked about (总投资 in 总投资多少) is not with it
    unknown_name: float = 0.5  # the question names a place or body (绵阳市) it does not
    # Factors for the fit to what is asked (rank.Scorer)
    unit_held: float = 1.1  # the question implies a unit (投资 → 元) the fact gives an amount in
    unit_missing: float = 0.85  # … and one that gives none
    new_place: float = 1.1  # a 哪里 question: a fact naming a place the question does not
    no_new_place: float = 0.85
    role_named: float = 1.2  # a 职务 question: a fact naming the person asked about
    role_not_named: float = 0.9
    time_stated: float = 1.1  # the question's year (or plan period) is stated
    other_time: float = 0.45  # the question asks about 2022, the fact states 2023
    undated_in_story: float = 1.0  # the fact states no year, its story does state the asked one
    undated: float = 0.8  # the fact states no year, nor does its story
    other_phase: float = 0.6  # the question asks about 二期, the fact states 一期
    other_entity: float = 0.6  # the question names an entity this fact and its paragraph do not
    in_story_entity: float = 0.85  # … but the story around it does (and names no rival)
    described: float = 1.2  # a 是做什么的 question: a fact that describes the entity
    # Matching names and bounding the work
    fuzzy_floor: int = 75  # rapidfuzz partial_ratio for a near-miss word or name (3+ characters)
    head_floor: int = 60  # a near-miss entity name must also match in its first half
    pool: int = 2000  # facts scored in full per question: the best by candidate_rows' bound
    fuzzy_candidates: int = 20  # facts rescored with rapidfuzz after a first, exact-only pass

    @property
    def tier_weights(self) -> np.ndarray:
        """One row per tier of Index.tiers: the fact, the sentence before, the paragraph and
        title, the story."""
        return np.array([[1.0], [self.near], [self.in_context], [self.in_story]])


RANKING = RankParameters()
