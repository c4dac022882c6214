"""End to end on a small demo region: published outputs, nothing lost, and accuracy against the
planted truth next to the naive ranking by pooled raw fail share."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from shnor.evaluation import stable_low_accuracy, tiny_school_false_flags
from shnor.flags import naive_stable_low
from shnor.presets import load_preset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(demo_region, demo_run):
    marts = demo_region.data_dir / "marts"
    return {
        "flags": pd.read_parquet(marts / "fct_school_flags.parquet"),
        "results": pd.read_parquet(marts / "fct_school_procedure_results.parquet"),
        "schools": pd.read_parquet(marts / "dim_schools.parquet"),
        "truth": pd.read_parquet(demo_region.truth_path),
        "run": demo_run,
    }


def test_publishes_the_contract_outputs(demo_region, published):
    marts = demo_region.data_dir / "marts"
    last_year = max(demo_region.years)
    for name in ("dim_schools", "fct_school_procedure_results", "fct_school_flags"):
        assert (marts / f"{name}.parquet").is_file()
    assert (marts / "reports" / f"school_list_{last_year}.xlsx").is_file()
    manifest = json.loads((marts / "run_manifest.json").read_text("utf-8"))
    assert manifest["preset"] == "reference"
    assert len(manifest["inputs"]) == len(demo_region.files)
    flags = published["flags"]
    contract = [
        "school_id", "exam_year", "is_rated", "composite_score", "low_probability",
        "stable_low_probability", "is_low_result", "is_stable_low", "is_recurrent_low",
        "is_stable_high", "is_absolute_risk", "is_risk_group", "is_shnsu", "is_resilient",
        "has_objectivity_concern", "reasons", "preset",
    ]  # fmt: skip
    assert set(contract) <= set(flags.columns)
    assert not flags.duplicated(["school_id", "exam_year"]).any()
    assert set(flags["preset"]) == {"reference@2026.1"}


def test_every_participant_row_is_accounted_for(demo_region, published):
    """Nothing lost: raw rows = staged rows; counted + absent + not counted = all rows."""
    results = published["results"]
    with duckdb.connect(str(demo_region.data_dir / "shnor.duckdb"), read_only=True) as con:
        raw_rows = con.execute(
            "SELECT (SELECT count(*) FROM raw.vpr_participants) "
            "+ (SELECT count(*) FROM raw.exam_participants WHERE _source_file NOT LIKE 'mock/%')"
        ).fetchall()[0][0]
        quarantined = con.execute(
            "SELECT count(*) FROM raw._files WHERE status <> 'loaded'"
        ).fetchall()[0][0]
    assert raw_rows == demo_region.participant_row_count
    assert quarantined == 0
    accounted = (
        results["participant_count"] + results["absent_count"] + results["not_counted_count"]
    ).sum()
    assert accounted == demo_region.participant_row_count


def test_counts_match_the_truth_of_counted_results(published):
    """Counted participants per school-year equal the generator's own count."""
    results, truth = published["results"], published["truth"]
    counted = results.groupby(["school_id", "exam_year"])["participant_count"].sum()
    expected = truth.set_index(["school_id", "exam_year"])["assessed_participant_count"]
    joined = pd.concat([counted.rename("got"), expected.rename("want")], axis=1).fillna(0)
    assert (joined["got"] == joined["want"]).all(), joined[joined["got"] != joined["want"]].head()


def test_school_list_workbook_matches_the_flags(demo_region, published):
    last_year = max(demo_region.years)
    path = demo_region.data_dir / "marts" / "reports" / f"school_list_{last_year}.xlsx"
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames[:3] == ["Сводка", "ШНОР", "Группа риска"]
    assert "Параметры методики" in workbook.sheetnames
    rows = list(workbook["ШНОР"].iter_rows(min_row=6, values_only=True))  # under the title
    header, body = rows[0], rows[1:]
    assert header[:4] == ("№ п/п", "Муниципалитет", "Наименование ОО", "Код ОО")
    flags = published["flags"]
    on_list = flags[(flags["exam_year"] == last_year) & flags["is_on_shnor_list"]]
    expected = set(on_list["school_id"])
    assert expected, "the demo region should have ШНОР in its last year"
    assert {row[3] for row in body} == expected
    details = list(workbook["Подробно"].iter_rows(min_row=6, values_only=True))
    full = details[0].index("Основания (полностью)")
    reasons = {row[3]: row[full] for row in details[1:]}
    for school_id, stable in zip(on_list["school_id"], on_list["is_stable_low"], strict=True):
        expected_start = "Низкие результаты два года подряд" if stable else "Остаётся в списке"
        assert expected_start in reasons[school_id]
    rows = list(workbook["Параметры методики"].iter_rows(min_row=7, values_only=True))
    parameters = {row[2]: row[1] for row in rows}  # code in the preset file → value
    assert parameters["flags.low_share"] == 0.1
    assert parameters["preset.name"] == "«reference»"


def test_stable_low_is_at_least_as_accurate_as_the_naive_ranking(demo_region, published):
    """The acceptance check of the foundation: F1 not worse than the pooled raw fail share."""
    year = max(demo_region.years)
    flags, results, truth = published["flags"], published["results"], published["truth"]
    naive = naive_stable_low(results, load_preset())
    table = stable_low_accuracy(flags, naive, truth, year).set_index("method")
    print("\n" + table.to_string())
    shnor, baseline = table.loc["shnor"], table.loc["naive_pooled_fail_share"]
    assert shnor["true"] >= 5, "too few true stable-low schools to judge"
    assert shnor["f1"] >= baseline["f1"]
    assert shnor["precision"] >= 0.5 and shnor["recall"] >= 0.4
    tiny = tiny_school_false_flags(flags, naive, truth, results, year)
    print(tiny)
    assert tiny["shnor"] <= tiny["naive_pooled_fail_share"]
