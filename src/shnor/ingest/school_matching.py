"""School identity for results that name a school but carry no code (docs/data-contract.md), and for
codes that lost their leading zeros in Excel or are of another kind than the registry's (a number
for a ФИС ОКО login, or back). Pure functions on school-grain frames.

Order of trust: the region's confirmed aliases (reference/school_aliases.csv), then one known
school with the same (municipality, name) keys — a registry school, or a school the coded result
files name (so a region without a registry still joins its summary to its participant files);
otherwise the name keeps an identity of its own
(deterministic, so the same school keeps it across years) and goes to the review table with
ranked candidates. Similar names are suggestions, never matches.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import duckdb
import pandas as pd

from shnor.ingest.school_names import municipality_key, name_school_id, school_name_key
from shnor.sql import map_query

CANDIDATES = 3
MIN_SIMILARITY = 0.6
SAME_SCHOOL_SIMILARITY = 0.7  # a name-only suggestion across years
REVIEW_COLUMNS = [
    "municipality_name",
    "school_name",
    "match_status",
    "school_id",
    "candidate_rank",
    "candidate_school_id",
    "candidate_school_name",
    "candidate_municipality_name",
    "similarity",
    "years",
    "source_files",
]
# Types of the review table, so that it is typed even when no name needs review.
REVIEW_TYPES = dict.fromkeys(REVIEW_COLUMNS, "string") | {
    "candidate_rank": "Int64",
    "similarity": "float64",
}


def update_school_code_map(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(code map, registry): staging.stg_school_code_map made anew from every code the raw
    tables hold and the registry (raw.schools, latest row per code). The raw checks make it
    before they look for repeats, the build before staging: both see a code as the same school."""
    registry = con.execute(map_query("registry_schools")).df()
    registry = registry.fillna({"school_name": "", "municipality_name": ""})
    spelled = con.execute(map_query("raw_school_codes")).fetchall()
    codes = [row[0] for row in spelled if row[0] is not None]
    confirmed = confirmed_codes(con.execute(map_query("confirmed_school_codes")).fetchall())
    code_map = school_code_map(codes, registry, confirmed)
    con.register("_school_code_map", code_map)
    try:
        con.execute(
            "CREATE OR REPLACE TABLE staging.stg_school_code_map AS SELECT * FROM _school_code_map"
        )
    finally:
        con.unregister("_school_code_map")
    return code_map, registry


def confirmed_codes(aliases: list[tuple[str, str]]) -> dict[str, str]:
    """file code → school code the region confirmed: the alias rows (file_code, school_code) of
    reference/school_aliases.csv whose name column holds a code — a number or a ФИС ОКО login —
    not a school's name (a code of the other kind matched by digits, or one fitting several
    schools, confirmed once instead of warned about on every run)."""
    return {code: school for code, school in aliases if _kind(code)}


def school_code_map(
    codes: list[str], registry: pd.DataFrame, confirmed: dict[str, str] | None = None
) -> pd.DataFrame:
    """raw_code → school_id, match_rule, candidate_ids. A code the region confirmed
    (`confirmed`: file code → school code, from confirmed_codes) is that school ('alias'; a
    number is confirmed with its leading zeros lost or added too; the school code as the
    registry spells it when it differs only by zeros or prefix). A code the registry lacks is
    the one registry school of its own kind with the same digits: a number without the leading
    zeros a spreadsheet dropped («12345» for «012345», 'leading_zeros'), a ФИС ОКО login under
    another prefix («edu220001» for «sch220001», 'login_prefix'). With none of its kind, the
    one registry school of the other kind with the same digits («220001» or «0220001» for the
    login «sch220001», and back: 'login_digits', reported). Several registry schools fitting
    equally: the code stays itself ('ambiguous', their ids in candidate_ids, reported). With
    no registry school, spellings in the files that differ only by leading zeros or prefix
    are one school (the longest number, the first login: '…_in_files'); every other code is
    itself."""
    known = set(registry["school_id"])
    numbers: dict[str, list[str]] = {}  # digits without leading zeros → registry codes
    logins: dict[str, list[str]] = {}
    for code in sorted(known):
        kind = _kind(code)
        if kind:
            (numbers if kind == "number" else logins).setdefault(_digits(code), []).append(code)
    in_files: dict[tuple[str, str], list[str]] = {}  # (kind, digits) → unregistered spellings
    for code in codes:
        if code not in known and _kind(code):
            in_files.setdefault((_kind(code), _digits(code)), []).append(code)
    confirmed_by = {_confirmed_key(code): school for code, school in (confirmed or {}).items()}
    rows = []
    for code in codes:
        kind = _kind(code)
        if _confirmed_key(code) in confirmed_by:
            school = _registry_spelling(confirmed_by[_confirmed_key(code)], numbers, logins)
            rows.append((code, school, "alias", None))
            continue
        if code in known or not kind:
            rows.append((code, code, "code", None))
            continue
        digits = _digits(code)
        own, other = (numbers, logins) if kind == "number" else (logins, numbers)
        same, rule = own.get(digits, []), _SAME_KIND_RULE[kind]
        # across kinds only for a login's digits, not for a short number that lost its zeros
        if not same and len(digits) >= 4:
            same, rule = other.get(digits, []), "login_digits"
        if len(same) == 1:
            rows.append((code, same[0], rule, None))
        elif same:
            rows.append((code, code, "ambiguous", ",".join(same)))
        else:
            spellings = in_files[(kind, digits)]
            first = max(spellings, key=len) if kind == "number" else min(spellings)
            rule = _SAME_KIND_RULE[kind] + "_in_files" if first != code else "code"
            rows.append((code, first, rule, None))
    return pd.DataFrame(
        rows, columns=["raw_code", "school_id", "match_rule", "candidate_ids"]
    ).astype({"candidate_ids": "string"})


_LOGIN = re.compile(r"^([A-Za-z]{2,5})_?(\d{4,})$")
_SAME_KIND_RULE = {"number": "leading_zeros", "login": "login_prefix"}


def _registry_spelling(
    code: str, numbers: dict[str, list[str]], logins: dict[str, list[str]]
) -> str:
    """A confirmed school code as the registry spells it: the one registry code of its kind with
    its digits (leading zeros or a login prefix aside), else the code as typed."""
    kind = _kind(code)
    same = (numbers if kind == "number" else logins).get(_digits(code), []) if kind else []
    return same[0] if len(same) == 1 else code


def _confirmed_key(code: str) -> str:
    """A code as a confirmation matches it: a number without its leading zeros (a spreadsheet
    drops or keeps them), a login as written."""
    return (code.lstrip("0") or "0") if code.isdigit() else code


def _kind(code: str) -> str | None:
    """'number' (digits only), 'login' (ФИС ОКО login: letters, then digits) or None."""
    return "number" if code.isdigit() else "login" if _LOGIN.match(code) else None


def _digits(code: str) -> str:
    """The digits of a number or a login without their leading zeros: what one school's codes
    of either kind share (docs/data-contract.md §1, §2 a′)."""
    match = _LOGIN.match(code)
    return (match.group(2) if match else code).lstrip("0")


def school_name_map(
    names: pd.DataFrame, registry: pd.DataFrame, aliases: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(name map, review table). names: municipality_name, school_name, years, source_files;
    registry: school_id, school_name, municipality_name and optional source ('registry', or
    'result_files' for schools only coded result files name); aliases: municipality,
    school_name, school_code. Name map: municipality_name, school_name, school_id, match_rule ∈
    alias / registry / result_files / ambiguous / unmatched / name_only."""
    if "source" not in registry:
        registry = registry.assign(source="registry")
    # rows whose name is a code confirm a code, not a name (school_code_map)
    listed = [
        a
        for a in aliases.itertuples()
        if a.school_name and a.school_code and not _kind(str(a.school_name).strip())
    ]
    # An alias code is read like a result file's: «12» typed for the registry's «0012» (the
    # zeros a spreadsheet drops) is that school, not a new one.
    alias_codes = school_code_map(
        sorted({str(a.school_code).strip() for a in listed}),
        registry[registry["source"] == "registry"],
    )
    code_of = dict(zip(alias_codes["raw_code"], alias_codes["school_id"], strict=True))
    confirmed = {
        (municipality_key(a.municipality), school_name_key(a.school_name)): code_of[
            str(a.school_code).strip()
        ]
        for a in listed
    }
    by_key: dict[tuple[str, str], list[str]] = {}
    sources = dict(zip(registry["school_id"], registry["source"], strict=True))
    registry = registry.assign(
        muni_key=registry["municipality_name"].map(municipality_key),
        name_key=registry["school_name"].map(school_name_key),
    )
    for row in registry.itertuples():
        by_key.setdefault((row.muni_key, row.name_key), []).append(row.school_id)
    mapped, review = [], []
    for row in names.itertuples():
        key = (municipality_key(row.municipality_name), school_name_key(row.school_name))
        alias = confirmed.get(key) or confirmed.get(("", key[1]))
        own = name_school_id(row.municipality_name, row.school_name)
        if alias:
            school_id, rule = alias, "alias"
        elif len(by_key.get(key, [])) == 1:
            school_id = by_key[key][0]
            rule = sources[school_id]
        elif registry.empty:
            school_id, rule = own, "name_only"
        else:
            school_id, rule = own, "ambiguous" if by_key.get(key) else "unmatched"
        mapped.append((row.municipality_name, row.school_name, school_id, rule))
        if rule in ("ambiguous", "unmatched"):
            review += _review_rows(row, key, school_id, rule, registry)
    name_map = pd.DataFrame(
        mapped, columns=["municipality_name", "school_name", "school_id", "match_rule"]
    )
    if registry.empty:
        review += _same_school_suggestions(names, name_map)
    return name_map, pd.DataFrame(review, columns=REVIEW_COLUMNS).astype(REVIEW_TYPES)


def _review_rows(row, key, school_id: str, rule: str, registry: pd.DataFrame) -> list[tuple]:
    """The name with its best registry candidates (same municipality when the registry knows
    it, else the whole region), most similar first; one row without a candidate if none."""
    pool = registry[registry["muni_key"] == key[0]]
    if rule == "ambiguous":  # the registry schools the name fits equally
        pool = pool[pool["name_key"] == key[1]]
    elif pool.empty:
        pool = registry
    scored = sorted(
        ((_similarity(key[1], c.name_key), c) for c in pool.itertuples()),
        key=lambda pair: -pair[0],
    )
    scored = [(s, c) for s, c in scored if s >= MIN_SIMILARITY]
    head = (row.municipality_name, row.school_name, rule, school_id)
    tail = (row.years, row.source_files)
    if not scored:
        return [(*head, None, None, None, None, None, *tail)]
    return [
        (*head, rank, c.school_id, c.school_name, c.municipality_name, round(s, 3), *tail)
        for rank, (s, c) in enumerate(scored[:CANDIDATES], start=1)
    ]


def _same_school_suggestions(names: pd.DataFrame, name_map: pd.DataFrame) -> list[tuple]:
    """Without a registry: a name seen only in some years next to a similar name of the same
    municipality seen only in the other years may be one renamed school — a suggestion."""
    frame = names.merge(name_map, on=["municipality_name", "school_name"])
    frame = frame.assign(
        muni_key=frame["municipality_name"].map(municipality_key),
        name_key=frame["school_name"].map(school_name_key),
        year_set=frame["years"].map(lambda y: frozenset(str(y).split(","))),
    )
    ids = frame.groupby("school_id").agg(
        municipality_name=("municipality_name", "first"),
        school_name=("school_name", "first"),
        muni_key=("muni_key", "first"),
        name_key=("name_key", "first"),
        year_set=("year_set", lambda s: frozenset().union(*s)),
        years=("years", lambda s: ",".join(sorted(set(",".join(s).split(","))))),
        source_files=("source_files", lambda s: ",".join(sorted(set(",".join(s).split(","))))),
    )
    all_years = frozenset().union(*ids["year_set"]) if len(ids) else frozenset()
    rows = []
    for school_id, item in ids[ids["year_set"] != all_years].iterrows():
        others = ids[
            (ids["muni_key"] == item.muni_key)
            & ids["year_set"].map(lambda ys, mine=item.year_set: not ys & mine)
        ]
        scored = sorted(
            ((_similarity(item.name_key, o.name_key), other_id, o) for other_id, o in
             others.iterrows()),
            key=lambda triple: -triple[0],
        )  # fmt: skip
        for rank, (similarity, other_id, other) in enumerate(
            [t for t in scored if t[0] >= SAME_SCHOOL_SIMILARITY][:CANDIDATES], start=1
        ):
            rows.append(
                (item.municipality_name, item.school_name, "name_only", school_id, rank,
                 other_id, other.school_name, other.municipality_name, round(similarity, 3),
                 item.years, item.source_files)
            )  # fmt: skip
    return rows


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()
