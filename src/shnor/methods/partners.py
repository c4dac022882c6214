"""Partner pairs («сетевые пары», docs/methodology.md): each ШНОР gets a tutor school (stably high
or
resilient) with a similar context, preferring its own municipality, at most `capacity` ШНОР per
tutor — solved as one assignment problem of minimum total distance, not greedily.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class PairCosts:
    """Distance penalties (in standard deviations of the numeric features)."""

    level: float
    settlement: float
    other_municipality: float


def pair_distances(mentees: pd.DataFrame, tutors: pd.DataFrame, costs: PairCosts) -> np.ndarray:
    """Distance of every mentee (rows) to every tutor (columns).

    Both frames carry `context_z` and `size_z` (standardised; NaN = unknown, counted as the
    region's average), `school_level`, `settlement_type` and `municipality_name`.
    """

    def numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
        return frame[column].astype("float64").fillna(0.0).to_numpy()

    def differs(column: str) -> np.ndarray:
        left = mentees[column].astype("object").to_numpy()[:, None]
        right = tutors[column].astype("object").to_numpy()[None, :]
        return (left != right).astype("float64")

    distance = np.abs(numeric(mentees, "context_z")[:, None] - numeric(tutors, "context_z"))
    distance += np.abs(numeric(mentees, "size_z")[:, None] - numeric(tutors, "size_z"))
    distance += costs.level * differs("school_level")
    distance += costs.settlement * differs("settlement_type")
    distance += costs.other_municipality * differs("municipality_name")
    return distance


def assign_partners(distance: np.ndarray, capacity: int) -> list[tuple[int, int | None]]:
    """(mentee, tutor) index pairs of minimum total distance, each tutor at most `capacity`
    mentees; a mentee left without a tutor (too few places) gets None.

    Capacity is a tutor's column repeated `capacity` times; linear_sum_assignment solves the
    rectangular problem exactly. When places are short, the mentees that are placed are the
    ones whose placement gives the smallest total distance among all full-size choices.
    """
    mentee_count, tutor_count = distance.shape
    if mentee_count == 0:
        return []
    if tutor_count == 0 or capacity < 1:
        return [(m, None) for m in range(mentee_count)]
    places = np.repeat(distance, capacity, axis=1)
    rows, cols = linear_sum_assignment(places)
    tutor_of = dict(zip(rows.tolist(), (cols // capacity).tolist(), strict=True))
    return [(m, tutor_of.get(m)) for m in range(mentee_count)]
