"""Partner pairs (docs/methodology.md): capacity respected, total distance optimal (against brute
force), the same municipality preferred, and the pairs table built from flags."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from shnor.methods.partners import PairCosts, assign_partners, pair_distances
from shnor.presets import load_preset
from shnor.report_tables import partner_pairs


def brute_force_best(distance: np.ndarray, capacity: int) -> float:
    """The smallest total distance over every assignment of mentees to tutors with capacity
    (all mentees placed when places suffice)."""
    mentees, tutors = distance.shape
    best = np.inf
    for choice in itertools.product(range(tutors), repeat=mentees):
        if max(choice.count(t) for t in range(tutors)) <= capacity:
            best = min(best, sum(distance[m, t] for m, t in enumerate(choice)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_assignment_respects_capacity_and_is_optimal(seed):
    rng = np.random.default_rng(seed)
    distance = rng.uniform(0, 10, size=(5, 3))
    pairs = assign_partners(distance, capacity=2)
    tutors = [t for _, t in pairs]
    assert None not in tutors
    assert max(tutors.count(t) for t in set(tutors)) <= 2
    total = sum(distance[m, t] for m, t in pairs)
    assert total == pytest.approx(brute_force_best(distance, 2))


def test_greedy_choice_is_not_taken_when_it_costs_more_in_total():
    # Mentee 0 is closest to tutor 0, but mentee 1 needs tutor 0 far more: optimal gives
    # 0 → tutor 1 and 1 → tutor 0 (total 3), greedy would give 1 + 10 = 11.
    distance = np.array([[1.0, 2.0], [1.0, 10.0]])
    assert assign_partners(distance, capacity=1) == [(0, 1), (1, 0)]


def test_mentees_beyond_capacity_get_no_tutor():
    distance = np.array([[1.0], [2.0], [3.0]])
    pairs = assign_partners(distance, capacity=2)
    assert sorted(t for _, t in pairs if t is not None) == [0, 0]
    assert pairs[2] == (2, None)
    assert assign_partners(np.zeros((2, 0)), capacity=2) == [(0, None), (1, None)]


def frame(rows):
    return pd.DataFrame(
        rows, columns=["context_z", "size_z", "school_level", "settlement_type",
                       "municipality_name"]
    )  # fmt: skip


def test_distance_adds_penalties_from_the_preset():
    mentees = frame([(0.0, 0.0, "secondary", "rural", "A")])
    tutors = frame([(0.5, -0.5, "secondary", "rural", "A"), (0.0, 0.0, "basic", "urban", "B")])
    distance = pair_distances(mentees, tutors, PairCosts(1.0, 0.5, 2.0))
    assert distance.tolist() == [[1.0, 3.5]]


def school_rows(year=2026):
    """Three ШНОР in municipality A and B, three tutors: one tutor in A has capacity 2."""

    def row(school, municipality, shnor=False, high=False, resilient=False, context=0.0):
        return {
            "school_id": school,
            "exam_year": year,
            "is_rated": True,
            "is_on_shnor_list": shnor,
            "is_stable_high": high,
            "is_resilient": resilient,
            "context_index": context,
            "counted_participant_count": 100,
            "_municipality": municipality,
        }

    rows = [row("s1", "A", shnor=True), row("s2", "A", shnor=True), row("s3", "B", shnor=True),
            row("t1", "A", high=True), row("t2", "B", resilient=True, context=-0.5),
            row("t3", "C", high=True), row("x", "A", context=2.0)]  # fmt: skip
    flags = pd.DataFrame(rows)
    schools = pd.DataFrame(
        {"school_id": flags["school_id"], "school_name": "Школа " + flags["school_id"],
         "municipality_name": flags["_municipality"], "settlement_type": "rural",
         "school_level": "secondary", "student_count": 300}
    )  # fmt: skip
    return flags.drop(columns="_municipality"), schools


def test_partner_pairs_prefer_the_same_municipality_within_capacity():
    flags, schools = school_rows()
    pairs = partner_pairs(flags, schools, load_preset()).set_index("school_id")
    assert pairs.loc[["s1", "s2"], "tutor_school_id"].tolist() == ["t1", "t1"]  # capacity 2
    assert pairs.loc["s3", "tutor_school_id"] == "t2"  # same municipality despite context
    assert pairs["is_same_municipality"].all()
    assert "тот же муниципалитет" in pairs.loc["s3", "reason_text"]
    assert pairs.loc["s3", "tutor_kind"] == "резильентная школа"
    assert pairs.loc["s3", "distance"] == pytest.approx(
        abs(pairs.loc["s3", "context_index"] - pairs.loc["s3", "tutor_context_index"])
        / flags["context_index"].std()
    )
