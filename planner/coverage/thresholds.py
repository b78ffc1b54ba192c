"""The one rule for comparing a ratio or a share with a threshold.

Thresholds are compared on the whole percentage that every sentence prints (BRIEF §4.1,
"Boundaries are exact"): a ratio computed as 0.7999999999999999 reads "80%" and is at the 80%
threshold, not below it. Sentences print :func:`percent`, so what a reader sees and what the
engine decides never disagree.
"""

from __future__ import annotations

import numpy as np

_EPSILON = 1e-9


def percent(ratio):
    """The whole percentage a ratio is shown as (half up; NaN stays NaN). Works on scalars and
    arrays. Every threshold comparison and every sentence uses it."""
    value = np.floor(np.asarray(ratio, dtype=float) * 100 + 0.5 + _EPSILON)
    return float(value) if np.ndim(value) == 0 else value


def threshold_percent(threshold: float) -> float:
    """A threshold (a share, 0.8) as the percentage it is compared at (80)."""
    return round(float(threshold) * 100, 6)


def below(ratio, threshold: float):
    """True where the shown percentage of ``ratio`` is below ``threshold``; NaN is not below."""
    return percent(ratio) < threshold_percent(threshold)


def above(ratio, threshold: float):
    """True where the shown percentage of ``ratio`` is above ``threshold``."""
    return percent(ratio) > threshold_percent(threshold)
