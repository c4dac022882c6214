"""Targeted recommendations (docs/methodology.md): at most five procedures per school on the list
or in the risk group, ranked by the shrunk shortfall against the region with a minimum n; weak
ВПР tasks named from the region's task descriptions; measures from its reference table."""

from __future__ import annotations

import pandas as pd
import pytest

from shnor.methods.recommendations import TASK_COLUMNS, shrunk_shortfalls, weak_tasks
from shnor.presets import PresetError, load_preset
from shnor.report_tables import recommendations, reference_frame

PRESET = load_preset()
SHNOR = pd.DataFrame({"school_id": ["s"], "exam_year": [2026]})
PROCEDURES = [("vpr", 5, "math"), ("vpr", 5, "russian"), ("oge", 9, "math"),
              ("oge", 9, "russian"), ("vpr", 6, "math"), ("vpr", 7, "math"), ("vpr", 8, "math"),
              ("ege", 11, "physics")]  # fmt: skip


def results():
    rows = [("s", "vpr", 5, "math", 50, 20), ("s", "vpr", 5, "russian", 50, 12),
            ("s", "oge", 9, "math", 40, 12), ("s", "oge", 9, "russian", 40, 1),
            ("s", "vpr", 6, "math", 12, 5), ("s", "vpr", 7, "math", 60, 30),
            ("s", "vpr", 8, "math", 60, 15),
            # «ЕГЭ, Физика 100 %, n = 1»: one result is no evidence
            ("s", "ege", 11, "physics", 1, 1)]  # fmt: skip
    # the region: 10% fails everywhere, from many other schools
    rows += [(f"o{i}", exam, grade, subject, 100, 10) for i in range(20)
             for exam, grade, subject in PROCEDURES]  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["school_id", "exam", "grade", "subject", "participant_count", "fail_count"]
    )
    return frame.assign(exam_year=2026)


def shrunk(k: int, n: int) -> float:
    """(k + m·p)/(n + m) − p with p the region's share (the school's results included)."""
    m = PRESET["support.recommendation_prior_results"]
    p = (k + 200) / (n + 2000)
    return (k + m * p) / (n + m) - p


def test_procedures_are_ranked_by_shrunk_shortfall_at_most_five_with_a_minimum_n():
    weak = shrunk_shortfalls(results(), SHNOR, PRESET)
    # shortfalls: ВПР 7 maths 0.291, ВПР 5 maths 0.209, ОГЭ maths 0.131, ВПР 6 maths 0.118
    # (n = 12), ВПР 8 maths 0.109; ВПР 5 Russian 0.098 is the sixth (left out); ОГЭ Russian is
    # better than the region; ЕГЭ physics (1 of 1) has fewer than the minimum n.
    assert weak[["exam", "grade", "subject"]].values.tolist() == [
        ["vpr", 7, "math"], ["vpr", 5, "math"], ["oge", 9, "math"], ["vpr", 6, "math"],
        ["vpr", 8, "math"],
    ]  # fmt: skip
    assert weak["rank"].tolist() == [1, 2, 3, 4, 5]
    assert weak["shrunk_shortfall"].tolist() == pytest.approx(
        [shrunk(30, 60), shrunk(20, 50), shrunk(12, 40), shrunk(5, 12), shrunk(15, 60)]
    )
    assert (weak["participant_count"] >= PRESET["support.recommendation_min_results"]).all()
    # the raw share is shown with its interval; a small sample's raw share (5 of 12 = 42 %)
    # ranks below a larger school's smaller share (20 of 50 = 40 %) once shrunk
    second = weak.iloc[1]
    assert second["fail_share"] == pytest.approx(20 / 50)
    assert second["fail_share_lower"] < 0.4 < second["fail_share_upper"]


def test_fewer_recommendations_when_the_preset_asks_and_never_more_than_five(tmp_path):
    two = tmp_path / "two.toml"
    two.write_text("[support]\nrecommended_procedure_count = 2\n", encoding="utf-8")
    assert len(shrunk_shortfalls(results(), SHNOR, load_preset(two))) == 2
    six = tmp_path / "six.toml"
    six.write_text("[support]\nrecommended_procedure_count = 6\n", encoding="utf-8")
    with pytest.raises(PresetError, match="не больше пяти"):
        load_preset(six)


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


FLAGS = pd.DataFrame(
    {"school_id": ["s"], "exam_year": [2026], "is_on_shnor_list": [False],
     "is_risk_group": [True]}
)  # fmt: skip
SCHOOLS = pd.DataFrame(
    {"school_id": ["s"], "school_name": ['=HYPERLINK("x")'], "municipality_name": ["А"]}
)


def test_recommendations_name_weak_tasks_by_what_they_check_and_the_measure_from_the_table():
    descriptions = pd.DataFrame(
        [["vpr", "5", "math", "1", "базовый", "действия с обыкновенными дробями", "кодификатор"],
         ["vpr", "5", "math", "3", "", "", "кодификатор"]],
        columns=["exam", "grade", "subject", "task", "level", "checked_skill", "source"],
    )  # fmt: skip
    measures = reference_frame("support_measures")
    frame = recommendations(results(), FLAGS, SCHOOLS, tasks(), PRESET, descriptions, measures)
    assert len(frame) == 5 and set(frame["school_group"]) == {"группа риска"}
    assert "ЕГЭ, Физика" not in " ".join(frame["text"])
    vpr5 = frame.loc[frame["procedure_name"] == "ВПР, Математика, 5 кл."].iloc[0]
    assert vpr5["task_count"] == 2
    assert (
        "задание 1 (базовый уровень; проверяет: действия с обыкновенными дробями): решаемость "
        "40,0\u00a0% при 77,7\u00a0% по региону" in vpr5["text"]
    )
    assert "задание 3 (повышенный уровень): решаемость 10,0" in vpr5["text"]
    packaged = measures.set_index(["exam", "subject"]).loc[("vpr", ""), "measure"]
    assert vpr5["measure"] == packaged and f"Что сделать: {packaged}." in vpr5["text"]
    # A region's own row for ВПР maths wins over the general ВПР row; change it, the text follows.
    own = pd.concat(
        [pd.DataFrame([{"exam": "vpr", "subject": "math", "measure": "наставник-математик"}]),
         measures], ignore_index=True,
    )  # fmt: skip
    changed = recommendations(results(), FLAGS, SCHOOLS, tasks(), PRESET, descriptions, own)
    texts = changed.set_index("procedure_name")["text"]
    assert texts["ВПР, Математика, 5 кл."].endswith("Что сделать: наставник-математик.")
    assert texts["ОГЭ, Математика"].endswith(
        f"Что сделать: {measures.set_index(['exam', 'subject']).loc[('oge', ''), 'measure']}."
    )


def test_without_task_results_recommendations_stay_at_the_procedure_level():
    frame = recommendations(results(), FLAGS, SCHOOLS, None, PRESET)
    assert len(frame) == 5 and (frame["task_count"] == 0).all()
    assert not frame["text"].str.contains("Слабые задания").any()
