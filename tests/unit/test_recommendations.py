"""Targeted recommendations (docs/methodology.md): weakest procedures against the region, and weak
ВПР tasks when the task-level mart (fct_school_task_results) is there; subject level otherwise."""

from __future__ import annotations

import pandas as pd
import pytest

from shnor.methods.recommendations import TASK_COLUMNS, weak_tasks, weakest_procedures
from shnor.presets import load_preset
from shnor.report_tables import recommendations

PRESET = load_preset()
SHNOR = pd.DataFrame({"school_id": ["s"], "exam_year": [2026]})


def results():
    rows = [("s", "vpr", 5, "math", 50, 20), ("s", "vpr", 5, "russian", 50, 12),
            ("s", "oge", 9, "math", 40, 12), ("s", "oge", 9, "russian", 40, 1),
            ("s", "vpr", 6, "math", 12, 5)]  # fmt: skip
    # the region: 10% fails everywhere, from many other schools
    rows += [(f"o{i}", exam, grade, subject, 100, 10) for i in range(20)
             for exam, grade, subject in [("vpr", 5, "math"), ("vpr", 5, "russian"),
                                          ("oge", 9, "math"), ("oge", 9, "russian"),
                                          ("vpr", 6, "math")]]  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["school_id", "exam", "grade", "subject", "participant_count", "fail_count"]
    )
    return frame.assign(exam_year=2026)


def test_weakest_procedures_are_ranked_by_standardised_difference():
    weak = weakest_procedures(results(), SHNOR, PRESET)
    # z = (k − n·p)/√(n·p·(1−p)), p the region's share incl. the school: ВПР 5 maths 6.7,
    # ОГЭ maths 4.1, ВПР 6 maths 3.6 (n = 12), ВПР 5 Russian 3.2 (fourth: left out); ОГЭ Russian
    # is better than the region.
    assert weak[["exam", "grade", "subject"]].values.tolist() == [
        ["vpr", 5, "math"],
        ["oge", 9, "math"],
        ["vpr", 6, "math"],
    ]
    assert weak["rank"].tolist() == [1, 2, 3]
    p = (20 + 200) / (50 + 2000)
    assert weak.iloc[0]["standardised_difference"] == pytest.approx(
        (20 - 50 * p) / (50 * p * (1 - p)) ** 0.5
    )
    first = weak.iloc[0]
    assert first["fail_share"] == pytest.approx(20 / 50)
    assert first["fail_share_lower"] < 0.4 < first["fail_share_upper"]


def tasks():
    """Exactly the columns of issue 5's fct_school_task_results."""
    rows = [
        # task 1: region solves 80% (basic); the school 40% → below 57% and 40 pp below: weak
        ("s", "1", 30, 0.4, 1),
        *((f"o{i}", "1", 50, 0.8, 1) for i in range(10)),
        # task 2: region 60%, school 50% → below 57% but only 10 pp below region: not weak
        ("s", "2", 30, 1.0, 2),
        *((f"o{i}", "2", 50, 1.2, 2) for i in range(10)),
        # task 3: region 40% (advanced, threshold 28.5%); school 10% → weak
        ("s", "3", 30, 0.2, 2),
        *((f"o{i}", "3", 50, 0.8, 2) for i in range(10)),
        # task 4: weak rates but only 5 results: too few to say
        ("s", "4", 5, 0.0, 0),
        *((f"o{i}", "4", 50, 0.9, 1) for i in range(10)),
    ]
    frame = pd.DataFrame(
        rows, columns=["school_id", "task", "result_count", "mean_points", "max_points_observed"]
    )
    return frame.assign(exam_year=2026, grade=5, subject="math")[list(TASK_COLUMNS)]


def test_weak_tasks_against_thresholds_and_the_region():
    weak = weak_tasks(tasks(), SHNOR, PRESET).set_index("task")
    assert sorted(weak.index) == ["1", "3"]
    assert weak.loc["1", "task_level"] == "базовый"
    assert weak.loc["1", "threshold"] == PRESET["support.basic_task_solve_rate"]
    assert weak.loc["3", "task_level"] == "повышенный"
    assert weak.loc["3", "threshold"] == PRESET["support.advanced_task_solve_rate"]
    assert weak.loc["3", "solve_rate"] == pytest.approx(0.1)
    assert weak.loc["3", "regional_solve_rate"] == pytest.approx((30 * 0.2 + 500 * 0.8) / (530 * 2))


def test_recommendations_use_tasks_when_present_and_subjects_otherwise():
    flags = pd.DataFrame({"school_id": ["s"], "exam_year": [2026], "is_on_shnor_list": [True]})
    schools = pd.DataFrame(
        {"school_id": ["s"], "school_name": ['=HYPERLINK("x")'], "municipality_name": ["А"]}
    )
    without = recommendations(results(), flags, schools, None, PRESET)
    assert set(without["kind"]) == {"процедура"}
    with_tasks = recommendations(results(), flags, schools, tasks(), PRESET)
    assert with_tasks["kind"].value_counts().to_dict() == {"процедура": 3, "задание": 2}
    task_text = with_tasks.loc[with_tasks["task"] == "1", "text"].item()
    assert task_text.startswith("ВПР, Математика, 5 кл., задание 1 (базовый уровень)")
    assert "решаемость 40,0\u00a0% при пороге 57,0\u00a0%" in task_text
