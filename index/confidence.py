"""Confidence: the probability that an answer is right, from evidence the engine already has.

The answer engine picks its best guess; this module turns the evidence around that guess into a
calibrated probability (of answers shown at confidence c, about c are right) and says whether it
is high enough to show. Evidence (``FEATURES``, version ``FEATURE_VERSION``): the span model's
pooled probability and its margin over the best other guess, whether the guess is a fact of the
asked kind (a person with a role for «من»), how much of the question's (idf-weighted) words the
answer's passage and sentence hold and whether its rarest word is there, whether the sentence
holds the question's verb and object with the answer right beside them, whether the answer only
repeats the question's words, how clearly the answer's article beats the next article that
matches the question, the question's type and length, and whether it is a follow-up.
Agreement across articles is not evidence here: it counts reprints, which a small archive never
has, so it made every answer in a small archive look doubtful. The lead over the next matching
article stays: with no rival story the question is not ambiguous, in a small archive or a large one.

The weights (a logistic regression) live in ``index/data/confidence.json``, fitted by
``tests/bench/fit_confidence.py`` on questions that are not news-qa dev (see the file's
``made_by``). A file made for another feature version is refused: the engine then shows nothing
as an answer rather than trust weights that mean something else.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["FEATURES", "FEATURE_VERSION", "Calibration", "load", "read"]

log = logging.getLogger(__name__)

FEATURE_VERSION = 4
FEATURES: tuple[str, ...] = (
    "prob",  # the pooled span-model probability of what is shown (all the names of «X ونظيره Y»)
    "margin",  # its lead over the best guess that is not part of what is shown
    "typed",  # how well the guess's kind fits the question (a person for «من» 1.0, an organisation 0.4)
    "role",  # a person named with a role
    "cover",  # idf-weighted share of the question's words in the answer's passage (title + 3 sentences)
    "rarest",  # the question's rarest word is in that passage
    "local",  # share of the question's words within 8 words of the answer
    "near",  # 1 / (1 + distance to the nearest question word)
    "sentence",  # idf-weighted share of the question's words in the answer's sentence (inflected, same root)
    "head",  # the question's first two content words (verb and object: «وقع» «الاتفاقية») are in that sentence
    "adjacent",  # 1 / (1 + content words between the answer, with its role, and the nearest question word)
    "typed_local",  # typed, with head, at most one content word from the question's words
    "echo",  # share of the answer's words the question already holds («عادل بن أحمد الجبير» for «التقاه عادل الجبير»)
    "lead",  # the answer article's best sentence score minus the next matching article's (no rival: no doubt)
    "terms",  # question length: content words / 8 (capped at 1)
    "followup",  # answered from the story the chat was just shown
    "q_who",
    "q_when",
    "q_where",
    "q_number",
    "q_what",
)


class Calibration:
    """A logistic model over ``FEATURES`` and the threshold for showing an answer."""

    def __init__(self, weights: Mapping[str, float], bias: float, threshold: float, *, usable: bool = True) -> None:
        self.weights = dict(weights)
        self.bias = bias
        self.threshold = threshold
        self.usable = usable

    def probability(self, evidence: Mapping[str, float]) -> float:
        """Return the probability that the best guess is right."""
        if not self.usable:
            return 0.0
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in evidence.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def shows(self, probability: float) -> bool:
        """True when an answer this likely to be right is shown as an answer."""
        return self.usable and probability >= self.threshold


@lru_cache(maxsize=1)
def load() -> Calibration:
    """Return the fitted calibration; an unusable one (nothing shown) when missing or out of date.

    ``$ARSHIF_CONFIDENCE_FILE`` names another file of the same form (one refitted on your own
    archive, or a test's), read instead of the shipped one.
    """
    other = os.environ.get("ARSHIF_CONFIDENCE_FILE")
    return read(Path(other) if other else resources.files("arshif.index") / "data" / "confidence.json")


def read(path) -> Calibration:
    """Return the calibration in a file; an unusable one when missing or fitted for other features."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.error("confidence: index/data/confidence.json is missing; answers are shown as passages only")
        return Calibration({}, 0.0, 1.0, usable=False)
    data = json.loads(raw)
    if data.get("feature_version") != FEATURE_VERSION or tuple(data.get("features", ())) != FEATURES:
        log.error("confidence: index/data/confidence.json was fitted for feature version %s, the engine computes "
                  "version %s; refit with tests/bench/fit_confidence.py", data.get("feature_version"), FEATURE_VERSION)
        return Calibration({}, 0.0, 1.0, usable=False)
    return Calibration(data["weights"], data["bias"], data["threshold"])
