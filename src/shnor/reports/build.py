"""All reports of a run from the published marts: the annual lists, the year-on-year
comparative report (HTML + XLSX) and one page and workbook per municipality. `publish` calls
`write_reports` on the marts it is about to publish; `shnor report` calls it on DATA_DIR/marts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from shnor.presets import Preset
from shnor.report_tables import MUNICIPALITY_NOT_GIVEN, REPORT_TABLES, report_tables
from shnor.reports.appendix import write_appendix
from shnor.reports.cards import CARDS_DIR, CardBasis, card_basis, cards_of, write_cards
from shnor.reports.comparative import (
    Scope,
    comparison,
    page_environment,
    write_comparative_page,
    write_comparative_workbook,
)
from shnor.reports.parallel import ReportJob, written_in_parallel
from shnor.reports.school_list import list_details, write_school_list
from shnor.reports.support_sheets import objectivity_sheet, support_sheets

BASE_MARTS = ("dim_schools", "fct_school_procedure_results", "fct_school_flags", "rpt_school_list")
OPTIONAL_MARTS = (
    "fct_school_task_results",
    "fct_class_support_signals",
    "fct_school_early_warning",
    "fct_school_context_drivers",
)
REPORT_MARTS = REPORT_TABLES
_TRANSLIT = {
    letter: latin.strip("-")  # «-» stands for a letter written as nothing (ъ, ь)
    for letter, latin in zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch - y - e iu ia".split(),  # noqa: SIM905
        strict=True,
    )
}


def load_marts(source: Path | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The marts the reports read, from a folder of `<name>.parquet` or from frames; the rpt_*
    tables of §7–§8 are computed from the base marts when the source lacks them."""
    if isinstance(source, Mapping):
        frames = {k: v for k, v in source.items() if v is not None}
    else:
        names = [*BASE_MARTS, *OPTIONAL_MARTS, *REPORT_MARTS]
        frames = {n: pd.read_parquet(source / f"{n}.parquet") for n in names
                  if (source / f"{n}.parquet").is_file()}  # fmt: skip
    missing = [name for name in BASE_MARTS if name not in frames]
    if missing:
        raise FileNotFoundError(
            f"Нет витрин {', '.join(missing)}: сначала выполните `shnor run` / "
            f"marts {missing} are not published; run `shnor run` first"
        )
    return frames


def municipality_slug(name: str) -> str:
    """A file-name-safe code for a municipality: transliterated, only [a-z0-9-], plus a short
    hash of the name (so two names never share a file and no input text becomes a path)."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())
    words = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")[:40].strip("-") or "mo"
    return f"{words}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:6]}"


def write_reports(
    source: Path | Mapping[str, pd.DataFrame],
    preset: Preset,
    run_facts: list[tuple[str, object]],
    reports_dir: Path,
    years: list[int] | None = None,
) -> list[Path]:
    """Write every report into `reports_dir` and return the files written.

    `years` None: an annual list for every rated year and the comparative and municipal
    reports for the latest year; otherwise all of them for each year given.
    """
    marts = load_marts(source)
    missing = [n for n in REPORT_MARTS if n not in marts]
    if missing or "measure" not in marts["rpt_recommendations"]:  # marts of an older shnor
        marts |= report_tables(marts, preset)
    marts = with_municipality_named(marts)
    reports_dir.mkdir(parents=True, exist_ok=True)
    return written_in_parallel(report_jobs(marts, preset, run_facts, reports_dir, years))


def with_municipality_named(marts: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The marts with a school of no municipality under «не указан», as in the municipality
    summary: its rows get a municipal report like any other and are never left out of all."""
    named = {}
    for name, frame in marts.items():
        columns = [c for c in ("municipality_name", "tutor_municipality_name") if c in frame]
        named[name] = (
            frame.fillna({c: MUNICIPALITY_NOT_GIVEN for c in columns}) if columns else frame
        )
    return named


def report_jobs(
    marts: dict[str, pd.DataFrame],
    preset: Preset,
    run_facts: list[tuple[str, object]],
    reports_dir: Path,
    years: list[int] | None,
) -> list[ReportJob]:
    """One job per annual list and per comparative scope (its workbook and page). The list
    details of the compared year and the cards' region-wide basis are computed here, once,
    before the jobs run (the workers inherit them): each municipal job would otherwise group the
    whole region again. An annual list of another year computes its details in its own job,
    and each job makes the cards of its own schools."""
    flags = marts["fct_school_flags"]
    rated_years = sorted(int(y) for y in flags.loc[flags["is_rated"], "exam_year"].unique())
    list_years = rated_years if years is None else years
    analysed_years = rated_years[-1:] if years is None else years
    details = {
        year: list_details(marts, year, preset)
        for year in analysed_years
        if year - 1 in rated_years
    }
    jobs = [
        ReportJob(
            f"school_list_{year}",
            len(flags),
            partial(
                _school_list_report,
                marts,
                details.get(year),
                year,
                preset,
                run_facts,
                reports_dir / f"school_list_{year}.xlsx",
                year - 1 in rated_years,
            ),
        )
        for year in list_years
    ]
    card_year = max(list_years, default=None)
    # The cards of a year with municipal pages are written by those pages' jobs (one pass over
    # each school's data); otherwise by jobs of their own.
    cards_with_pages = card_year in analysed_years and card_year - 1 in rated_years
    basis = card_basis(marts, card_year, preset) if card_year is not None else None
    if basis is not None and not cards_with_pages:
        jobs += card_jobs(basis, preset, reports_dir)
    comparisons = marts["rpt_year_over_year"]
    for year in analysed_years:
        if year - 1 not in rated_years:
            continue
        municipalities = marts["rpt_school_list"]
        names = sorted(
            municipalities.loc[municipalities["exam_year"] == year, "municipality_name"]
            .dropna()
            .unique()
        )
        region = dict(run_facts).get("region")
        region = region if isinstance(region, str) and region.strip() else "Регион"
        scopes = [(Scope(region, None), f"year_over_year_{year - 1}_{year}")] + [
            (Scope(name, name), f"municipality_{year}_{municipality_slug(name)}") for name in names
        ]
        of_year = comparisons[comparisons["exam_year"] == year]
        for scope, stem in scopes:
            size = (
                len(of_year)
                if scope.municipality is None
                else int((of_year["municipality_name"] == scope.municipality).sum())
            )
            with_cards = cards_with_pages and year == card_year and scope.municipality is not None
            jobs.append(
                ReportJob(
                    stem,
                    size,
                    partial(_comparative_report, marts, details[year], year, scope, preset,
                            run_facts, reports_dir / stem, basis if with_cards else None),
                )
            )  # fmt: skip
    return jobs


def card_jobs(basis: CardBasis, preset: Preset, reports_dir: Path) -> list[ReportJob]:
    """One job per municipality writing the cards of its listed and risk-group schools, for a
    year without municipal pages (no previous year to compare)."""
    return [
        ReportJob(
            f"cards_{basis.year}_{municipality_slug(name)}",
            count,
            partial(_cards_report, basis, name, preset, reports_dir / CARDS_DIR),
        )
        for name, count in sorted(basis.municipalities().items())
    ]


def _cards_report(basis: CardBasis, municipality: str, preset: Preset, folder: Path) -> list[Path]:
    """The cards of one municipality's schools."""
    return write_cards(cards_of(basis, municipality), preset, page_environment(), folder)


def _school_list_report(
    marts: Mapping[str, pd.DataFrame],
    year_rows: pd.DataFrame | None,
    year: int,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    path: Path,
    has_previous_year: bool,
) -> list[Path]:
    """school_list_<year>.xlsx and the appendix to the order (appendix_<year>.xlsx, .html)
    from the year's `list_details` (computed here when not given)."""
    if year_rows is None:
        year_rows = list_details(marts, year, preset)
    workbook = write_school_list(
        year_rows, year, preset, run_facts, path,
        has_previous_year=has_previous_year,
        support_sheets=[*support_sheets(marts, year), objectivity_sheet(marts, year)],
    )  # fmt: skip
    return [workbook, *write_appendix(year_rows, year, preset, run_facts, path.parent)]


def _comparative_report(
    marts: Mapping[str, pd.DataFrame],
    list_rows: pd.DataFrame,
    year: int,
    scope: Scope,
    preset: Preset,
    run_facts: list[tuple[str, object]],
    stem: Path,
    basis: CardBasis | None = None,
) -> list[Path]:
    """A comparative scope's workbook and page, and the cards of its schools when their basis
    is given (None: the cards are written elsewhere)."""
    cards = cards_of(basis, scope.municipality) if basis is not None else None
    view = comparison(marts, year, scope, preset, list_rows, cards)
    written = (
        write_cards(cards, preset, page_environment(), stem.parent / CARDS_DIR,
                    f"../{stem.name}.html")
        if cards is not None
        else []
    )  # fmt: skip
    return [
        *written,
        write_comparative_workbook(view, scope, preset, run_facts, stem.with_suffix(".xlsx")),
        write_comparative_page(view, scope, preset, run_facts, stem.with_suffix(".html")),
    ]


def regenerate_reports(
    marts_dir: Path, reports_dir: Path, preset: Preset, years: list[int] | None = None
) -> list[Path]:
    """The reports rebuilt from the marts in `marts_dir` (run facts from its manifest), written
    aside and renamed into `reports_dir`: a reader never sees half a file, and a file there
    that is a link to a published version's is replaced, never written through."""
    manifest_path = marts_dir / "run_manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    )
    facts = [(k, v) for k, v in manifest.items() if not isinstance(v, dict | list)]
    reports_dir.mkdir(parents=True, exist_ok=True)
    scratch = reports_dir / f".writing-{uuid.uuid4().hex[:8]}"
    try:
        written = write_reports(marts_dir, preset, facts, scratch, years)
        targets = [reports_dir / path.relative_to(scratch) for path in written]
        for path, target in zip(written, targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        return targets
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
