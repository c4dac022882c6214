"""docs/data-contract.md on a corpus of bad files beside a tiny good region, run through the CLI:
each bad file is quarantined (not loaded, untouched on disk) or loaded with a warning, named in
the validation report (XLSX and HTML), the good files load, the marts publish, no traceback."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from bad_inputs import CORPUS, GOOD_FILES, tiny_region, write
from typer.testing import CliRunner

from shnor.cli import app
from shnor.reports.build import municipality_slug

runner = CliRunner()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def report_rows(data_dir: Path) -> list[dict]:
    workbook = openpyxl.load_workbook(data_dir / "validation" / "validation_report.xlsx")
    sheet = workbook["Проблемы"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def shnor_run(data_dir: Path):
    outcome = runner.invoke(app, ["run", "--data-dir", str(data_dir), "--no-prefect"])
    assert "Traceback" not in outcome.output
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
    return outcome


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("corpus")
    raw = data_dir / "raw"
    tiny_region(raw)
    for case in CORPUS:
        case.make(raw, case.path)
    before = {case.path: digest(raw / case.path) for case in CORPUS}
    outcome = shnor_run(data_dir)
    with duckdb.connect(str(data_dir / "shnor.duckdb"), read_only=True) as con:
        status = dict(con.execute("SELECT source_file, status FROM raw._files").fetchall())
        rows = dict(con.execute("SELECT source_file, row_count FROM raw._files").fetchall())
        in_raw = {
            f
            for (f,) in con.execute(
                "SELECT DISTINCT _source_file FROM raw.vpr_participants UNION "
                "SELECT DISTINCT _source_file FROM raw.exam_participants UNION "
                "SELECT DISTINCT _source_file FROM raw.context"
            ).fetchall()
        }
    return data_dir, outcome, status, rows, in_raw, before


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 20
    assert len({case.path for case in CORPUS}) == len(CORPUS)


def test_run_publishes_with_quarantined_files_exit_3(corpus_run):
    data_dir, outcome, *_ = corpus_run
    assert outcome.exit_code == 3, outcome.output
    assert (data_dir / "marts" / "fct_school_flags.parquet").is_file()
    manifest = json.loads((data_dir / "marts" / "run_manifest.json").read_text("utf-8"))
    quarantined = {q["file"] for q in manifest["validation"]["quarantined"]}
    assert quarantined == {c.path for c in CORPUS if c.outcome == "quarantined"}
    assert manifest["validation_report"]["published"] == "reports/validation_report.xlsx"
    assert (data_dir / "marts" / "reports" / "validation_report.xlsx").is_file()
    assert (data_dir / "marts" / "reports" / "validation_report.html").is_file()


def test_the_good_files_load(corpus_run):
    _, _, status, rows, in_raw, _ = corpus_run
    for source in GOOD_FILES:
        assert status[source] == "loaded", source
        assert rows[source] > 0
    assert {s for s in GOOD_FILES if not s.startswith("schools/")} <= in_raw


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_each_bad_input_gets_its_outcome_and_is_named_in_the_report(corpus_run, case):
    data_dir, outcome, status, rows, in_raw, before = corpus_run
    assert status[case.path] == case.outcome
    assert digest(data_dir / "raw" / case.path) == before[case.path], "the file was changed"
    if case.outcome == "quarantined":
        assert case.path not in in_raw
        assert rows[case.path] == 0
        # The console names the first eight quarantined files and counts the rest.
        console = "".join(outcome.output.split())
        manifest = json.loads((data_dir / "marts" / "run_manifest.json").read_text("utf-8"))
        listed = [q["file"] for q in manifest["validation"]["quarantined"]]
        if listed.index(case.path) < 8:
            assert case.path.replace(" ", "") in console, outcome.output
        else:
            assert f"…иещё{len(listed) - 8}" in console, outcome.output
    else:
        assert case.path in in_raw or case.rule == "no_data_rows"
    named = [r for r in report_rows(data_dir) if r["Файл"] == case.path]
    if not case.rule:  # odd but readable: loaded with no blocking problem
        assert not [r for r in named if r["Важность"] == "блокирующая"], named
        return
    matching = [r for r in named if r["Код правила"] == case.rule]
    assert matching, (case.path, named)
    expected = case.severity or (
        "блокирующая" if case.outcome == "quarantined" else "предупреждение"
    )
    assert {r["Важность"] for r in matching} == {expected}
    assert all(r["Описание"] and r["Что сделать"] for r in matching)
    html = (data_dir / "validation" / "validation_report.html").read_text("utf-8")
    assert case.rule in html


def test_output_names_are_shnor_s_own_never_from_inputs(corpus_run):
    data_dir = corpus_run[0]
    assert sorted(p.name for p in (data_dir / "validation").iterdir()) == [
        "last_run.json",
        "validation_report.html",
        "validation_report.xlsx",
    ]
    reports = sorted(p.name for p in (data_dir / "marts" / "reports").iterdir())
    own = [n for n in reports if not n.startswith("municipality_")]
    assert own == [
        "appendix_2025.html",
        "appendix_2025.xlsx",
        "appendix_2026.html",
        "appendix_2026.xlsx",
        "cards",
        "school_list_2025.xlsx",
        "school_list_2026.xlsx",
        "validation_report.html",
        "validation_report.xlsx",
        "year_over_year_2025_2026.html",
        "year_over_year_2025_2026.xlsx",
    ]
    # A school's card is named by its code only when the code is plain letters and digits,
    # else by a hash of it (reports.cards.card_file); this corpus may list no school at all.
    cards = [p.name for p in (data_dir / "marts" / "reports" / "cards").iterdir()]
    assert all(re.fullmatch(r"[a-z0-9_-]{1,64}\.html|school-[0-9a-f]{12}\.html", n) for n in cards)
    # A municipality's page is named by shnor's slug of it: [a-z0-9-] and a hash, never the
    # input text itself (which may hold «/», «..» or anything else).
    # Schools of no municipality (the corpus has one the registry does not know) have theirs.
    names = pd.read_parquet(data_dir / "marts" / "dim_schools.parquet")["municipality_name"]
    assert names.isna().any()
    expected = {
        f"municipality_2026_{municipality_slug(name)}.{kind}"
        for name in [*names.dropna().unique(), "не указан"]
        for kind in ("html", "xlsx")
    }
    municipal = {n for n in reports if n.startswith("municipality_")}
    assert municipal and municipal <= expected
    assert all(re.fullmatch(r"municipality_2026_[a-z0-9-]+-[0-9a-f]{6}\.(html|xlsx)", n)
               for n in municipal)  # fmt: skip


def test_report_names_the_cell_of_a_bad_mark(corpus_run):
    data_dir = corpus_run[0]
    (row,) = [r for r in report_rows(data_dir) if r["Файл"] == "vpr/2026/mark7.csv"]
    assert (row["Строка"], row["Столбец"], row["Значение"]) == (2, "Отметка", "7")
    (copy,) = [r for r in report_rows(data_dir) if r["Файл"] == "vpr/2026/results_copy.csv"]
    assert copy["Значение"] == "vpr/2026/results.csv"


def test_formula_looking_text_stays_text_in_the_report(corpus_run):
    data_dir = corpus_run[0]
    sheet = openpyxl.load_workbook(data_dir / "validation" / "validation_report.xlsx")["Проблемы"]
    cells = [c for row in sheet.iter_rows() for c in row if "SUM(A1" in str(c.value or "")]
    assert cells
    assert all(c.data_type == "s" and c.value == "'=SUM(A1:A9)" for c in cells)
    html = (data_dir / "validation" / "validation_report.html").read_text("utf-8")
    assert "=HYPERLINK(x).csv" in html and "<script" not in html


def test_copies_and_conflicts_are_not_double_counted(corpus_run):
    data_dir = corpus_run[0]
    with duckdb.connect(str(data_dir / "shnor.duckdb"), read_only=True) as con:
        (count,) = con.execute(
            "SELECT participant_count FROM marts.fct_school_procedure_results "
            "WHERE school_id = 's01' AND exam_year = 2026 AND exam = 'vpr' AND grade = 5 "
            "AND subject = 'math'"
        ).fetchall()[0]
    assert count == 15


def test_mart_warnings_reach_the_report(corpus_run):
    rules = {r["Код правила"] for r in report_rows(corpus_run[0])}
    assert "participants_above_enrolment" in rules  # s04: 5 pupils in the registry, 15 sat


def test_a_rerun_quarantines_the_same_files_and_changes_nothing(corpus_run):
    data_dir, _, status, *_ = corpus_run
    published = {p.name: digest(p) for p in (data_dir / "marts").rglob("*") if p.is_file()}
    again = shnor_run(data_dir)
    assert again.exit_code == 3
    with duckdb.connect(str(data_dir / "shnor.duckdb"), read_only=True) as con:
        assert dict(con.execute("SELECT source_file, status FROM raw._files").fetchall()) == status
    assert {p.name: digest(p) for p in (data_dir / "marts").rglob("*") if p.is_file()} == published


def test_a_correction_supersedes_the_old_rows_and_the_run_says_so(tmp_path):
    raw = tmp_path / "raw"
    tiny_region(raw)
    assert shnor_run(tmp_path).exit_code == 0
    text = (raw / "vpr/2026/results.csv").read_text("utf-8").splitlines()
    write(raw, "vpr/2026/results.csv", "\n".join(text[:-5]) + "\n")  # five rows fewer
    outcome = shnor_run(tmp_path)
    assert outcome.exit_code == 0
    said = " ".join(outcome.output.split())
    assert "Исправлен файл vpr/2026/results.csv" in said
    manifest = json.loads((tmp_path / "marts" / "run_manifest.json").read_text("utf-8"))
    assert manifest["validation"]["superseded"] == {
        "vpr/2026/results.csv": {"rows_before": 60, "rows_after": 55}
    }
    notes = [r for r in report_rows(tmp_path) if r["Код правила"] == "file_corrected"]
    assert [n["Файл"] for n in notes] == ["vpr/2026/results.csv"]
    with duckdb.connect(str(tmp_path / "shnor.duckdb"), read_only=True) as con:
        assert (
            con.execute(
                "SELECT count(*) FROM raw.vpr_participants "
                "WHERE _source_file = 'vpr/2026/results.csv'"
            ).fetchall()[0][0]
            == 55
        )


def test_no_usable_input_publishes_nothing_exit_4(tmp_path):
    raw = tmp_path / "raw"
    write(raw, "vpr/2026/broken.csv", b"")
    outcome = shnor_run(tmp_path)
    assert outcome.exit_code == 4, outcome.output
    assert not (tmp_path / "marts").exists()
    assert (tmp_path / "validation" / "validation_report.xlsx").is_file()
    assert [r["Файл"] for r in report_rows(tmp_path)] == ["vpr/2026/broken.csv"]
