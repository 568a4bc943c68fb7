"""Confidence: the probability that an answer is right, from evidence the engine already has.

The answer engine picks its best guess; this module turns the evidence around that guess into a
calibrated probability (of answers shown at confidence c, about c are right) and says whether it
is high enough to show. Evidence (``FEATURES``, version ``FEATURE_VERSION``): the span model's
pooled probability and its margin over the runner-up, whether the guess is a fact of the asked
kind, how much of the question's (idf-weighted) words the answer's passage holds and whether its
rarest word is there, how clearly the answer's article beats the next one, how many other
articles agree, the question's type, length and language.

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

FEATURE_VERSION = 2
FEATURES: tuple[str, ...] = (
    "prob",  # the pooled span-model probability of what is shown (all the names of «X ونظيره Y»)
    "margin",  # its lead over the runner-up
    "typed",  # a fact of the asked kind (a person for «من», a date for «متى»)
    "role",  # a person named with a role
    "cover",  # idf-weighted share of the question's words in the answer's passage (title + 3 sentences)
    "title",  # idf-weighted share of the question's words in the answer article's title
    "rarest",  # the question's rarest word is in that passage
    "local",  # share of the question's words within 8 words of the answer
    "near",  # 1 / (1 + distance to the nearest question word)
    "lead",  # the answer article's best sentence score minus the next article's
    "agree",  # other articles among the best holding the same answer (0, 1/3, 2/3, 1)
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
