"""Stage 5, publish: the validation report every run; when the input is usable and the marts
pass their blocking checks, marts, lists and the run manifest as one version."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from shnor import __version__, warehouse
from shnor.config import Paths, paths_of
from shnor.presets import Preset, load_preset
from shnor.problems import PROBLEM_COLUMNS, PROBLEMS_TABLE, Problem
from shnor.progress import report
from shnor.publish import publish, published_manifest
from shnor.quality.problem_sources import with_sources
from shnor.quality.report import write_validation_report
from shnor.stages.check import built_inputs, check_step, marts_fingerprint

# `shnor run` exit codes (docs/operations.md; cli.run maps a run's status to one of these).
EXIT_PUBLISHED = 0

EXIT_UNEXPECTED_ERROR = 1

EXIT_BAD_ARGUMENTS = 2

EXIT_PUBLISHED_WITH_QUARANTINE = 3

EXIT_NOTHING_PUBLISHED = 4


def publish_step(
    data_dir: str | Path | None,
    preset: str | Preset,
    facts: dict[str, Any],
    checked: dict[str, Any] | None = None,
    year: int | None = None,
    reports: bool = True,
) -> dict[str, Any]:
    """Write the validation report (every run) and, when the input is usable and the marts
    pass their blocking checks, publish marts, lists and the run manifest as one version.
    `checked` is check_step's result (run here when not given); no build (facts without
    row counts) means no usable input: nothing is published. The summary is of `year`
    (default: the latest). Without `reports`, the lists and workbooks are left for later
    (`publish.publish`)."""
    paths, chosen = paths_of(data_dir), load_preset(preset)
    started = time.perf_counter()
    built = bool(facts.get("row_counts"))
    if built and checked is None:
        checked = check_step(data_dir)
    mart_problems = [Problem(**p) for p in (checked or {}).get("problems", [])]
    blocked = any(p.severity == "blocking" for p in mart_problems)
    with warehouse.connect(paths.warehouse) as con:
        report("publish", "витрины и отчёты")
        inputs = built_inputs(con)
        finished_at = dt.datetime.now().isoformat(timespec="seconds")
        fingerprint = marts_fingerprint(con, chosen, paths, inputs)
        current = published_manifest(paths) or {}
        status = (
            "not_published"
            if blocked or not built
            else "unchanged"
            if current.get("content_fingerprint") == fingerprint
            else "published"
        )
        validation = validation_summary(con, mart_problems, facts)
        problems = with_sources(con, all_problems(con, mart_problems, facts))
        report_paths = write_validation_report(
            problems, report_facts(status, finished_at, validation, facts), paths.validation
        )
        published = None
        if status != "not_published":
            seconds = facts.get("seconds", {}) | {"check": (checked or {}).get("seconds")}
            manifest = facts | {
                "seconds": seconds,
                "shnor_version": __version__,
                "preset": chosen.name,
                "preset_version": chosen.version,
                "preset_source": chosen.source,
                "finished_at": finished_at,
                "content_fingerprint": fingerprint,
                "validation": validation,
                "validation_report": {
                    "published": "reports/validation_report.xlsx",
                    "latest_run": "../validation/validation_report.xlsx",
                },
                "inputs": inputs,
            }
            published = publish(con, paths, chosen, manifest, tuple(report_paths.values()), reports)
            status = "unchanged" if published.unchanged else "published"
        summary = run_summary(con, year)
    outcome = summary | {
        "status": status,
        "version": published.version if published else None,
        "marts": [str(p) for p in published.marts] if published else [],
        "reports": [str(p) for p in published.reports] if published else [],
        "manifest": str(published.manifest) if published else None,
        "validation_report": {kind: str(path) for kind, path in report_paths.items()},
        "validation": validation,
        "warning_count": sum(validation["warnings_by_rule"].values()),
        "exit_code": exit_code(status, summary["quarantined_file_count"]),
        "seconds": round(time.perf_counter() - started, 3),
    }
    write_last_run(paths, outcome | {"started_at": facts.get("started_at"),
                                     "finished_at": finished_at})  # fmt: skip
    return outcome


def exit_code(status: str, quarantined_file_count: int) -> int:
    """The documented exit code of a run with this outcome."""
    if status == "not_published":
        return EXIT_NOTHING_PUBLISHED
    return EXIT_PUBLISHED_WITH_QUARANTINE if quarantined_file_count else EXIT_PUBLISHED


def validation_summary(
    con: Any, mart_problems: list[Problem], facts: dict[str, Any]
) -> dict[str, Any]:
    """Counts and the quarantined files with their rules, for the manifest and the console."""
    quarantined = con.execute(
        """SELECT f.source_file, coalesce(string_agg(DISTINCT p.rule, ', ' ORDER BY p.rule), '')
           FROM raw._files AS f
           LEFT JOIN ops.problems AS p
             ON p.source_file = f.source_file AND p.severity = 'blocking'
           WHERE f.status = 'quarantined' GROUP BY f.source_file ORDER BY f.source_file"""
    ).fetchall()
    warnings = con.execute(
        "SELECT rule, count(*) FROM ops.problems WHERE severity = 'warning' "
        "GROUP BY rule ORDER BY count(*) DESC, rule"
    ).fetchall()
    mart_warnings: dict[str, int] = {}
    for p in mart_problems:
        if p.severity == "warning":
            mart_warnings[p.rule] = mart_warnings.get(p.rule, 0) + 1
    return {
        "quarantined": [{"file": f, "rules": r} for f, r in quarantined],
        "warnings_by_rule": dict(warnings) | mart_warnings,
        "mart_blocking": sorted({p.rule for p in mart_problems if p.severity == "blocking"}),
        "superseded": facts.get("ingest", {}).get("superseded", {}),
    }


def all_problems(con: Any, mart_problems: list[Problem], facts: dict[str, Any]) -> pd.DataFrame:
    """ops.problems (the state of every input), the mart checks of this run, and a note per
    corrected file whose new rows replaced its old ones."""
    notes = [
        Problem(
            source,
            "file_corrected",
            "info",
            f"файл заменён новой версией: прежние строки ({rows['rows_before']}) заменены "
            f"новыми ({rows['rows_after']})",
            "ничего делать не нужно; проверьте, что заменён нужный файл",
        )
        for source, rows in facts.get("ingest", {}).get("superseded", {}).items()
    ]
    stored = con.execute(f"SELECT {', '.join(map(_quoted, PROBLEM_COLUMNS))} FROM {PROBLEMS_TABLE}")
    frame = stored.df()
    extra = pd.DataFrame([asdict(p) for p in mart_problems + notes], columns=list(frame.columns))
    return pd.concat([frame, extra], ignore_index=True) if len(extra) else frame


def _quoted(name: str) -> str:
    return f'"{name}"'


def report_facts(
    status: str, finished_at: str, validation: dict[str, Any], facts: dict[str, Any]
) -> list[tuple[str, Any]]:
    """The summary block of the validation report (Russian)."""
    said = {
        "published": "опубликована новая версия витрин",
        "unchanged": "исходные данные не изменились: опубликованная версия оставлена как была",
        "not_published": "не опубликовано: прежние витрины оставлены без изменений",
    }
    ingest = facts.get("ingest", {})
    return [
        ("Запуск завершён", finished_at),
        ("Публикация", said[status]),
        ("Файлов в карантине (не загружены)", len(validation["quarantined"])),
        ("Файлы в карантине", [q["file"] for q in validation["quarantined"]]),
        ("Исправленные файлы (заменили прежние строки)", list(validation["superseded"])),
        ("Новых файлов", len(ingest.get("loaded", []))),
        ("Без изменений", len(ingest.get("unchanged", []))),
        ("Удалённых", len(ingest.get("removed", []))),
        ("Предупреждений", sum(validation["warnings_by_rule"].values())),
    ]


def write_last_run(paths: Paths, outcome: dict[str, Any]) -> Path:
    """DIR/validation/last_run.json: what the latest run did (timings live here, not in marts)."""
    path = paths.validation / "last_run.json"
    staged = path.with_name(".last_run.json.writing")
    staged.write_text(json.dumps(outcome, ensure_ascii=False, indent=2, default=str), "utf-8")
    os.replace(staged, path)
    return path


def run_summary(con: Any, year: int | None = None) -> dict[str, Any]:
    """Counts for `year` (default: the latest): schools rated, ШНОР, risk group, ШНСУ, and
    problems found."""
    built = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'marts' AND table_name = 'fct_school_flags'"
    ).fetchall()[0][0]
    row = (
        built
        and con.execute(
            """SELECT exam_year, count(*) FILTER (WHERE is_rated),
                  count(*) FILTER (WHERE NOT is_rated),
                  count(*) FILTER (WHERE is_stable_low), count(*) FILTER (WHERE is_risk_group),
                  count(*) FILTER (WHERE is_shnsu), count(*) FILTER (WHERE is_on_shnor_list)
           FROM marts.fct_school_flags
           WHERE exam_year = coalesce($year, (SELECT max(exam_year) FROM marts.fct_school_flags))
           GROUP BY exam_year""",
            {"year": year},
        ).fetchall()
    )
    year, rated, not_rated, stable_low, risk, shnsu, on_list = (
        row[0] if row else (year, 0, 0, 0, 0, 0, 0)
    )
    quarantined, warnings = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'quarantined'), "
        "(SELECT count(*) FROM ops.problems WHERE severity = 'warning') FROM raw._files"
    ).fetchall()[0]
    return {
        "year": year,
        "rated_count": rated,
        "not_rated_count": not_rated,
        "stable_low_count": stable_low,
        "shnor_list_count": on_list,
        "risk_group_count": risk,
        "shnsu_count": shnsu,
        "quarantined_file_count": quarantined,
        "warning_count": warnings,
    }
