"""The annual run as a Prefect flow: ingest (with the raw checks) → build → flag → check (the
mart suites) → publish (validation report every run; marts only when usable and valid).

Each task wraps one step of `shnor.run` and logs what it did; the flow hands its tasks to
`shnor.run.run_annual`, the one sequence of a run (recorded in the run history) that
`shnor run --no-prefect` uses too. No caching (every run reads the current
inputs); no retries (failures here are data problems, not flaky I/O).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import deployment

from shnor import run as steps
from shnor.presets import Preset


@task(name="ingest", cache_policy=NO_CACHE)
def ingest(data_dir: str) -> dict[str, Any]:
    """Load new or changed raw files into the warehouse."""
    result = steps.ingest_step(data_dir)
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
    result = steps.build_step(data_dir, preset)
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
    result = steps.flag_step(data_dir, preset)
    get_run_logger().info(
        "флаги: %d строк школа × год за %.1f с",
        result["row_counts"].get("marts.fct_school_flags", 0),
        result["seconds"],
    )
    return result


@task(name="check", cache_policy=NO_CACHE)
def check(data_dir: str, preset: Preset | None = None) -> dict[str, Any]:
    """Run the mart suites over the built marts."""
    result = steps.check_step(data_dir, preset)
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
    result = steps.publish_step(data_dir, preset, facts, checked, year)
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
    logger = get_run_logger()
    trigger = f"prefect:{deployment.name}" if deployment.name else "prefect"
    published = steps.run_annual(
        data_dir,
        preset,
        year,
        trigger,
        steps.Steps(ingest=ingest, build=build, flag=flag, check=check, publish=publish),
    )
    logger.info(
        "%s; %s год: оценено %s, ШНОР %s, группа риска %s (запуск %s)",
        published["status"],
        published["year"],
        published["rated_count"],
        published["shnor_list_count"],
        published["risk_group_count"],
        published["run_id"],
    )
    return published
