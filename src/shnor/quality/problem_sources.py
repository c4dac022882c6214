"""Where a problem can be acted on: the school's name for a problem in an input row, and for a
mart check's finding («sch320985 / 2024 / ege / 11 / biology») the input files it came from,
the school and the procedure in words — so a data clerk knows which file to open."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pandas as pd

from shnor.labels import procedure_label
from shnor.quality.mart_checks import mart_source

# «school / year / exam / [grade /] subject[ / more]» as the mart check frames write it.
PROCEDURE_KEY = re.compile(
    r"^(?P<school>[^ /]+) / (?P<year>\d{4}) / (?P<exam>vpr|oge|ege|mock)"
    r"(?: / (?P<grade>\d+))? / (?P<subject>[a-z_]+)(?P<rest>(?: / .*)?)$"
)
# Input rows that carry a school: (table, has a sheet column).
SCHOOL_ROWS = (
    ("staging.stg_exam__participants", True),
    ("staging.stg_vpr__participants", True),
    ("staging.stg_vpr__mark_stats", True),
    ("staging.stg_vpr__journal_comparison", True),
    ("staging.stg_ege__school_summary", True),
    ("staging.stg_schools", False),
)
MORE_FILES = 3  # files named for one finding; the rest are counted


def with_sources(con: Any, problems: pd.DataFrame) -> pd.DataFrame:
    """The problems with `school` (name and code, where known) and each mart finding about a
    procedure traced to its input files (`source_file`), its value in words."""
    frame = problems.copy()
    frame["school"] = None
    if frame.empty:
        return frame
    names = _school_names(con)
    frame = _traced_mart_findings(con, frame, names)
    found = _schools_of_rows(con, frame)
    missing = frame["school"].isna()
    frame.loc[missing, "school"] = [
        found.get((f, s if isinstance(s, str) else "", r)) if pd.notna(r) else None
        for f, s, r in frame.loc[missing, ["source_file", "sheet", "row"]].itertuples(index=False)
    ]
    return frame


def _school_names(con: Any) -> dict[str, str]:
    try:
        rows = con.execute("SELECT school_id, school_name FROM marts.dim_schools").fetchall()
    except duckdb.CatalogException:  # no marts built yet (nothing usable was loaded)
        return {}
    return {school_id: name for school_id, name in rows if name}


def _traced_mart_findings(con: Any, frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """A mart finding whose value is a procedure key: the files behind it in `source_file`,
    the mart named in the message, the value as «2024, ЕГЭ, Биология (…)»."""
    marts = frame["source_file"].fillna("").str.startswith(mart_source("x").split(" ")[0])
    keys = {
        index: match
        for index, value in frame.loc[marts, "value"].items()
        if isinstance(value, str) and (match := PROCEDURE_KEY.match(value))
    }
    if not keys:
        return frame
    files = _procedure_files(con)
    for index, match in keys.items():
        school, year, exam = match["school"], int(match["year"]), match["exam"]
        grade = int(match["grade"]) if match["grade"] else None
        sources = files.get((school, year, exam, grade, match["subject"]), [])
        mart = frame.at[index, "source_file"]
        if sources:
            shown = "; ".join(sources[:MORE_FILES])
            if len(sources) > MORE_FILES:
                shown += f" и ещё {len(sources) - MORE_FILES}"
            frame.at[index, "source_file"] = shown
        frame.at[index, "message"] = f"{frame.at[index, 'message']} (проверка: {mart.strip('()')})"
        rest = match["rest"].removeprefix(" / ").replace(" / ", ", ")
        label = procedure_label(exam, grade, match["subject"])
        frame.at[index, "value"] = f"{year}, {label}" + (f" ({rest})" if rest else "")
        frame.at[index, "school"] = f"{names[school]} ({school})" if school in names else school
    return frame


def _procedure_files(con: Any) -> dict[tuple, list[str]]:
    """(school, year, exam, grade, subject) → the input files of its results."""
    queries = (
        "SELECT DISTINCT school_id, exam_year, exam, grade, subject, _source_file "
        "FROM intermediate.int_participant_file_procedures",
        "SELECT DISTINCT school_id, exam_year, exam, grade, subject, _source_file "
        "FROM intermediate.int_school_results_from_summaries",
    )
    files: dict[tuple, list[str]] = {}
    for query in queries:
        try:
            rows = con.execute(query).fetchall()
        except duckdb.CatalogException:  # a warehouse without that table has no such rows
            continue
        for school, year, exam, grade, subject, source in rows:
            key = (school, int(year), exam, int(grade) if exam == "vpr" else None, subject)
            if source not in files.setdefault(key, []):
                files[key].append(source)
    return {key: sorted(value) for key, value in files.items()}


def _schools_of_rows(con: Any, frame: pd.DataFrame) -> dict[tuple, str]:
    """(file, sheet, row) → «school name (code)» for the problem rows found in an input table."""
    wanted = frame.loc[frame["row"].notna(), ["source_file", "sheet", "row"]].drop_duplicates()
    if wanted.empty:
        return {}
    wanted = wanted.assign(sheet=wanted["sheet"].fillna(""), row=wanted["row"].astype("int64"))
    found: dict[tuple, str] = {}
    con.register("_problem_rows", wanted)
    try:
        for table, has_sheet in SCHOOL_ROWS:
            sheet = "coalesce(t._sheet, '')" if has_sheet else "''"
            query = (
                f"SELECT p.source_file, p.sheet, p.row, any_value(t.school_name), "
                f"any_value(t.school_id) FROM _problem_rows AS p JOIN {table} AS t "
                f"ON t._source_file = p.source_file AND t._row = p.row "
                f"AND (p.sheet = '' OR {sheet} = p.sheet) GROUP BY ALL"
            )
            try:
                rows = con.execute(query).fetchall()
            except duckdb.CatalogException:  # a warehouse without that table
                continue
            for source, sheet_name, row, name, code in rows:
                shown = f"{name} ({code})" if name and code else name or code
                if shown:
                    found.setdefault((source, sheet_name, row), shown)
    finally:
        con.unregister("_problem_rows")
    return found
