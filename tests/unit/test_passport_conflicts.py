"""Two social-passport files giving a school-year different values (issue 18): neither counts
for it, whatever the files' names or the order they arrived in, until an analyst names the
authoritative file in reference/authoritative_files.csv; the same values count once; the files'
other schools load; run after run equals a cold build."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import build_models

from shnor import warehouse
from shnor.ingest.raw_load import ingest_raw
from shnor.ingest.raw_tables import ensure_raw_tables

HEADER = "Код ОО;Доля малообеспеченных семей;Доля неполных семей;Численность обучающихся\n"
ORIGINAL = ["s1;12;20;400", "s2;5;10;300", "s3;7;15;250"]
RESENT = ["s1;18;25;410", "s2;5;10;300", "s4;9;11;200"]


def _place(raw: Path, name: str, rows: list[str]) -> None:
    path = raw / "context" / "2025" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")


def _facts(con) -> dict[str, list]:
    return {
        "components": con.execute(
            "SELECT school_id, exam_year, component, share, scale "
            "FROM staging.stg_context__components ORDER BY ALL"
        ).fetchall(),
        "schools": con.execute(
            "SELECT school_id, exam_year, student_count FROM staging.stg_context__schools "
            "ORDER BY ALL"
        ).fetchall(),
    }


def _run(con, raw: Path, steps: list[dict[str, list[str]]]) -> dict[str, list]:
    for files in steps:
        for name, rows in files.items():
            _place(raw, name, rows)
        ingest_raw(con, raw)
        build_models(con)
    return _facts(con)


@pytest.mark.parametrize("order", ["original first", "resent first"])
def test_neither_file_counts_for_a_conflicting_school_year_whatever_the_names(tmp_path, con, order):
    names = ("a.csv", "b.csv") if order == "original first" else ("b.csv", "a.csv")
    found = _run(con, tmp_path / "raw", [dict(zip(names, (ORIGINAL, RESENT), strict=True))])
    assert con.execute("SELECT count(*) FROM raw._files WHERE status <> 'loaded'").fetchone() == (
        0,
    )
    pupils = {school: n for school, _, n in found["schools"]}
    assert pupils == {"s2": 300, "s3": 250, "s4": 200}
    assert {row[0] for row in found["components"]} == {"s2", "s3", "s4"}
    assert sum(1 for row in found["components"] if row[0] == "s2") == 2  # given twice: once
    conflicts = con.execute(
        "SELECT source_file, severity, value, message FROM ops.problems "
        "WHERE rule = 'passport_conflict' ORDER BY ALL"
    ).fetchall()
    assert [(c[0], c[2]) for c in conflicts] == [
        ("context/2025/a.csv", "context/2025/b.csv"),
        ("context/2025/b.csv", "context/2025/a.csv"),
    ]
    assert all(c[1] == "blocking" and "ни из одного файла" in c[3] for c in conflicts)


def test_names_swapped_run_after_run_and_cold_give_the_same_context(tmp_path):
    results = {}
    for case, steps in {
        "cold a=original": [{"a.csv": ORIGINAL, "b.csv": RESENT}],
        "cold a=resent": [{"a.csv": RESENT, "b.csv": ORIGINAL}],
        "original, then resent": [{"a.csv": ORIGINAL}, {"b.csv": RESENT}],
        "resent, then original": [{"b.csv": RESENT}, {"a.csv": ORIGINAL}],
    }.items():
        with warehouse.connect(":memory:") as con:
            warehouse.prepare_connection(con, None)
            ensure_raw_tables(con)
            folder = tmp_path / case.replace(" ", "_").replace(",", "").replace("=", "_")
            results[case] = _run(con, folder / "raw", steps)
    first = next(iter(results.values()))
    assert first["components"] and first["schools"]
    for case, found in results.items():
        assert found == first, case


def test_the_analyst_names_the_authoritative_file(tmp_path, con):
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "authoritative_files.csv").write_text(
        "source_file,exam_year,municipality_name,reviewed_by,note\n"
        "context/2025/b.csv,2025,,Иванова И. И.,уточнённый паспорт\n",
        encoding="utf-8",
    )
    warehouse.load_reference_tables(con, reference)
    found = _run(con, tmp_path / "raw", [{"a.csv": ORIGINAL, "b.csv": RESENT}])
    assert {school: n for school, _, n in found["schools"]}["s1"] == 410
    assert con.execute(
        "SELECT count(*) FROM ops.problems WHERE rule = 'passport_conflict'"
    ).fetchone() == (0,)
