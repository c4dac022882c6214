"""Which school each result row is: result codes mapped to the registry (leading zeros
restored), summary names matched to schools, the names left for the analyst to confirm, and the
warnings about both (docs/data-contract.md)."""

from __future__ import annotations

import duckdb
import pandas as pd

from shnor import warehouse
from shnor.ingest.school_matching import school_name_map, update_school_code_map
from shnor.problems import Problem, forget_problems, record_problems
from shnor.russian import counted
from shnor.sql import map_query


def map_schools(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """staging.stg_school_code_map (result codes → registry codes, leading zeros restored),
    staging.stg_school_name_map (summary names → school ids) and marts.review_school_matches
    (names for the analyst to confirm), with warnings in ops.problems (docs/data-contract.md)."""
    code_map, registry = update_school_code_map(con)
    named = con.execute(map_query("result_file_schools")).df()
    names = con.execute(map_query("summary_school_names")).df()
    aliases = con.execute(
        "SELECT CAST(municipality AS VARCHAR) AS municipality, "
        "CAST(school_name AS VARCHAR) AS school_name, "
        "CAST(school_code AS VARCHAR) AS school_code FROM ref.school_aliases"
    ).df()
    # schools coded result files name, where the registry does not have them
    recoded = dict(zip(code_map["raw_code"], code_map["school_id"], strict=True))
    named = named.assign(school_id=named["school_id"].map(lambda code: recoded.get(code, code)))
    named = named[~named["school_id"].isin(registry["school_id"])].drop_duplicates("school_id")
    known = pd.concat(
        [
            registry.assign(source="registry"),
            named.fillna({"municipality_name": ""}).assign(source="result_files"),
        ],
        ignore_index=True,
    )
    name_map, review = school_name_map(names, known, aliases.fillna(""))
    counts = {
        "staging.stg_school_code_map": len(code_map),
        "staging.stg_school_name_map": warehouse.replace_table(
            con,
            "staging.stg_school_name_map",
            name_map.astype({"municipality_name": "string", "school_name": "string"}),
        ),
        "marts.review_school_matches": warehouse.replace_table(
            con, "marts.review_school_matches", review
        ),
    }
    by_digits = code_map.loc[code_map["match_rule"] == "login_digits", "raw_code"].tolist()
    code_files = con.execute(map_query("raw_school_code_files"), {"codes": by_digits}).df()
    forget_problems(con, IDENTITY_RULES)
    record_problems(con, identity_problems(code_map, name_map, names, code_files))
    return counts


IDENTITY_RULES = (
    "school_code_leading_zeros",
    "school_code_login_digits",
    "school_code_ambiguous",
    "school_name_unmatched",
    "school_name_ambiguous",
)


def identity_problems(
    code_map: pd.DataFrame,
    name_map: pd.DataFrame,
    names: pd.DataFrame,
    code_files: pd.DataFrame | None = None,
) -> list[Problem]:
    """Warnings: codes merged across leading zeros, codes fitting several registry schools,
    names left to the review table; codes merged across kinds (a number and a login with the
    same digits: a guess for the analyst to confirm) once per file that spells them
    (`code_files`: source_file, school_code)."""
    problems = [
        Problem(
            "(все файлы)",
            "school_code_leading_zeros",
            "warning",
            f"код ОО «{row.raw_code}» и «{row.school_id}» "
            + ("в реестре " if row.match_rule == "leading_zeros" else "в других файлах ")
            + f"различаются только ведущими нулями: это одна школа с кодом «{row.school_id}»",
            "ничего делать не нужно; если это разные школы, исправьте код в файле",
            column="Код ОО",
            value=row.raw_code,
        )
        for row in code_map[code_map["match_rule"].str.startswith("leading_zeros")].itertuples()
    ]
    problems += login_digits_problems(code_map, code_files)
    problems += [
        Problem(
            "(все файлы)",
            "school_code_ambiguous",
            "warning",
            f"код ОО «{row.raw_code}» подходит к нескольким школам реестра "
            f"({', '.join(row.candidate_ids.split(','))}): не сопоставлен ни с одной, "
            "оценивается отдельно под своим кодом",
            f"укажите, какая это школа: добавьте в reference/school_aliases.csv строку "
            f"«,{row.raw_code},КОД» — муниципалитет пустой, код из файла в столбце school_name, "
            f"вместо КОД код нужной школы ({' или '.join(row.candidate_ids.split(','))}); "
            "или исправьте код в файле; затем запустите расчёт снова",
            column="Код ОО",
            value=row.raw_code,
        )
        for row in code_map[code_map["match_rule"] == "ambiguous"].itertuples()
    ]
    sources = {
        (row.municipality_name, row.school_name): row.source_files for row in names.itertuples()
    }
    for row in name_map[name_map["match_rule"].isin(["unmatched", "ambiguous"])].itertuples():
        ambiguous = row.match_rule == "ambiguous"
        problems.append(
            Problem(
                sources.get((row.municipality_name, row.school_name), "(все файлы)").split(",")[0],
                "school_name_ambiguous" if ambiguous else "school_name_unmatched",
                "warning",
                f"школа «{row.school_name}» ({row.municipality_name}) "
                + ("подходит к нескольким школам реестра" if ambiguous else "не найдена в реестре")
                + ": оценивается отдельно под своим названием, кандидаты — в review_school_matches",
                "подтвердите соответствие строкой в reference/school_aliases.csv "
                "(муниципалитет, название как в файле, код ОО)",
                column="Образовательная организация",
                value=row.school_name,
            )
        )
    return problems


def login_digits_problems(
    code_map: pd.DataFrame, code_files: pd.DataFrame | None, shown: int = 3
) -> list[Problem]:
    """One warning per file whose codes were matched to registry schools of the other kind by
    their digits alone (a number «220001» to the login «sch220001», or back): how many, a few
    examples, and what to check — a guess that may join two schools."""
    matched = code_map[code_map["match_rule"] == "login_digits"]
    if matched.empty:
        return []
    school_of = dict(zip(matched["raw_code"], matched["school_id"], strict=True))
    files: dict[str, list[str]] = {}
    if code_files is not None:
        for row in code_files.itertuples():
            if row.school_code in school_of:
                files.setdefault(row.source_file, []).append(row.school_code)
    placed = {code for codes in files.values() for code in codes}
    unplaced = sorted(set(school_of) - placed)
    if unplaced:
        files["(все файлы)"] = unplaced
    problems = []
    for source_file, codes in sorted(files.items()):
        codes = sorted(set(codes))
        examples = ", ".join(f"«{code}» → «{school_of[code]}»" for code in codes[:shown])
        more = f" и ещё {len(codes) - shown}" if len(codes) > shown else ""
        problems.append(
            Problem(
                source_file,
                "school_code_login_digits",
                "warning",
                "коды ОО, которых нет в реестре, сопоставлены со школами реестра другого вида "
                "(число и логин ФИС ОКО) только по одним цифрам — "
                f"{counted(len(codes), 'код')}: {examples}{more}",
                login_digits_action(
                    [(code, school_of[code]) for code in codes[:shown]], len(codes) - shown
                ),
                column="Код ОО",
                value=", ".join(codes[:shown]) + ("…" if more else ""),
            )
        )
    return problems


def login_digits_action(pairs: list[tuple[str, str]], more: int) -> str:
    """What the clerk does about codes matched by digits: the exact rows that confirm them in
    reference/school_aliases.csv (a confirmed code is not warned about again), or the fix of a
    code that means another school."""
    rest = (
        f" и так же для остальных пар (ещё {counted(more, 'пара')}; все пары — в "
        "staging.stg_school_code_map, match_rule = login_digits)"
        if more > 0
        else ""
    )
    return (
        "подтвердите сопоставления: добавьте в reference/school_aliases.csv строки "
        f"{alias_rows(pairs)}{rest} — муниципалитет пустой, код из файла в столбце "
        "school_name, код школы из реестра в school_code; подтверждённый код больше не "
        "предупреждается. Если код означает другую школу, впишите в school_code её код (логин) "
        "из реестра (школа не из реестра — сам код из файла) и запустите расчёт снова"
    )


def alias_rows(pairs: list[tuple[str, str]]) -> str:
    """Rows of reference/school_aliases.csv (municipality, school_name, school_code) confirming
    file codes as schools, as the clerk types them: «,220001,sch220001»."""
    return ", ".join(f"«,{code},{school}»" for code, school in pairs)
