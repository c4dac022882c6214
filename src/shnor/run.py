"""The steps of a run as plain functions of (data_dir, preset): what Prefect tasks call.

Each step opens the warehouse, does one stage of `pipeline`, closes it, and returns a small
JSON-able summary, so steps can run as separate tasks (or processes) and be tested without
Prefect. `run_annual` chains them without Prefect.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from shnor import __version__, pipeline, warehouse
from shnor.config import Paths, data_dir_from
from shnor.history import recorded_run
from shnor.incremental import BUILD_INPUTS, changes_since_last_build
from shnor.ingest.raw_load import PROBLEM_COLUMNS, Problem
from shnor.presets import Preset, load_preset
from shnor.progress import report
from shnor.publish import mart_tables, publish, published_manifest
from shnor.quality.fingerprint import content_fingerprint
from shnor.quality.mart_checks import check_marts
from shnor.quality.report import write_validation_report

# `shnor run` exit codes (docs/operations.md; cli.run maps a run's status to one of these).
EXIT_PUBLISHED = 0
EXIT_UNEXPECTED_ERROR = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_PUBLISHED_WITH_QUARANTINE = 3
EXIT_NOTHING_PUBLISHED = 4
# The mart check of the marts in the warehouse, with the content fingerprint they were made from
# (written by a check with the run's preset, dropped when the flag step starts to change them).
CHECKED_MARTS = "ops.checked_marts"


def _paths(data_dir: str | Path | None) -> Paths:
    return Paths(data_dir_from(data_dir))


def ingest_step(data_dir: str | Path | None) -> dict[str, Any]:
    """Load new or changed raw files; returns the ingest summary."""
    paths = _paths(data_dir)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        pipeline.prepare_connection(con, paths.reference)
        summary = pipeline.ingest(
            con,
            paths.raw,
            paths.reference,
            lambda name, done, total: report("ingest", name, done, total),
        )
        usable = has_usable_results(con)
        inputs = (
            con.execute("SELECT source_file, checksum, status FROM raw._files ORDER BY 1")
            .df()
            .to_dict("records")
        )
    return asdict(summary) | {
        "usable": usable,
        "inputs": inputs,
        "seconds": round(time.perf_counter() - started, 3),
    }


def has_usable_results(con: Any) -> bool:
    """True when some results are loaded: participant rows or school summaries (a region with
    only the ЕГЭ summary workbook is rated on it); else there is nothing to rate."""
    tables = ("vpr_participants", "exam_participants", "ege_school_summary", "vpr_mark_stats")
    query = " OR ".join(f"EXISTS (SELECT 1 FROM raw.{table})" for table in tables)
    return bool(con.execute(f"SELECT {query}").fetchall()[0][0])


def build_step(
    data_dir: str | Path | None, preset: str | Preset, full: bool = False
) -> dict[str, Any]:
    """Build staging, intermediate and SQL marts — only what the changed files touch, unless
    `full` or something else changed; returns row counts by table and what was rebuilt."""
    paths, chosen = _paths(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        pipeline.prepare_connection(con, paths.reference)
        # The school code map first: a new code or registry row can change the school of rows
        # of unchanged files, and the comparison with the last build must see that.
        mapped = pipeline.map_schools(con)
        changes = None if full else changes_since_last_build(con, pipeline.sql_parameters(chosen))
        model_count = len(warehouse.models(("staging", "intermediate", "marts")))
        done = iter(range(model_count))
        counts = mapped | pipeline.build(
            con,
            chosen,
            lambda m: report("build", m.table, next(done), model_count),
            changes,
            schools_mapped=True,
        )
        report("build", "готово", model_count, model_count)
    rebuilt = (
        {"mode": "full"}
        if changes is None
        else {"mode": "incremental", "files": changes.sources, "years": changes.years}
    )
    return {
        "row_counts": counts,
        "rebuilt": rebuilt,
        "seconds": round(time.perf_counter() - started, 3),
    }


def flag_step(data_dir: str | Path | None, preset: str | Preset) -> dict[str, Any]:
    """Score schools and compute the flags; returns row counts by table."""
    paths, chosen = _paths(data_dir), load_preset(preset)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        con.execute(f"DROP TABLE IF EXISTS {CHECKED_MARTS}")  # the marts change from here on
        pipeline.prepare_connection(con, paths.reference)
        report("flag", "школьный эффект и флаги")
        counts = pipeline.flag(con, chosen)
    return {"row_counts": counts, "seconds": round(time.perf_counter() - started, 3)}


def check_step(data_dir: str | Path | None, preset: str | Preset | None = None) -> dict[str, Any]:
    """Run the mart suites over the built marts; returns their problems (JSON-able). With the
    run's preset, the outcome is also kept with what the marts were made from (for
    `unchanged_marts_check`)."""
    paths = _paths(data_dir)
    started = time.perf_counter()
    with warehouse.connect(paths.warehouse) as con:
        report("check", "проверка витрин")
        problems = [asdict(p) for p in check_marts(con, mart_tables(con))]
        if preset is not None:
            fingerprint = marts_fingerprint(con, load_preset(preset), paths)
            con.execute(
                f"CREATE OR REPLACE TABLE {CHECKED_MARTS} AS "
                "SELECT $fingerprint AS content_fingerprint, $problems AS problems",
                {"fingerprint": fingerprint, "problems": json.dumps(problems, default=str)},
            )
    return {"problems": problems, "seconds": round(time.perf_counter() - started, 3)}


def unchanged_marts_check(data_dir: str | Path | None, preset: Preset) -> dict[str, Any] | None:
    """The check outcome of the marts in the warehouse when they were flagged and checked from
    exactly what the published version was made from (inputs, preset, reference, code): then
    flagging and checking again would only repeat it. None otherwise."""
    paths = _paths(data_dir)
    published = (published_manifest(paths) or {}).get("content_fingerprint")
    if not published:
        return None
    with warehouse.connect(paths.warehouse) as con:
        if not warehouse.table_exists(con, CHECKED_MARTS):
            return None
        kept = con.execute(f"SELECT content_fingerprint, problems FROM {CHECKED_MARTS}").fetchall()
        current = marts_fingerprint(con, preset, paths)
    if not kept or kept[0][0] != current or current != published:
        return None
    return {"problems": json.loads(kept[0][1]), "seconds": 0.0, "reused": True}


def publish_step(
    data_dir: str | Path | None,
    preset: str | Preset,
    facts: dict[str, Any],
    checked: dict[str, Any] | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """Write the validation report (every run) and, when the input is usable and the marts
    pass their blocking checks, publish marts, lists and the run manifest as one version.
    `checked` is check_step's result (run here when not given); no build (facts without
    row counts) means no usable input: nothing is published. The summary is of `year`
    (default: the latest)."""
    paths, chosen = _paths(data_dir), load_preset(preset)
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
        problems = all_problems(con, mart_problems, facts)
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
            published = publish(
                con, paths, chosen, manifest, extra_reports=tuple(report_paths.values())
            )
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


def marts_fingerprint(
    con: Any, preset: Preset, paths: Paths, inputs: list[dict[str, Any]] | None = None
) -> str:
    """The content fingerprint of the marts in the warehouse: what they were built from
    (`built_inputs`, unless given), the preset, the reference files and the code."""
    return content_fingerprint(
        built_inputs(con) if inputs is None else inputs, preset, paths.reference
    )


def built_inputs(con: Any) -> list[dict[str, Any]]:
    """The inputs the marts were built from — what the last build read (ops.build_inputs),
    not raw._files now, which another ingest may have moved on — with layouts and rows."""
    if not warehouse.table_exists(con, BUILD_INPUTS):
        query = (
            "SELECT source_file, checksum, status, layouts, row_count FROM raw._files "
            "ORDER BY source_file"
        )
    else:
        query = f"""SELECT b.source_file, b.checksum, b.status, f.layouts, f.row_count
                    FROM {BUILD_INPUTS} AS b
                    LEFT JOIN raw._files AS f USING (source_file, checksum)
                    ORDER BY b.source_file"""
    return con.execute(query).df().to_dict("records")


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
           LEFT JOIN raw._problems AS p
             ON p.source_file = f.source_file AND p.severity = 'blocking'
           WHERE f.status = 'quarantined' GROUP BY f.source_file ORDER BY f.source_file"""
    ).fetchall()
    warnings = con.execute(
        "SELECT rule, count(*) FROM raw._problems WHERE severity = 'warning' "
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
    """raw._problems (the state of every input), the mart checks of this run, and a note per
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
    stored = con.execute(f"SELECT {', '.join(map(_quoted, PROBLEM_COLUMNS))} FROM raw._problems")
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
        "(SELECT count(*) FROM raw._problems WHERE severity = 'warning') FROM raw._files"
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


def run_annual(
    data_dir: str | Path | None = None,
    preset: str = "reference",
    year: int | None = None,
    trigger: str = "direct",
    steps: Steps | None = None,
) -> dict[str, Any]:
    """The whole run: ingest → build → flag → check → publish (no usable input: ingest →
    publish, which reports and publishes nothing), recorded in the run history; the summary
    is of `year` (default: the latest). `steps` are the step functions, this module's own by
    default; the Prefect flow passes its tasks, so both run this one sequence."""
    step = steps or Steps()
    with recorded_run(_paths(data_dir).data_dir, preset, trigger) as record:
        chosen = load_preset(preset)  # read once: every step uses this very version
        ingested = step.ingest(data_dir)
        record.add_step("ingest", ingested)
        built = flagged = checked = None
        if ingested["usable"]:
            built = step.build(data_dir, chosen)
            record.add_step("build", built)
            # Nothing changed since the published version: its flags and checks stand.
            checked = unchanged_marts_check(data_dir, chosen)
            if checked is None:
                flagged = step.flag(data_dir, chosen)
                record.add_step("flag", flagged)
                checked = step.check(data_dir, chosen)
            record.add_step("check", checked)
        facts = run_facts(record.started_at, ingested, built, flagged) | {"run_id": record.run_id}
        published = step.publish(data_dir, chosen, facts, checked, year)
        record.add_step("publish", published)
    return published | {
        "ingest": ingested,
        "build": built,
        "steps": record.steps,
        "run_id": record.run_id,
    }


@dataclass(frozen=True)
class Steps:
    """The step functions a run calls (plain functions here; Prefect tasks in the flow)."""

    ingest: Callable[..., dict[str, Any]] = ingest_step
    build: Callable[..., dict[str, Any]] = build_step
    flag: Callable[..., dict[str, Any]] = flag_step
    check: Callable[..., dict[str, Any]] = check_step
    publish: Callable[..., dict[str, Any]] = publish_step


def run_facts(
    started_at: str,
    ingested: dict[str, Any],
    built: dict[str, Any] | None,
    flagged: dict[str, Any] | None,
) -> dict[str, Any]:
    """The manifest's record of the earlier steps (built None: nothing was built; flagged
    None: nothing built or the flags of the published version stand)."""
    built = built or {"row_counts": {}, "seconds": None}
    flagged = flagged or {"row_counts": {}, "seconds": None}
    return {
        "started_at": started_at,
        "files_loaded": len(ingested["loaded"]),
        "files_corrected": len(ingested["corrected"]),
        "files_unchanged": len(ingested["unchanged"]),
        "files_removed": len(ingested["removed"]),
        "files_quarantined": len(ingested["quarantined"]),
        "ingest": {k: v for k, v in ingested.items() if k != "inputs"},
        "row_counts": built["row_counts"] | flagged["row_counts"],
        "seconds": {
            "ingest": ingested["seconds"],
            "build": built["seconds"],
            "flag": flagged["seconds"],
        },
    }
