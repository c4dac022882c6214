"""The ФИОКО lists of schools with signs of non-objective ВПР results beside shnor's own markers
(docs/methodology.md): whether a listed school-year counts as a concern (a preset choice), and the
comparison a region reads: on both lists, on the ФИОКО list only, on shnor's only."""

from __future__ import annotations

import json

import pandas as pd

from shnor.labels import subject_label
from shnor.methods.objectivity import MARKERS
from shnor.presets import Preset

KEYS = ["school_id", "exam_year"]
AGREEMENT_LABELS = {
    "both": "в обоих списках",
    "fioco_only": "только в списке ФИОКО",
    "shnor_only": "только по маркерам shnor",
}
COMPARISON_COLUMNS = [
    "exam_year",
    "school_id",
    "school_name",
    "municipality_name",
    "agreement",
    "agreement_label",
    "is_on_fioco_list",
    "has_shnor_concern",
    "fioco_procedures",
    "shnor_procedures",
    "common_procedure_count",
]


def listed_school_years(fioco: pd.DataFrame) -> pd.DataFrame:
    """School-years on a ФИОКО list, with the listed procedures as reasons entries."""
    rows = []
    for (school, year), part in fioco.groupby(KEYS, sort=True):
        procedures = sorted(
            {
                (None if pd.isna(g) else int(g), None if pd.isna(s) else str(s))
                for g, s in zip(part["grade"], part["subject"], strict=True)
            },
            key=lambda p: (p[0] or 0, p[1] or ""),
        )
        rows.append({"school_id": school, "exam_year": int(year), "procedures": procedures})
    return pd.DataFrame(rows, columns=[*KEYS, "procedures"])


def with_fioco_list(concerns: pd.DataFrame, fioco: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """`concerns` (objectivity_concerns) with `has_marker_concern` (shnor's markers alone) and
    `is_on_fioco_list`; `has_objectivity_concern` also counts the list when the preset's
    `objectivity.fioco_list_counts_as_concern` says so (its procedures join the reasons)."""
    listed = listed_school_years(fioco)
    frame = concerns.rename(columns={"has_objectivity_concern": "has_marker_concern"})
    frame = frame.astype({"exam_year": "int64"}).merge(
        listed.astype({"exam_year": "int64", "school_id": frame["school_id"].dtype}),
        on=KEYS,
        how="outer",
    )
    frame["is_on_fioco_list"] = frame["procedures"].notna()
    frame["has_marker_concern"] = (
        frame["has_marker_concern"].astype("boolean").fillna(False).astype(bool)
    )
    frame["marked_procedure_count"] = frame["marked_procedure_count"].fillna(0).astype("int64")
    counts = bool(preset["objectivity.fioco_list_counts_as_concern"])
    frame["has_objectivity_concern"] = frame["has_marker_concern"] | (
        frame["is_on_fioco_list"] & counts
    )
    reasons = []
    for text, procedures in zip(frame["objectivity_reasons"], frame["procedures"], strict=True):
        entries = json.loads(text) if isinstance(text, str) else []
        if counts and isinstance(procedures, list):
            entries += [
                {"grade": grade, "subject": subject or "all", "markers": ["fioco_list"]}
                for grade, subject in procedures
            ]
        reasons.append(json.dumps(entries, ensure_ascii=False))
    frame["objectivity_reasons"] = reasons
    columns = [*KEYS, "has_objectivity_concern", "has_marker_concern", "is_on_fioco_list",
               "marked_procedure_count", "objectivity_reasons"]  # fmt: skip
    return frame[columns].sort_values(KEYS, ignore_index=True)


def _procedure_text(grade: object, subject: object) -> str:
    if (grade is None or pd.isna(grade)) and (subject is None or pd.isna(subject)):
        return "вся школа"
    parts = [] if grade is None or pd.isna(grade) else [f"{int(grade)} кл."]
    if subject is not None and not pd.isna(subject):
        parts.append(subject_label(str(subject)))
    return ", ".join(parts)


def objectivity_comparison(
    objectivity: pd.DataFrame,
    markers: pd.DataFrame,
    fioco: pd.DataFrame,
    schools: pd.DataFrame,
) -> pd.DataFrame:
    """Per school × year of a year with a ФИОКО list, for schools on either list: where the
    ФИОКО list and shnor's own concern agree, the procedures each names and how many both."""
    years = set(fioco["exam_year"].dropna().astype(int))
    frame = objectivity[objectivity["exam_year"].isin(years)]
    frame = frame[frame["is_on_fioco_list"] | frame["has_marker_concern"]]
    if frame.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    listed = {
        key: set(zip(part["grade"], part["subject"], strict=True))
        for key, part in fioco.groupby(KEYS)
    }
    marked = markers[markers["marker_count"] > 0]
    own = {key: part for key, part in marked.groupby(KEYS)}
    rows = []
    for school, year, on_list, concern in zip(
        frame["school_id"], frame["exam_year"], frame["is_on_fioco_list"],
        frame["has_marker_concern"], strict=True,
    ):  # fmt: skip
        key = (school, int(year))
        fioco_procedures = sorted(listed.get(key, set()), key=lambda p: (_n(p[0]), str(p[1])))
        part = own.get(key)
        shnor_texts, common = [], 0
        if part is not None:
            for grade, subject, *values in zip(
                part["grade"], part["subject"], *(part[m] for m in MARKERS), strict=True
            ):
                names = [
                    m.split(":")[0] for m, v in zip(MARKERS.values(), values, strict=True) if v
                ]
                shnor_texts.append(f"{_procedure_text(grade, subject)} ({', '.join(names)})")
                common += any(_same_procedure(p, grade, subject) for p in fioco_procedures)
        agreement = "both" if on_list and concern else "fioco_only" if on_list else "shnor_only"
        rows.append(
            {
                "exam_year": int(year),
                "school_id": school,
                "agreement": agreement,
                "agreement_label": AGREEMENT_LABELS[agreement],
                "is_on_fioco_list": bool(on_list),
                "has_shnor_concern": bool(concern),
                "fioco_procedures": "; ".join(_procedure_text(g, s) for g, s in fioco_procedures)
                or None,
                "shnor_procedures": "; ".join(shnor_texts) or None,
                "common_procedure_count": int(common),
            }
        )
    result = pd.DataFrame(rows).merge(
        schools[["school_id", "school_name", "municipality_name"]], on="school_id", how="left"
    )
    order = {"both": 0, "fioco_only": 1, "shnor_only": 2}
    result = result.sort_values(
        ["exam_year", "agreement", "municipality_name", "school_id"],
        key=lambda s: s.map(order) if s.name == "agreement" else s,
        ignore_index=True,
    )
    return result[COMPARISON_COLUMNS]


def _n(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _same_procedure(listed: tuple[object, object], grade: object, subject: object) -> bool:
    """A ФИОКО entry names this procedure: its grade and subject match where it gives them."""
    listed_grade, listed_subject = listed
    grade_ok = listed_grade is None or pd.isna(listed_grade) or int(listed_grade) == int(grade)
    subject_ok = listed_subject is None or pd.isna(listed_subject) or listed_subject == subject
    return bool(grade_ok and subject_ok)
