"""A national run of two tiny scale regions: national tables and workbook against the regions'
own marts, and a rerun after one region's corrected file rebuilds that region only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from national_slice import NATIONAL_SIZES

from shnor.history import history
from shnor.national import run_national

pytestmark = pytest.mark.slow

LAST = max(NATIONAL_SIZES["years"])


def from_school_marts(region: Path) -> pd.DataFrame:
    """Region × year figures counted here from the region's school marts (flags and schools),
    not from its municipality summary: what the national tables must agree with."""
    flags = pd.read_parquet(region / "marts" / "fct_school_flags.parquet")
    schools = pd.read_parquet(region / "marts" / "dim_schools.parquet")
    frame = flags.merge(schools[["school_id", "student_count"]], on="school_id", how="left")
    frame["students"] = frame["student_count"].fillna(0)
    frame["shnor_students"] = frame["students"].where(frame["is_on_shnor_list"], 0)
    previous = frame[["school_id", "exam_year", "is_on_shnor_list"]].assign(
        exam_year=lambda f: f["exam_year"] + 1
    )
    frame = frame.merge(
        previous.rename(columns={"is_on_shnor_list": "was_on_list"}),
        on=["school_id", "exam_year"], how="left",
    )  # fmt: skip
    frame["judged"] = frame["was_on_list"].fillna(False).astype(bool) & frame["is_rated"]
    frame["positive"] = frame["judged"] & frame["has_positive_dynamics"].fillna(False).astype(bool)
    return (
        frame.groupby("exam_year")
        .agg(
            school_count=("school_id", "size"),
            rated_count=("is_rated", "sum"),
            shnor_count=("is_on_shnor_list", "sum"),
            risk_group_count=("is_risk_group", "sum"),
            shnsu_count=("is_shnsu", "sum"),
            student_count=("students", "sum"),
            shnor_student_count=("shnor_students", "sum"),
            previous_shnor_rated_count=("judged", "sum"),
            positive_dynamics_count=("positive", "sum"),
        )
        .astype("int64")
    )


COUNTS = [
    "school_count", "rated_count", "shnor_count", "risk_group_count", "shnsu_count",
    "student_count", "shnor_student_count", "previous_shnor_rated_count",
    "positive_dynamics_count",
]  # fmt: skip


def test_national_tables_agree_with_the_regions_marts(national_run):
    root, result = national_run
    assert [run["status"] for run in result["regions"]] == ["published", "published"]
    assert result["exit_code"] == 0 and result["national"]["status"] == "published"
    by_year = pd.read_parquet(root / "national" / "nat_region_year.parquet")
    regions = sorted(p.name for p in root.iterdir() if (p / "raw").is_dir())
    assert regions == ["region_01", "region_02"]
    expected_all = []
    for code in regions:
        expected = from_school_marts(root / code)
        expected_all.append(expected)
        mine = by_year[by_year["region_code"] == code].set_index("exam_year")[COUNTS]
        assert sorted(mine.index) == list(NATIONAL_SIZES["years"])
        pd.testing.assert_frame_equal(
            mine.astype("int64"), expected[COUNTS], check_names=False, check_index_type=False
        )
    country = by_year[by_year["is_country"]].set_index("exam_year")
    total = sum(expected_all)
    pd.testing.assert_frame_equal(
        country[COUNTS].astype("int64"), total[COUNTS], check_names=False, check_index_type=False
    )
    assert (country["region_count"] == 2).all()
    # shares of the country come from its counts, not from averaging the regions' shares
    assert country["shnor_share"].tolist() == pytest.approx(
        (total["shnor_count"] / total["rated_count"]).tolist()
    )
    assert country["shnor_student_share"].tolist() == pytest.approx(
        (total["shnor_student_count"] / total["student_count"]).tolist()
    )
    assert country.loc[LAST, "shnor_count"] > 0  # the slice does have ШНОР to count
    assert country.loc[LAST, "previous_shnor_rated_count"] > 0

    # a region's shares are those its own summary shows
    own = pd.read_parquet(root / "region_01" / "marts" / "rpt_municipality_summary.parquet")
    own = own[own["is_region"]].set_index("exam_year")
    mine = by_year[by_year["region_code"] == "region_01"].set_index("exam_year")
    for share in ("shnor_share", "shnor_student_share", "risk_group_share", "shnsu_share"):
        assert mine[share].tolist() == pytest.approx(own[share].tolist())

    summary = pd.read_parquet(root / "national" / "nat_region_summary.parquet")
    assert summary["region_code"].tolist()[:2] == regions and summary["is_country"].tolist()[-1]
    keyed = by_year.assign(key=by_year["region_code"].fillna("*"))
    last = keyed[keyed["exam_year"] == LAST].set_index("key")
    before = keyed[keyed["exam_year"] == LAST - 1].set_index("key")
    for row in summary.itertuples():
        key = row.region_code if isinstance(row.region_code, str) else "*"
        assert row.shnor_count == last.loc[key, "shnor_count"]
        assert row.previous_shnor_count == before.loc[key, "shnor_count"]
        assert row.shnor_share_change == pytest.approx(
            last.loc[key, "shnor_share"] - before.loc[key, "shnor_share"]
        )


def test_national_workbook_shows_the_tables(national_run):
    root, _ = national_run
    workbook = openpyxl.load_workbook(
        root / "national" / "reports" / f"national_summary_{LAST}.xlsx"
    )
    assert workbook.sheetnames == [
        "Сводка", f"Регионы {LAST}", "Регион × год", "ШНОР по годам", "Витрины регионов",
        "Примечания",
    ]  # fmt: skip
    sheet = workbook[f"Регионы {LAST}"]
    assert sheet["A1"].value == f"Регионы — {LAST} год"
    header = [cell.value for cell in sheet[6]]
    assert header[:6] == ["Код папки", "Регион", "Школ", "Школ оценено", "ШНОР", "ШНОР, %"]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=7, values_only=True)}
    summary = pd.read_parquet(root / "national" / "nat_region_summary.parquet")
    country = summary[summary["is_country"]].iloc[0]
    assert rows["Все регионы"][4] == country["shnor_count"]
    assert rows["Все регионы"][5] == pytest.approx(country["shnor_share"])
    assert sheet.cell(7, 6).number_format == "0.0 %"


def test_a_rerun_after_one_regions_new_file_rebuilds_that_region_only(national_run, tmp_path):
    source, _ = national_run
    root = tmp_path / "nation"
    shutil.copytree(source, root, symlinks=True)
    before = {code: (root / code / "marts").resolve().name for code in ("region_01", "region_02")}
    national_before = (root / "national").resolve().name
    # region_02's ОГЭ file of the last year is corrected: its last 40 rows withdrawn
    corrected = root / "region_02" / "raw" / "oge" / str(LAST) / f"ОГЭ_{LAST}.csv"
    lines = corrected.read_text(encoding="utf-8").splitlines(keepends=True)
    corrected.write_text("".join(lines[:-40]), encoding="utf-8")

    result = run_national(root, "reference")

    unchanged, changed = result["regions"]
    assert unchanged["status"] == "unchanged" and not unchanged["flagged"]
    assert changed["status"] == "published" and changed["flagged"]
    assert changed["build_mode"] == "incremental"
    last_runs = {code: history(root / code)[-1] for code in ("region_01", "region_02")}
    assert last_runs["region_01"]["files"]["corrected"] == []
    assert "flag" not in last_runs["region_01"]["steps"]
    assert last_runs["region_02"]["files"]["corrected"] == [f"oge/{LAST}/ОГЭ_{LAST}.csv"]
    assert (root / "region_01" / "marts").resolve().name == before["region_01"]
    assert (root / "region_02" / "marts").resolve().name != before["region_02"]
    # the national outputs are made again, from the new version of region_02's marts
    assert result["national"]["status"] == "published"
    assert (root / "national").resolve().name != national_before
    manifest = json.loads((root / "national" / "national_manifest.json").read_text("utf-8"))
    assert {r["region_code"]: r["version"] for r in manifest["regions"]} == {
        "region_01": before["region_01"],
        "region_02": (root / "region_02" / "marts").resolve().name,
    }
    by_year = pd.read_parquet(root / "national" / "nat_region_year.parquet")
    mine = by_year[by_year["region_code"] == "region_02"].set_index("exam_year")[COUNTS]
    pd.testing.assert_frame_equal(
        mine.astype("int64"), from_school_marts(root / "region_02")[COUNTS],
        check_names=False, check_index_type=False,
    )  # fmt: skip

    again = run_national(root, "reference")
    assert [run["status"] for run in again["regions"]] == ["unchanged", "unchanged"]
    assert again["national"]["status"] == "unchanged"
    assert again["national"]["version"] == result["national"]["version"]


def test_a_region_that_fails_is_listed_and_the_others_are_summed(national_run, tmp_path):
    source, _ = national_run
    root = tmp_path / "nation"
    shutil.copytree(source, root, symlinks=True)
    (root / "region_03" / "raw").mkdir(parents=True)  # a region folder with no files yet

    result = run_national(root, "reference")

    assert [run["status"] for run in result["regions"]] == [
        "unchanged", "unchanged", "not_published",
    ]  # fmt: skip
    assert result["exit_code"] == 4
    regions = pd.read_parquet(root / "national" / "nat_regions.parquet").set_index("region_code")
    assert regions.loc["region_03", "status"] == "missing"
    assert "validation_report.html" in regions.loc["region_03", "reason"]
    summary = pd.read_parquet(root / "national" / "nat_region_summary.parquet")
    assert summary["region_code"].tolist()[:3] == ["region_01", "region_02", "region_03"]
    row = summary.set_index("region_code").loc["region_03"]
    assert pd.isna(row["shnor_count"]) and row["note"] == regions.loc["region_03", "reason"]
    country = summary[summary["is_country"]].iloc[0]
    assert country["region_count"] == 2


def test_each_regions_reports_are_written_after_its_marts(national_run, tmp_path):
    """The regions' lists and workbooks come after their marts, as a version of their own that
    reads as the run's (not «rebuilt»); reports a killed run left pending are written by the
    next run, which keeps the region's marts unchanged."""
    source, result = national_run
    assert [r["status"] for r in result["reports"]] == ["written", "written"]
    for code in ("region_01", "region_02"):
        manifest = json.loads((source / code / "marts" / "run_manifest.json").read_text("utf-8"))
        assert "reports_pending" not in manifest and "reports_rebuilt_at" not in manifest
        assert (source / code / "marts" / "reports" / f"school_list_{LAST}.xlsx").is_file()
    root = tmp_path / "nation"
    shutil.copytree(source, root, symlinks=True)
    marts = root / "region_01" / "marts"
    manifest = json.loads((marts / "run_manifest.json").read_text("utf-8"))
    (marts / "run_manifest.json").write_text(json.dumps(manifest | {"reports_pending": True}))
    (marts / "reports" / f"school_list_{LAST}.xlsx").unlink()

    again = run_national(root, "reference")

    assert [run["status"] for run in again["regions"]] == ["unchanged", "unchanged"]
    assert [r["status"] for r in again["reports"]] == ["written", "none_pending"]
    assert (marts / "reports" / f"school_list_{LAST}.xlsx").is_file()
    assert "reports_pending" not in json.loads((marts / "run_manifest.json").read_text("utf-8"))


def test_each_regions_record_says_where_its_cpu_went(national_run):
    _, result = national_run
    for run in result["regions"]:
        stages = run["step_cpu"]
        assert set(stages) == {"ingest", "build", "flag", "check", "publish"}, run["region_code"]
        assert all(seconds > 0 for seconds in stages.values()), stages
        # the steps are parts of the region's run, which also checks and locks around them
        assert sum(stages.values()) <= run["cpu_seconds"] + 0.01
        assert sum(stages.values()) > 0.8 * run["cpu_seconds"]
        assert history(run["data_dir"])[-1]["step_cpu"] == stages
    assert all(record["cpu_seconds"] > 0 for record in result["reports"])
