"""The fitted answer model: evidence features → probability that a candidate is right.

Logistic regression over standardised features (evidence.FEATURES), fitted by `python -m bot
train` and kept as a small JSON file in knowledge/ with the thresholds picked for it. Nothing
here is set by hand; read the file to see what each piece of evidence weighs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.answer.evidence import FEATURES
from bot.answer.policy import AnswerPolicy

MODEL_FILE = "answer_model.json"
# The model shipped with the project, for a knowledge folder built without one (a fresh build,
# the tests' temporary folders): the features are the same for any corpus.
PROJECT_MODEL = Path(__file__).resolve().parents[2] / "knowledge" / MODEL_FILE
DIGITS = 6  # rounding of every stored number, so the file is byte-identical on a rerun


class ModelError(ValueError):
    """The model file is missing, unreadable or made for other features."""


@dataclass(frozen=True)
class AnswerModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    policy: AnswerPolicy

    def probability(self, row: list[float]) -> float:
        z = self.intercept + sum(
            c * (x - m) / s
            for c, x, m, s in zip(self.coef, row, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def weights(self) -> dict[str, float]:
        """Each feature's weight per unit of the feature (not standardised): for reading."""
        return {
            f: round(c / s, 3) for f, c, s in zip(self.features, self.coef, self.scale, strict=True)
        }

    def to_json(self) -> str:
        data = {
            "features": list(self.features),
            "mean": [round(v, DIGITS) for v in self.mean],
            "scale": [round(v, DIGITS) for v in self.scale],
            "coef": [round(v, DIGITS) for v in self.coef],
            "intercept": round(self.intercept, DIGITS),
            "policy": {k: round(v, 1) for k, v in asdict(self.policy).items()},
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def read_model(path: Path) -> AnswerModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = AnswerModel(
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            policy=AnswerPolicy(**data["policy"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: cannot read the answer model ({exc})") from exc
    if model.features != FEATURES:
        raise ModelError(f"{path}: made for other features; run `python -m bot train`")
    return model


def project_model() -> AnswerModel | None:
    """The project's model, or None while there is none that fits (before `bot train`)."""
    try:
        return read_model(PROJECT_MODEL)
    except ModelError:
        return None


def load_model(knowledge_dir: Path) -> AnswerModel:
    """The knowledge folder's own model, else the project's."""
    own = Path(knowledge_dir) / MODEL_FILE
    path = own if own.exists() else PROJECT_MODEL
    if not path.exists():
        raise ModelError(f"{own}: no answer model; run `python -m bot train`")
    return read_model(path)
