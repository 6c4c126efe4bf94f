"""The learned layer of triage: a small text classifier that backs up the rules.

The rules catch what someone thought to write down; this model scores the wording as a whole,
so it can catch implicit phrasings no rule anticipated ("done tired", "soon they won't have
to"). It is a multinomial logistic regression over four classes (none, concern, urgent,
crisis) trained by tools/train_triage.py on the labelled sets in tests/triage_cases/.

Features are read from the text the rules already prepared (accents folded, letter runs cut,
slang expanded, typos repaired, idioms blanked, see matching.prepare):
- words and word pairs within a clause,
- character 3-5-grams of each word padded with < and >,
with digits folded to 0, each feature counted once and the vector scaled to unit length.

Inference is pure Python: the weights (pruned to the strongest features and stored as
integers) are a gzip'd JSON file in this package, loaded on first use and cached.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

CLASSES = ("none", "concern", "urgent", "crisis")
MODEL_FILE = "triage_model.json.gz"
FORMAT = 1

_DIGIT = re.compile(r"\d")


def features(text: str) -> set[str]:
    """Return the set of features of a prepared text (see the module docstring)."""
    text = _DIGIT.sub("0", text)
    out: set[str] = set()
    add = out.add
    for clause in text.split(","):
        prev = ""
        for word in clause.split():
            add(word)
            if prev:
                add(prev + " " + word)
            prev = word
            padded = "<" + word + ">"
            n = len(padded)
            for i in range(n - 2):
                add("#" + padded[i : i + 3])
                if i + 4 <= n:
                    add("#" + padded[i : i + 4])
                    if i + 5 <= n:
                        add("#" + padded[i : i + 5])
    return out


@dataclass(frozen=True, eq=False)
class TextModel:
    """Weights of the classifier: per-class bias and per-feature weights (one per class)."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    info: Mapping[str, Any]

    def probabilities(self, text: str) -> dict[str, float]:
        """Return the probability of each class for a prepared text."""
        return dict(zip(self.classes, self._probs(text), strict=True))

    def _probs(self, text: str) -> list[float]:
        feats = features(text)
        b0, b1, b2, b3 = self.bias
        if feats:
            s0 = s1 = s2 = s3 = 0.0
            get = self.weights.get
            for feat in feats:
                w = get(feat)
                if w is not None:
                    s0 += w[0]
                    s1 += w[1]
                    s2 += w[2]
                    s3 += w[3]
            scale = 1.0 / math.sqrt(len(feats))
            b0 += s0 * scale
            b1 += s1 * scale
            b2 += s2 * scale
            b3 += s3 * scale
        top = max(b0, b1, b2, b3)
        e = [math.exp(b0 - top), math.exp(b1 - top), math.exp(b2 - top), math.exp(b3 - top)]
        total = e[0] + e[1] + e[2] + e[3]
        return [x / total for x in e]

    def level(self, text: str, crisis_threshold: float, urgent_threshold: float) -> str:
        """Return "crisis", "urgent" or "none" for a prepared text, by the two thresholds.

        crisis when P(crisis) >= crisis_threshold; urgent when P(urgent) + P(crisis) >=
        urgent_threshold. The model never decides concern: the rules do.
        """
        p = self._probs(text)
        if p[3] >= crisis_threshold:
            return "crisis"
        if p[2] + p[3] >= urgent_threshold:
            return "urgent"
        return "none"


def model_from_dict(data: Mapping[str, Any]) -> TextModel:
    """Build a TextModel from the stored JSON mapping (integer weights times 1/scale)."""
    if data.get("format") != FORMAT or tuple(data.get("classes", ())) != CLASSES:
        raise ValueError("triage model: unknown format or classes")
    unit = 1.0 / float(data["scale"])
    weights = {feat: tuple(v * unit for v in values) for feat, values in data["weights"].items()}
    bias = tuple(float(v) * unit for v in data["bias"])
    return TextModel(classes=CLASSES, bias=bias, weights=weights, info=data.get("info", {}))


def model_to_dict(
    bias: Sequence[int], weights: Mapping[str, Sequence[int]], scale: int, info: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the JSON mapping for integer weights (value = integer / scale)."""
    return {
        "format": FORMAT,
        "classes": list(CLASSES),
        "scale": scale,
        "bias": [int(v) for v in bias],
        "weights": {f: [int(v) for v in w] for f, w in sorted(weights.items())},
        "info": dict(info),
    }


@functools.lru_cache(maxsize=1)
def load_model() -> TextModel:
    """Load the packaged model once (cached)."""
    raw = files("bot.triage").joinpath(MODEL_FILE).read_bytes()
    return model_from_dict(json.loads(gzip.decompress(raw).decode("utf-8")))
