"""The `shnor` command (docs/operations.md): help, refusals with exit code 2 and what to do, and
a demo region of 20 schools generated and run without Prefect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shnor.cli import app

runner = CliRunner()


def flat(text: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _no_environment_paths(monkeypatch):
    monkeypatch.delenv("SHNOR_DB", raising=False)
    monkeypatch.delenv("SHNOR_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def small_region(tmp_path_factory) -> tuple[Path, object]:
    """`shnor demo` on 20 schools × 2 years, once for the module."""
    data_dir = tmp_path_factory.mktemp("cli") / "D"
    outcome = runner.invoke(
        app, ["demo", "--data-dir", str(data_dir), "--schools", "20", "--years", "2"]
    )
    return data_dir, outcome


def test_help_lists_the_commands():
    outcome = runner.invoke(app, ["--help"])
    assert outcome.exit_code == 0
    listed = [line.strip("│ ").split(" ")[0] for line in outcome.output.splitlines()]
    assert "demo" in listed
    assert "run" in listed
    assert "ШНОР" in flat(outcome.output)


def test_run_without_raw_data_exits_2_and_says_what_to_do(tmp_path):
    outcome = runner.invoke(app, ["run", "--data-dir", str(tmp_path), "--no-prefect"])
    assert outcome.exit_code == 2
    text = flat(outcome.output)
    assert "shnor demo" in text
    assert "docs/data-contract.md" in text
    assert not (tmp_path / "shnor.duckdb").exists()
    assert not (tmp_path / "marts").exists()


def test_run_with_an_unknown_preset_exits_2_naming_the_shipped_ones(tmp_path):
    (tmp_path / "raw").mkdir()
    outcome = runner.invoke(
        app, ["run", "--data-dir", str(tmp_path), "--preset", "nonexistent", "--no-prefect"]
    )
    assert outcome.exit_code == 2
    text = flat(outcome.output)
    assert "nonexistent" in text
    assert "reference" in text
    assert "urban_rural" in text
    assert not (tmp_path / "shnor.duckdb").exists()


def test_demo_writes_raw_files_and_the_truth(small_region):
    data_dir, outcome = small_region
    assert outcome.exit_code == 0, outcome.output
    assert (data_dir / "raw").is_dir()
    assert (data_dir / "demo_truth.parquet").is_file()
    for folder in ("schools", "context", "vpr", "oge", "ege"):
        assert (data_dir / "raw" / folder).is_dir(), folder
    assert sorted(p.name for p in (data_dir / "raw" / "vpr").iterdir()) == ["2025", "2026"]
    text = flat(outcome.output)
    assert "20 школ" in text
    assert "2025, 2026" in text


def test_demo_refuses_to_overwrite(small_region):
    data_dir, _ = small_region
    truth = data_dir / "demo_truth.parquet"
    before = truth.stat().st_mtime_ns
    outcome = runner.invoke(
        app, ["demo", "--data-dir", str(data_dir), "--schools", "20", "--years", "2"]
    )
    assert outcome.exit_code == 2
    assert "raw" in flat(outcome.output)
    assert truth.stat().st_mtime_ns == before


def test_run_on_the_small_region_publishes_and_prints_the_summary(small_region):
    data_dir, _ = small_region
    outcome = runner.invoke(app, ["run", "--data-dir", str(data_dir), "--no-prefect"])
    assert outcome.exit_code == 0, outcome.output
    text = flat(outcome.output)
    assert "ШНОР" in text
    assert "Итоги 2026 года" in text
    assert (data_dir / "marts" / "fct_school_flags.parquet").is_file()
    assert (data_dir / "marts" / "reports" / "school_list_2026.xlsx").is_file()
    assert (data_dir / "marts" / "run_manifest.json").is_file()


def test_report_regenerates_the_reports_from_published_marts(small_region):
    data_dir, _ = small_region
    if not (data_dir / "marts" / "run_manifest.json").is_file():
        assert (
            runner.invoke(app, ["run", "--data-dir", str(data_dir), "--no-prefect"]).exit_code == 0
        )
    reports = data_dir / "marts" / "reports"
    published = (data_dir / "marts").resolve()
    before = {p.name: p.read_bytes() for p in published.rglob("*") if p.is_file()}
    outcome = runner.invoke(app, ["report", "--data-dir", str(data_dir), "--year", "2026"])
    assert outcome.exit_code == 0, outcome.output
    # A new version with the rebuilt reports is swapped in; the one a reader had is untouched.
    assert (data_dir / "marts").resolve() != published
    assert {p.name: p.read_bytes() for p in published.rglob("*") if p.is_file()} == before
    new = (data_dir / "marts").resolve()
    assert (new / "fct_school_flags.parquet").read_bytes() == before["fct_school_flags.parquet"]
    assert (reports / "school_list_2026.xlsx").read_bytes() != before["school_list_2026.xlsx"]
    manifest = json.loads((new / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == new.name and manifest["reports_rebuilt_at"]
    names = {p.name for p in reports.iterdir()}
    assert {
        "school_list_2026.xlsx",
        "year_over_year_2025_2026.xlsx",
        "year_over_year_2025_2026.html",
    } <= names
    assert any(n.startswith("municipality_2026_") and n.endswith(".html") for n in names)
    assert not any(n.startswith(".") for n in names)  # no scratch folder left behind
    assert "year_over_year_2025_2026.html" in "".join(outcome.output.split())  # rich wraps paths


def test_report_for_a_year_without_data_exits_2(small_region, tmp_path):
    data_dir, _ = small_region
    if not (data_dir / "marts" / "run_manifest.json").is_file():
        assert (
            runner.invoke(app, ["run", "--data-dir", str(data_dir), "--no-prefect"]).exit_code == 0
        )
    outcome = runner.invoke(app, ["report", "--data-dir", str(data_dir), "--year", "1999"])
    assert outcome.exit_code == 2
    assert "Нет данных за 1999 год" in flat(outcome.output)
    nothing = runner.invoke(app, ["report", "--data-dir", str(tmp_path)])
    assert nothing.exit_code == 2
    assert "shnor run" in flat(nothing.output)


def test_run_help_documents_the_exit_codes():
    outcome = runner.invoke(app, ["run", "--help"])
    assert outcome.exit_code == 0
    text = flat(outcome.output)
    assert "Коды выхода" in text
    for code, meaning in [("0", "опубликовано"), ("3", "опубликовано, но есть файлы в карантине"),
                          ("4", "ничего не опубликовано"), ("2", "неверные аргументы"),
                          ("1", "непредвиденная ошибка")]:  # fmt: skip
        assert f"{code} — {meaning}" in text, code
    assert "validation_report" in text
