"""The social-context index of docs/methodology.md: higher = harder conditions.

Each component is z-scored across the year's schools and signed so that higher is harder;
the index is their mean (or the first principal component, oriented the same way). Missing
components are imputed with the year's mean (z = 0) and the imputation is counted per school.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from shnor.presets import Preset

# +1: a higher share means harder conditions; −1: a higher share means easier conditions.
COMPONENT_SIGNS = {
    "parents_higher_education_share": -1,
    "single_parent_share": 1,
    "low_income_share": 1,
    "unemployed_parents_share": 1,
    "on_register_share": 1,
    "non_native_russian_share": 1,
    "disability_share": 1,
    "vacancy_share": 1,
    "top_category_teacher_share": -1,
    "unconfirmed_competence_share": 1,
    # School conditions derived from the registry and the passports' pupil counts.
    "rural_settlement": 1,
    "log_student_count": -1,
    "enrolment_trend": -1,
    # From the ФИС ОКО questionnaire (reference/questionnaire_answers.csv and its counts).
    "settlement_log_population": -1,
    "no_regular_transport": 1,
    "special_school": 1,
    "pension_age_teacher_share": 1,
}


def derived_components(
    schools: pd.DataFrame, enrolment: pd.DataFrame, years: list[int]
) -> pd.DataFrame:
    """School-condition components of docs/methodology.md in the long form of the passport ones:
    rural settlement (1/0), log size (registry pupils, else the passport's) and the enrolment
    trend (log change of the passport's pupils from the year before; shrinking is harder)."""
    rows = []
    known = schools.dropna(subset=["settlement_type"])
    for year in years:
        rows.append(
            pd.DataFrame(
                {
                    "school_id": known["school_id"],
                    "exam_year": year,
                    "component": "rural_settlement",
                    "share": (known["settlement_type"] == "rural").astype(float),
                }
            )
        )
    sizes = enrolment.rename(columns={"student_count": "passport_count"}).merge(
        schools[["school_id", "student_count"]], on="school_id", how="left"
    )
    size = sizes["student_count"].where(sizes["student_count"] > 0, sizes["passport_count"])
    rows.append(
        sizes[["school_id", "exam_year"]].assign(
            component="log_student_count", share=np.log(size.astype(float))
        )
    )
    earlier = enrolment.assign(exam_year=enrolment["exam_year"] + 1)
    trend = enrolment.merge(earlier, on=["school_id", "exam_year"], suffixes=("", "_before"))
    rows.append(
        trend[["school_id", "exam_year"]].assign(
            component="enrolment_trend",
            share=np.log(trend["student_count"] / trend["student_count_before"]),
        )
    )
    frame = pd.concat(rows, ignore_index=True).astype({"exam_year": "int64"})
    return frame[np.isfinite(frame["share"])]


def context_index(components: pd.DataFrame, method: str = "zscore_mean") -> pd.DataFrame:
    """Per school × year: context_index, component and imputed counts, from long components.

    `components`: school_id, exam_year, component, share (one row each; duplicates averaged).
    """
    wide = components.pivot_table(
        index=["school_id", "exam_year"], columns="component", values="share", aggfunc="mean"
    )
    wide = wide[[c for c in COMPONENT_SIGNS if c in wide.columns]]
    if wide.empty:
        return pd.DataFrame(
            columns=["school_id", "exam_year", "context_index", "component_count",
                     "imputed_component_count", "is_context_imputed"]
        )  # fmt: skip
    years = wide.index.get_level_values("exam_year")
    mean = wide.groupby(years).transform("mean")
    sd = wide.groupby(years).transform("std").replace(0, np.nan)
    signs = pd.Series(COMPONENT_SIGNS)[wide.columns]
    # A component every school reports alike carries no contrast (z = 0), but it is not imputed.
    signed_z = ((wide - mean) / sd) * signs
    present = wide.notna()
    filled = signed_z.where(present & sd.notna(), 0.0)
    if method == "pca":
        index = pd.Series(np.nan, index=wide.index)
        for year in np.unique(years):
            rows = years == year
            block = filled[rows]
            if len(block) >= 2 and block.shape[1] >= 1:
                score = PCA(n_components=1).fit_transform(block.to_numpy())[:, 0]
                reference = block.mean(axis=1).to_numpy()
                if np.corrcoef(score, reference)[0, 1] < 0:
                    score = -score
                index[rows] = score
    elif method == "zscore_mean":
        index = filled.sum(axis=1) / signs.size
    else:
        raise ValueError(f"unknown context index method {method!r}")
    result = pd.DataFrame(
        {
            "context_index": index,
            "component_count": present.sum(axis=1),
            "imputed_component_count": (~present).sum(axis=1),
        }
    )
    result["is_context_imputed"] = result["imputed_component_count"] > 0
    return result.reset_index()


def shnsu_mask(index: pd.Series, share: float) -> pd.Series:
    """ШНСУ: context index in the worst `share` of the year's schools (higher = harder)."""
    from shnor.methods.ranking import worst_share_mask

    return worst_share_mask(index, share)


def context_for_years(
    components: pd.DataFrame,
    scores: pd.DataFrame,
    preset: Preset,
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Context index and ШНСУ per school × year of the scores; a year without a passport (or
    questionnaire) uses the school's nearest one, earlier first (recorded in context_year);
    `sources` (school_id, exam_year, context_source) says which documents gave it."""
    components = components.astype({"exam_year": "int64"})
    index = context_index(components, preset["context.index_method"])
    index = index.astype(
        {"school_id": scores["school_id"].dtype, "exam_year": "int64", "context_index": "float64"}
    )
    if sources is not None:
        sources = sources.astype({"school_id": index["school_id"].dtype, "exam_year": "int64"})
        index = index.merge(sources, on=["school_id", "exam_year"], how="left")
    index["is_shnsu"] = index.groupby("exam_year")["context_index"].transform(
        lambda s: shnsu_mask(s, preset["context.shnsu_share"])
    )
    index = index.rename(columns={"exam_year": "context_year"}).sort_values("context_year")
    wanted = scores[["school_id", "exam_year"]].astype({"exam_year": "int64"})
    wanted = wanted.sort_values("exam_year")
    matched = pd.merge_asof(
        wanted,
        index,
        left_on="exam_year",
        right_on="context_year",
        by="school_id",
        direction="nearest",
    )
    # A school with no passport in any year has no index; say so rather than leave it blank.
    matched["is_context_imputed"] = (
        matched["is_context_imputed"].astype("boolean").fillna(True).astype(bool)
    )
    matched["is_shnsu"] = matched["is_shnsu"].astype("boolean").fillna(False).astype(bool)
    return matched.sort_values(["exam_year", "school_id"], ignore_index=True)


# A passport component's column as a reader knows it (the validation report names them so).
COMPONENT_NAMES = {
    "parents_higher_education_share": "доля родителей с высшим образованием",
    "single_parent_share": "доля неполных семей",
    "low_income_share": "доля малообеспеченных семей",
    "unemployed_parents_share": "доля семей с безработными родителями",
    "on_register_share": "доля обучающихся на профилактическом учёте",
    "non_native_russian_share": "доля обучающихся, для которых русский язык не родной",
    "disability_share": "доля обучающихся с ОВЗ",
    "vacancy_share": "доля вакантных ставок",
    "top_category_teacher_share": "доля учителей высшей категории",
    "unconfirmed_competence_share": "доля учителей, не подтвердивших предметные компетенции",
    "pension_age_teacher_share": "доля учителей пенсионного возраста",
}
# How a component reads in a report (what a high signed z-score means for the school).
COMPONENT_LABELS = {
    "parents_higher_education_share": "мало родителей с высшим образованием",
    "single_parent_share": "неполные семьи",
    "low_income_share": "малообеспеченные семьи",
    "unemployed_parents_share": "безработные родители",
    "on_register_share": "обучающиеся на профилактическом учёте",
    "non_native_russian_share": "русский язык не родной",
    "disability_share": "обучающиеся с ОВЗ",
    "vacancy_share": "вакансии педагогов",
    "top_category_teacher_share": "мало учителей высшей категории",
    "unconfirmed_competence_share": "учителя, не подтвердившие предметные компетенции",
    "rural_settlement": "сельская местность",
    "log_student_count": "малочисленная школа",
    "enrolment_trend": "сокращение числа обучающихся",
    "settlement_log_population": "малый населённый пункт",
    "no_regular_transport": "нет регулярного транспорта",
    "special_school": "специальная (коррекционная) школа",
    "pension_age_teacher_share": "учителя пенсионного возраста",
}
# Components held as shares (0–1): shown with the school's and the region's percent.
SHARE_COMPONENTS = {
    name
    for name in COMPONENT_SIGNS
    if name.endswith("_share") and name != "settlement_log_population"
}
DRIVER_Z = 0.5  # a component drives the index when it is this many sd harder than the mean
DRIVER_COUNT = 3


def context_drivers(components: pd.DataFrame, top: int = DRIVER_COUNT) -> pd.DataFrame:
    """Per school × year: the components that make the school's conditions harder than the
    region's mean, hardest first («малообеспеченные семьи 34,0 % (по региону 18,2 %);
    сельская местность»)."""
    from shnor import russian

    columns = ["school_id", "exam_year", "context_drivers"]
    if components.empty:
        return pd.DataFrame(columns=columns)
    wide = components.pivot_table(
        index=["school_id", "exam_year"], columns="component", values="share", aggfunc="mean"
    )
    wide = wide[[c for c in COMPONENT_SIGNS if c in wide.columns]]
    years = wide.index.get_level_values("exam_year")
    mean = wide.groupby(years).transform("mean")
    sd = wide.groupby(years).transform("std").replace(0, np.nan)
    signed_z = ((wide - mean) / sd) * pd.Series(COMPONENT_SIGNS)[wide.columns]
    # Each row's hardest components first (a stable sort: ties keep the components' order),
    # the first `top` of them that pass DRIVER_Z (NaN never does).
    values = signed_z.to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    passes = np.take_along_axis(values, order, axis=1) >= DRIVER_Z
    names, shares, means = list(wide.columns), wide.to_numpy(), mean.to_numpy()
    texts = []
    for row, (hardest, kept) in enumerate(zip(order, passes, strict=True)):
        parts = []
        for column in hardest[kept]:
            name = names[column]
            label = COMPONENT_LABELS.get(name, name)
            if name in SHARE_COMPONENTS:
                label += (
                    f" {russian.percent(shares[row, column])} "
                    f"(по региону {russian.percent(means[row, column])})"
                )
            parts.append(label)
        texts.append("; ".join(parts) if parts else "ни одна составляющая не выделяется")
    result = pd.DataFrame({"context_drivers": texts}, index=signed_z.index).reset_index()
    return result[columns]
