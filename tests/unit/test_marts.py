"""shnor.marts: the notebooks' read-only view of the published Parquet marts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from shnor import marts, warehouse
from shnor.flags import FLAG_COLUMNS
from shnor.presets import load_preset
from shnor.stages.build import sql_parameters


def write_marts(data_dir: Path) -> Path:
    """Three small marts and a manifest, as `shnor run` publishes them (fewer columns)."""
    folder = data_dir / "marts"
    (folder / ".publishing-1234abcd").mkdir(parents=True)  # a publish in progress
    pd.DataFrame(
        {
            "school_id": ["s1", "s2", "s3"],
            "school_name": ["Школа № 1", "Школа № 2", "Сельская ООШ"],
            "municipality_name": ["Город", "Город", "Район"],
            "settlement_type": ["urban", "urban", "rural"],
            "school_level": ["secondary", "primary", "basic"],
        }
    ).to_parquet(folder / "dim_schools.parquet")
    flags = pd.DataFrame(
        {
            "school_id": ["s1", "s2", "s3"] * 2,
            "exam_year": [2025] * 3 + [2026] * 3,
            "is_rated": [True, True, False, True, True, True],
            "composite_score": [1.5, -0.2, None, 1.8, 0.1, 0.9],
            "composite_lower": [1.1, -0.5, None, 1.4, -0.2, 0.4],
            "composite_upper": [1.9, 0.1, None, 2.2, 0.4, 1.4],
            "is_low_result": [True, False, False, True, False, False],
            "is_stable_low": [False, False, False, True, False, False],
            "is_stable_low_confirmed": [False, False, False, True, False, False],
            "is_on_shnor_list": [False, False, False, True, False, False],
            "is_risk_group": [True, False, False, False, False, True],
            "is_stable_high": [False] * 6,
            "is_shnsu": [False, False, True, True, False, True],
            "reason_text": ["Впервые…", "", None, "Низкие результаты два года подряд…", "", "…"],
            "preset": ["reference@2026.1"] * 6,
        }
    )
    flags.to_parquet(folder / "fct_school_flags.parquet")
    _write_school_list(flags, folder)
    pd.DataFrame(
        {
            "school_id": ["s1", "s1", "s2"],
            "exam_year": [2025, 2026, 2026],
            "exam": ["vpr", "vpr", "oge"],
            "grade": [5, 5, 9],
            "subject": ["math", "math", "russian"],
            "participant_count": [20, 22, 30],
            "fail_count": [8, 9, 1],
        }
    ).to_parquet(folder / "fct_school_procedure_results.parquet")
    (folder / "run_manifest.json").write_text(
        json.dumps({"preset": "reference", "preset_version": "2026.1"}), encoding="utf-8"
    )
    return data_dir


def _write_school_list(flags: pd.DataFrame, folder: Path) -> None:
    """rpt_school_list as a run publishes it: the real report SQL over these flags and schools."""
    full = flags.reindex(columns=list(FLAG_COLUMNS))
    for column in FLAG_COLUMNS:
        if column.startswith(("is_", "has_")) and column not in flags:
            full[column] = False
    with warehouse.connect(":memory:") as con:
        warehouse.replace_table(con, "marts.fct_school_flags", full)
        warehouse.replace_table(
            con, "marts.dim_schools", pd.read_parquet(folder / "dim_schools.parquet")
        )
        warehouse.run_models(con, sql_parameters(load_preset()), ("reports",))
        con.table("reports.rpt_school_list").write_parquet(str(folder / "rpt_school_list.parquet"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_marts(tmp_path / "data")


def test_available_lists_the_published_marts_only(data_dir):
    assert marts.available(data_dir) == [
        "dim_schools",
        "fct_school_flags",
        "fct_school_procedure_results",
        "rpt_school_list",
    ]


def test_read_without_year_returns_every_row(data_dir):
    frame = marts.read("fct_school_flags", data_dir=data_dir)
    assert len(frame) == 6
    assert sorted(frame["exam_year"].unique()) == [2025, 2026]


def test_read_with_year_returns_that_year_only(data_dir):
    frame = marts.read("fct_school_flags", year=2026, data_dir=data_dir)
    assert list(frame["school_id"]) == ["s1", "s2", "s3"]
    assert set(frame["exam_year"]) == {2026}
    assert list(frame.index) == [0, 1, 2]


def test_read_filters_by_year_on_a_column_not_selected(data_dir):
    frame = marts.read(
        "fct_school_procedure_results.parquet",
        year=2025,
        columns=["school_id", "fail_count"],
        data_dir=data_dir,
    )
    assert frame.to_dict("records") == [{"school_id": "s1", "fail_count": 8}]


def test_a_year_without_rows_is_an_empty_frame(data_dir):
    assert marts.read("fct_school_flags", year=2019, data_dir=data_dir).empty


def test_data_dir_comes_from_the_environment(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("SHNOR_DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)
    assert len(marts.read("dim_schools")) == 3
    assert marts.latest_year() == 2026


def test_unknown_mart_lists_the_available_ones(data_dir):
    with pytest.raises(marts.UnknownMartError) as error:
        marts.read("fct_school_flag", data_dir=data_dir)
    message = str(error.value)
    assert "fct_school_flag" in message
    assert "dim_schools, fct_school_flags, fct_school_procedure_results, rpt_school_list" in message


def test_unknown_columns_are_named(data_dir):
    with pytest.raises(KeyError, match="no_such_column"):
        marts.read("dim_schools", columns=["school_id", "no_such_column"], data_dir=data_dir)


def test_a_year_filter_needs_an_exam_year_column(data_dir):
    with pytest.raises(ValueError, match="exam_year"):
        marts.read("dim_schools", year=2026, data_dir=data_dir)


@pytest.mark.parametrize(
    "call",
    [
        lambda d: marts.read("fct_school_flags", data_dir=d),
        lambda d: marts.available(d),
        lambda d: marts.manifest(d),
        lambda d: marts.school_list(2026, data_dir=d),
    ],
    ids=["read", "available", "manifest", "school_list"],
)
def test_missing_marts_say_to_run_shnor(tmp_path, call):
    with pytest.raises(marts.MartsNotFoundError) as error:
        call(tmp_path / "empty")
    message = str(error.value)
    assert "Витрины не найдены" in message
    assert "No marts found" in message
    assert f"shnor run --data-dir {(tmp_path / 'empty').resolve()}" in message
    assert isinstance(error.value, FileNotFoundError)


def test_years_and_latest_year(data_dir):
    assert marts.years(data_dir=data_dir) == [2025, 2026]
    assert marts.latest_year(data_dir) == 2026


def test_school_list_reads_the_published_list_in_russian(data_dir):
    listing = marts.school_list(2026, data_dir=data_dir)
    published = pd.read_parquet(data_dir / "marts" / "rpt_school_list.parquet")
    assert list(listing.columns) == list(published.columns)
    rows = listing.set_index("school_id")
    assert rows.loc["s1", "school_name"] == "Школа № 1"
    assert rows.loc["s3", "municipality_name"] == "Район"
    assert rows.loc["s3", "settlement_type"] == "село"
    assert rows.loc["s2", "school_level"] == "НОШ"
    assert (
        rows.loc["s1", "status"]
        == "ШНОР: низкие результаты два года подряд, статистически подтверждено"
    )
    assert rows.loc["s1", "quadrant"] == "ШНОР в сложных условиях: приоритетная поддержка"
    assert rows.loc["s3", "status"] == "группа риска"
    assert rows.loc["s2", "status"] == "без особых отметок"
    # Values the run did not compute stay empty.
    assert rows["stable_low_probability"].isna().all()
    # By municipality, ШНОР first, then the worst composite.
    assert list(listing["school_id"]) == ["s1", "s2", "s3"]


def test_school_list_of_one_municipality_and_the_latest_year(data_dir):
    listing = marts.school_list(None, "Город", data_dir=data_dir)
    assert set(listing["exam_year"]) == {2026}
    assert list(listing["school_id"]) == ["s1", "s2"]
    earlier = marts.school_list(2025, data_dir=data_dir).set_index("school_id")
    assert earlier.loc["s3", "status"] == "не оценивается"
    assert pd.isna(earlier.loc["s3", "quadrant"])


def test_school_list_names_the_known_municipalities(data_dir):
    with pytest.raises(ValueError, match="Город, Район"):
        marts.school_list(2026, "Нет такого", data_dir=data_dir)


def test_school_list_of_a_year_without_data(data_dir):
    with pytest.raises(ValueError, match="2019"):
        marts.school_list(2019, data_dir=data_dir)


def test_manifest(data_dir):
    assert marts.manifest(data_dir) == {"preset": "reference", "preset_version": "2026.1"}


def test_a_column_of_nothing_but_none_is_stored_as_text_not_untyped():
    # e.g. not_rated_reason when every school is rated: readers of the Parquet need a type
    import duckdb

    con = duckdb.connect()
    frame = pd.DataFrame({"reason": [None, None], "share": [0.5, None]})
    assert warehouse.replace_table(con, "t", frame) == 2
    types = {name: kind for name, kind, *_ in con.execute("DESCRIBE t").fetchall()}
    assert types == {"reason": "VARCHAR", "share": "DOUBLE"}
