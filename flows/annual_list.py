"""The annual run as a Prefect flow: ingest (with the raw checks) → build → flag → check (the
mart suites) → publish (validation report every run; marts only when usable and valid).

Each task wraps one stage of `shnor.stages` and logs what it did; `annual_list` calls them in
order and records the run in the run history. `shnor.stages.run_annual` is the same sequence
without Prefect (`shnor run --no-prefect`; a test keeps the two in step). No caching (every run
reads the current inputs); no retries (failures here are data problems, not flaky I/O).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment

from shnor import stages
from shnor.config import paths_of
from shnor.history import recorded_run
from shnor.presets import Preset, load_preset


@task(name="ingest", cache_policy=NO_CACHE)
def ingest(data_dir: str) -> dict[str, Any]:
    """Load new or changed raw files into the warehouse."""
    result = stages.ingest_step(data_dir)
    get_run_logger().info(
        "файлы: новых %d, исправленных %d, удалённых %d, без изменений %d, в карантине %d; "
        "загружено строк %d за %.1f с",
        len(result["loaded"]),
        len(result["corrected"]),
        len(result["removed"]),
        len(result["unchanged"]),
        len(result["quarantined"]),
        result["rows_loaded"],
        result["seconds"],
    )
    return result


@task(name="build", cache_policy=NO_CACHE)
def build(data_dir: str, preset: Preset) -> dict[str, Any]:
    """Build staging, intermediate and marts (only what changed files touch)."""
    result = stages.build_step(data_dir, preset)
    rebuilt = result["rebuilt"]
    get_run_logger().info(
        "сборка %s: %d таблиц, %s строк результатов участников за %.1f с",
        "полная"
        if rebuilt["mode"] == "full"
        else f"по изменениям (файлов {len(rebuilt['files'])}, годы {rebuilt['years']})",
        len(result["row_counts"]),
        f"{result['row_counts'].get('intermediate.int_participant_results_counted', 0):,}",
        result["seconds"],
    )
    return result


@task(name="flag", cache_policy=NO_CACHE)
def flag(data_dir: str, preset: Preset) -> dict[str, Any]:
    """Score schools and compute the flags."""
    result = stages.flag_step(data_dir, preset)
    get_run_logger().info(
        "флаги: %d строк школа × год за %.1f с",
        result["row_counts"].get("marts.fct_school_flags", 0),
        result["seconds"],
    )
    return result


@task(name="check", cache_policy=NO_CACHE)
def check(data_dir: str, preset: Preset | None = None) -> dict[str, Any]:
    """Run the mart suites over the built marts."""
    result = stages.check_step(data_dir, preset)
    blocking = sum(p["severity"] == "blocking" for p in result["problems"])
    get_run_logger().info(
        "проверка витрин: блокирующих нарушений %d, предупреждений %d за %.1f с",
        blocking,
        len(result["problems"]) - blocking,
        result["seconds"],
    )
    return result


@task(name="publish", cache_policy=NO_CACHE)
def publish(
    data_dir: str,
    preset: Preset,
    facts: dict[str, Any],
    checked: dict[str, Any] | None,
    year: int | None,
) -> dict[str, Any]:
    """Write the validation report; publish marts, lists and the manifest as one version."""
    result = stages.publish_step(data_dir, preset, facts, checked, year)
    get_run_logger().info(
        "публикация: %s; витрин %d, отчётов %d за %.1f с; код выхода %d",
        result["status"],
        len(result["marts"]),
        len(result["reports"]),
        result["seconds"],
        result["exit_code"],
    )
    return result


@flow(name="shnor-annual-list")
def annual_list(
    data_dir: str = "data", preset: str = "reference", year: int | None = None
) -> dict[str, Any]:
    """Build the annual ШНОР lists from the files in `data_dir/raw` with the methodology
    `preset`; `year` is the year the summary reports (default: the latest), lists are published
    for every year."""
    trigger = f"prefect:{deployment.name}" if deployment.name else "prefect"
    with recorded_run(paths_of(data_dir).data_dir, preset, trigger) as record:
        chosen = load_preset(preset)  # read once: every stage uses this very version
        ingested = ingest(data_dir)
        record.add_step("ingest", ingested)
        built = flagged = checked = None
        if ingested["usable"]:
            built = build(data_dir, chosen)
            record.add_step("build", built)
            # Nothing changed since the published version: its flags and checks stand.
            checked = stages.unchanged_marts_check(data_dir, chosen)
            if checked is None:
                flagged = flag(data_dir, chosen)
                record.add_step("flag", flagged)
                checked = check(data_dir, chosen)
            record.add_step("check", checked)
        facts = stages.run_facts(
            data_dir, record.started_at, ingested, built, flagged, record.run_id
        )
        published = publish(data_dir, chosen, facts, checked, year)
        record.add_step("publish", published)
    get_run_logger().info(
        "%s; %s год: оценено %s, ШНОР %s, группа риска %s (запуск %s)",
        published["status"],
        published["year"],
        published["rated_count"],
        published["shnor_list_count"],
        published["risk_group_count"],
        record.run_id,
    )
    return stages.run_outcome(record, published, ingested, built)
