"""Sheets of support planning (partner pairs, targeted recommendations): columns with Russian
headers, shared by the annual list and the comparative and municipal workbooks."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from shnor import russian
from shnor.reports.workbook import PERCENT, Column

EARTH_RADIUS_KM = 6371.0

PAIR_COLUMNS = (
    Column("municipality_name", "Муниципалитет ШНОР", 24),
    Column("school_id", "Код ШНОР", 12),
    Column("school_name", "ШНОР", 36),
    Column("tutor_school_id", "Код школы-тьютора", 12),
    Column("tutor_school_name", "Школа-тьютор", 36),
    Column("tutor_municipality_name", "Муниципалитет тьютора", 24),
    Column("tutor_kind", "Почему тьютор", 22),
    Column("road_km", "Расстояние между школами, км (по прямой)", 11, "0", missing="нет координат"),
    Column("distance", "Различие школ по признакам (0 — одинаковые; меньше — ближе)", 13, "0.00"),
    Column("is_same_municipality", "Тот же муниципалитет", 11),
    Column("reason_text", "Обоснование пары", 80),
)

# A difference of two shares reads in percentage points, as in the recommendation's text.
POINTS = '0.0" п.п."'
SHORTFALL_HEADER = "Отставание от региона с учётом размера выборки, п.п."

RECOMMENDATION_COLUMNS = (
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 36),
    Column("school_group", "Школа в списке", 12),
    Column("rank", "№", 5, "0"),
    Column("procedure_name", "Процедура", 28),
    Column("result_count", "Результатов", 10, "0"),
    Column("value_text", "Доля неудач (доверительный интервал)", 20, missing="—"),
    Column("regional_value", "По региону", 11, PERCENT),
    Column("shortfall_points", SHORTFALL_HEADER, 12, POINTS),
    Column("weak_tasks", "Слабые задания ВПР", 60, missing="не выделены"),
    Column("measure", "Что сделать", 60),
    Column("text", "Рекомендация", 90),
)


OBJECTIVITY_COLUMNS = (
    Column("agreement_label", "Совпадение", 24),
    Column("municipality_name", "Муниципалитет", 24),
    Column("school_id", "Код ОО", 12),
    Column("school_name", "Наименование ОО", 36),
    Column("is_on_fioco_list", "В списке ФИОКО", 10),
    Column("has_shnor_concern", "Вопросы по маркерам shnor", 12),
    Column("fioco_procedures", "Процедуры в списке ФИОКО", 40),
    Column("shnor_procedures", "Процедуры с маркерами shnor", 60),
    Column("common_procedure_count", "Общих процедур", 10, "0"),
)


NO_FIOCO_LIST = (
    "Нет строк: список ФИОКО за этот год не загружен (положите его в raw/objectivity/<год>/) "
    "или в нём, как и по маркерам shnor, нет ни одной школы."
)


def objectivity_sheet(
    marts: Mapping[str, pd.DataFrame], year: int
) -> tuple[str, pd.DataFrame, tuple[Column, ...], str]:
    """«Объективность ФИОКО и shnor»: the year's rows of rpt_objectivity_comparison (and what
    the sheet says when it has none)."""
    frame = marts.get("rpt_objectivity_comparison")
    if frame is None:
        frame = pd.DataFrame(columns=[c.field for c in OBJECTIVITY_COLUMNS] + ["exam_year"])
    rows = frame[frame["exam_year"] == year]
    return ("Объективность ФИОКО и shnor", rows, OBJECTIVITY_COLUMNS, NO_FIOCO_LIST)


def for_scope(frame: pd.DataFrame, year: int, municipality: str | None) -> pd.DataFrame:
    """A report table's rows of one year (and one municipality when given), taken at once."""
    chosen = frame["exam_year"] == year
    if municipality is not None:
        chosen &= frame["municipality_name"] == municipality
    return frame[chosen]


def pair_kilometres(pairs: pd.DataFrame, schools: pd.DataFrame | None) -> pd.Series:
    """Great-circle kilometres between each school and its tutor (NaN without coordinates or
    without a tutor): how far a teacher would travel, beside the pair's reason."""
    if schools is None or pairs.empty or "latitude" not in schools:
        return pd.Series(np.nan, index=pairs.index, dtype=float)
    where = schools.set_index("school_id")[["latitude", "longitude"]].astype(float)
    own = where.reindex(pairs["school_id"]).to_numpy()
    tutor = where.reindex(pairs["tutor_school_id"]).to_numpy()
    return pd.Series(
        great_circle_km(own[:, 0], own[:, 1], tutor[:, 0], tutor[:, 1]), index=pairs.index
    )


def great_circle_km(lat1, lon1, lat2, lon2):
    """Kilometres along the Earth's surface between points given in degrees (arrays or
    numbers; NaN where a coordinate is missing)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float))
                              for v in (lat1, lon1, lat2, lon2))  # fmt: skip
    h = np.sin((lat2 - lat1) / 2) ** 2 + (
        np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def support_sheets(
    marts: Mapping[str, pd.DataFrame], year: int, municipality: str | None = None
) -> list[tuple[str, pd.DataFrame, tuple[Column, ...]]]:
    """(sheet name, rows, columns) of «Сетевые пары» and «Рекомендации» for one year."""
    pairs = marts["rpt_partner_pairs"]
    chosen = pairs["exam_year"] == year
    if municipality is not None:
        chosen &= pairs["municipality_name"].eq(municipality) | pairs["tutor_municipality_name"].eq(
            municipality
        )
    pairs = pairs[chosen]
    pairs = pairs.assign(road_km=pair_kilometres(pairs, marts.get("dim_schools")))
    recommendations = for_scope(marts["rpt_recommendations"], year, municipality)
    recommendations = recommendations.assign(
        shortfall_points=100 * recommendations["shrunk_shortfall"],
        value_text=[
            russian.share_with_interval(*shares)
            for shares in recommendations[["value", "value_lower", "value_upper"]].itertuples(
                index=False, name=None
            )
        ],
    )
    return [
        ("Сетевые пары", pairs, PAIR_COLUMNS),
        ("Рекомендации", recommendations, RECOMMENDATION_COLUMNS),
    ]
