"""Which source gives each context component of a school-year (docs/methodology.md): the social
passport, the school conditions derived from the registry and the pupil counts, or the ФИС ОКО
questionnaire. Where several give the same component for a school-year, the first wins:
passport, then derived (registry first), then questionnaire."""

from __future__ import annotations

import pandas as pd

KEYS = ["school_id", "exam_year"]
SOURCES = ("passport", "derived", "questionnaire")


def context_school_years(passport: pd.DataFrame, questionnaire: pd.DataFrame) -> pd.DataFrame:
    """School-years with a passport or a questionnaire: the ШНСУ population of the year."""
    frames = [f[KEYS] for f in (passport, questionnaire) if not f.empty]
    if not frames:
        return pd.DataFrame({"school_id": pd.Series(dtype=object), "exam_year": []}).astype(
            {"exam_year": "int64"}
        )
    years = pd.concat(frames, ignore_index=True).astype({"exam_year": "int64"})
    return years.drop_duplicates(ignore_index=True)


def combined_components(
    passport: pd.DataFrame, derived: pd.DataFrame, questionnaire: pd.DataFrame
) -> pd.DataFrame:
    """Long components (school_id, exam_year, component, share, source): per school × year ×
    component the first source of passport, derived, questionnaire that gives it."""
    frames = []
    for source, frame in zip(SOURCES, (passport, derived, questionnaire), strict=True):
        part = frame[[*KEYS, "component", "share"]].dropna(subset=["share"])
        frames.append(part.astype({"exam_year": "int64", "share": "float64"}).assign(source=source))
    combined = pd.concat(frames, ignore_index=True)
    combined = combined.drop_duplicates([*KEYS, "component"], keep="first", ignore_index=True)
    return combined


def context_sources(components: pd.DataFrame) -> pd.DataFrame:
    """Per school × year: `context_source`, the documents its components came from
    («passport», «questionnaire» or «passport+questionnaire»; derived ones are not counted)."""
    given = components[components["source"] != "derived"]
    sources = (
        given.groupby(KEYS)["source"]
        .agg(lambda s: "+".join(sorted(set(s), key=SOURCES.index)))
        .rename("context_source")
        .reset_index()
    )
    return sources
