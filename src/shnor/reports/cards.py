"""The school card («карточка школы») of every school on the list or in the risk group of a
year: one offline HTML file per school (`cards/<school>.html`) and a «Карточки» sheet in the
municipal workbook. Formatting only: everything shown comes from the published marts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnor import russian
from shnor.labels import procedure_label, subject_label
from shnor.methods.intervals import wilson_interval
from shnor.presets import Preset
from shnor.reports.charts import svg, years_figure
from shnor.reports.school_list import context_index_text, context_percentiles
from shnor.reports.support_sheets import great_circle_km
from shnor.reports.workbook import safe_text, set_print_setup, write_title

CARDS_DIR = "cards"
SHEET = "Карточки"


@dataclass(frozen=True)
class Card:
    """What one school's card shows (texts and small tables, ready to print)."""

    school_id: str
    school_name: str
    municipality_name: str
    year: int
    status: str
    reason_text: str
    years: list[dict[str, Any]]
    procedures: list[dict[str, Any]]
    flag_procedures: list[str]
    context: str
    objectivity: str
    partner: str
    recommendations: list[str]
    classes: list[str]
    mock_warnings: list[str]


def card_file(school_id: str) -> str:
    """The card's file name: the code when it is a safe name, else a hash of it."""
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", school_id):
        return f"{school_id.lower()}.html"
    return f"school-{hashlib.sha1(school_id.encode('utf-8')).hexdigest()[:12]}.html"


def card_link(school_id: str) -> str:
    """The relative link from a page in reports/ to the school's card."""
    return f"{CARDS_DIR}/{card_file(school_id)}"


def carded_schools(
    marts: Mapping[str, pd.DataFrame], year: int, municipality: str | None = None
) -> pd.DataFrame:
    """The year's rows of rpt_school_list that get a card: on the list or in the risk group
    (of one municipality when given)."""
    rows = marts["rpt_school_list"]
    chosen = (rows["exam_year"] == year) & (rows["is_on_shnor_list"] | rows["is_risk_group"])
    if municipality is not None:
        chosen &= rows["municipality_name"] == municipality
    return rows[chosen].sort_values(["municipality_name", "school_name", "school_id"])


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _km(a: pd.Series, b: pd.Series) -> float:
    """Great-circle distance between two schools of dim_schools (NaN without coordinates)."""
    return float(great_circle_km(a["latitude"], a["longitude"], b["latitude"], b["longitude"]))


@dataclass(frozen=True)
class CardBasis:
    """What the cards of a year draw on, prepared once for the region (vectorised, before the
    report jobs fork): each job then makes the cards of its own schools (`cards_of`)."""

    year: int
    chosen: pd.DataFrame
    results: dict[str, pd.DataFrame]
    pooled_years: dict[str, pd.DataFrame]
    regional: dict[int, float]
    schools: pd.DataFrame
    pairs: pd.DataFrame
    recommendations: dict[str, list[str]]
    classes: dict[str, pd.DataFrame]
    mock: dict[str, pd.DataFrame]
    percentiles: dict[str, float]
    drivers: dict[str, str]
    shnsu_share: float

    def municipalities(self) -> dict[str, int]:
        """The municipalities with cards and how many each has."""
        return self.chosen["municipality_name"].value_counts().to_dict()


def card_basis(
    marts: Mapping[str, pd.DataFrame], year: int, preset: Preset, municipality: str | None = None
) -> CardBasis:
    """The region-wide part of the year's cards (of one municipality's schools if given)."""
    chosen = carded_schools(marts, year, municipality)
    ids = set(chosen["school_id"])
    results = marts["fct_school_procedure_results"]
    results = results[results["participant_count"] > 0]
    pooled = results.groupby("exam_year")[["fail_count", "participant_count"]].sum()
    by_procedure = results.groupby(
        ["exam_year", "exam", "grade", "subject"], dropna=False, as_index=False
    )[["fail_count", "participant_count"]].sum()
    level = preset["indicators.interval_confidence"]
    own = _with_intervals(
        results[results["school_id"].isin(ids)].merge(
            by_procedure, on=["exam_year", "exam", "grade", "subject"], how="left",
            suffixes=("", "_region"),
        ),
        level,
    )  # fmt: skip
    pairs = marts["rpt_partner_pairs"]
    pairs = pairs[(pairs["exam_year"] == year) & pairs["school_id"].isin(ids)].set_index(
        "school_id"
    )
    recommendations = marts["rpt_recommendations"]
    recommendations = recommendations[
        (recommendations["exam_year"] == year) & recommendations["school_id"].isin(ids)
    ]
    year_rows = marts["rpt_school_list"]
    year_rows = year_rows[year_rows["exam_year"] == year]
    return CardBasis(
        year=year,
        chosen=chosen,
        results=dict(tuple(own.groupby("school_id", sort=False))),
        pooled_years=_pooled_years(own, level),
        regional=(pooled["fail_count"] / pooled["participant_count"]).to_dict(),
        schools=marts["dim_schools"].set_index("school_id"),
        pairs=pairs,
        recommendations=recommendations.groupby("school_id", sort=False)["text"]
        .agg(list)
        .to_dict(),
        classes=_of_year(marts.get("fct_class_support_signals"), year, ids, "is_support_needed",
                         ["grade", "subject", "class_label"]),
        mock=_of_year(marts.get("fct_school_early_warning"), year, ids, "is_early_warning",
                      ["grade", "subject"]),
        percentiles=dict(zip(year_rows["school_id"],
                             context_percentiles(year_rows["context_index"]), strict=True)),
        drivers=_drivers(marts.get("fct_school_context_drivers"), year),
        shnsu_share=preset["context.shnsu_share"],
    )  # fmt: skip


def cards_of(basis: CardBasis, municipality: str | None = None) -> list[Card]:
    """The cards of the basis's schools (of one municipality if given), in the list's order."""
    chosen = basis.chosen
    if municipality is not None:
        chosen = chosen[chosen["municipality_name"] == municipality]
    cards = []
    for row in chosen.itertuples():
        cards.append(
            Card(
                school_id=row.school_id,
                school_name=_text(row.school_name) or row.school_id,
                municipality_name=_text(row.municipality_name),
                year=basis.year,
                status=_text(row.status),
                reason_text=_text(row.reason_text),
                years=_years(basis.pooled_years.get(row.school_id), basis.regional),
                procedures=_procedures(basis.results.get(row.school_id)),
                flag_procedures=_flag_procedures(row.reasons),
                context=_context(row, basis.percentiles.get(row.school_id),
                                 basis.drivers.get(row.school_id), basis.shnsu_share),
                objectivity=(
                    "Результаты ВПР требуют дополнительного анализа объективности: в оценке не "
                    "учитывались, выход из ШНОР и статусы «стабильно высокие» / «резильентная» "
                    "невозможны."
                    if row.has_objectivity_concern
                    else "Вопросов к объективности ВПР по маркерам нет."
                ),
                partner=_partner(basis.pairs, basis.schools, row.school_id),
                recommendations=basis.recommendations.get(row.school_id, []),
                classes=_classes(basis.classes.get(row.school_id)),
                mock_warnings=_mock(basis.mock.get(row.school_id)),
            )
        )  # fmt: skip
    return cards


def school_cards(
    marts: Mapping[str, pd.DataFrame], year: int, preset: Preset, municipality: str | None = None
) -> list[Card]:
    """The cards of the year's listed and risk-group schools (of one municipality if given)."""
    return cards_of(card_basis(marts, year, preset, municipality), municipality)


def _pooled_years(own: pd.DataFrame, level: float) -> dict[str, pd.DataFrame]:
    """Each school's pooled fails and participants per year with the Wilson bounds (one
    grouping for all the cards of a call, by school)."""
    pooled = own.groupby(["school_id", "exam_year"], as_index=False)[
        ["fail_count", "participant_count"]
    ].sum()
    low, high = wilson_interval(pooled["fail_count"], pooled["participant_count"], level)
    pooled = pooled.assign(lower=np.asarray(low), upper=np.asarray(high))
    return dict(tuple(pooled.sort_values("exam_year").groupby("school_id", sort=False)))


def _years(pooled: pd.DataFrame | None, regional: dict[int, float]) -> list[dict]:
    """The school's pooled fail share per year with its interval, beside the region's."""
    if pooled is None:
        return []
    return [
        {
            "year": int(year),
            "n": int(n),
            "share": k / n,
            "lower": float(lo),
            "upper": float(hi),
            "regional": regional[year],
        }
        for year, k, n, lo, hi in zip(pooled["exam_year"], pooled["fail_count"],
                                      pooled["participant_count"], pooled["lower"],
                                      pooled["upper"], strict=True)
    ]  # fmt: skip


@lru_cache(maxsize=65536)
def _share(tenths_of_percent: int) -> str:
    return russian.percent(tenths_of_percent / 1000)


@lru_cache(maxsize=65536)
def _share_range(lower: int, upper: int) -> str:
    return russian.percent_range(lower / 1000, upper / 1000)


def _with_intervals(frame: pd.DataFrame, level: float) -> pd.DataFrame:
    """Results with the Wilson bounds of each fail share and its procedure's name."""
    low, high = wilson_interval(frame["fail_count"], frame["participant_count"], level)
    names = {
        key: procedure_label(key[0], None if pd.isna(key[1]) else int(key[1]), key[2])
        for key in set(zip(frame["exam"], frame["grade"], frame["subject"], strict=True))
    }
    return frame.assign(
        lower=np.asarray(low),
        upper=np.asarray(high),
        procedure_name=[names[k] for k in zip(frame["exam"], frame["grade"], frame["subject"],
                                              strict=True)],
    )  # fmt: skip


def _procedures(mine: pd.DataFrame | None) -> list[dict]:
    """Per procedure: «доля (интервал), n; регион …» for each year it was written."""
    if mine is None:
        return []
    rows: dict[str, dict[int, str]] = {}
    columns = ("procedure_name", "exam_year", "fail_count", "participant_count", "lower",
               "upper", "fail_count_region", "participant_count_region")  # fmt: skip
    for name, year, k, n, lower, upper, k_region, n_region in zip(
        *(mine[c].tolist() for c in columns), strict=True
    ):
        # shares in tenths of a percent: the same few hundred values recur (formatted once)
        share = round(1000 * k / n)
        region = round(1000 * k_region / n_region)
        rows.setdefault(name, {})[int(year)] = (
            f"{_share(share)} ({_share_range(round(1000 * lower), round(1000 * upper))}), "
            f"n = {n}; регион {_share(region)}"
        )
    return [{"name": name, "cells": rows[name]} for name in sorted(rows)]


def _flag_procedures(reasons_json: object) -> list[str]:
    """The procedures the reasons name (rule-level evidence), as «ВПР, … — 50,0 %, n = 10»."""
    if not isinstance(reasons_json, str):
        return []
    named = []
    for reason in json.loads(reasons_json):
        for p in reason.get("procedures", []):
            text = procedure_label(p["exam"], p.get("grade"), p["subject"])
            if p.get("fail_share") is not None:
                text += f" — доля неудач {russian.percent(p['fail_share'])}"
            if p.get("participant_count") is not None:
                text += f", n = {p['participant_count']}"
            if text not in named:
                named.append(text)
    return named


def _drivers(frame: pd.DataFrame | None, year: int) -> dict[str, str]:
    """The year's context drivers by school (fct_school_context_drivers), the ШНСУ sheet's text."""
    if frame is None or frame.empty:
        return {}
    rows = frame[(frame["exam_year"] == year) & frame["context_drivers"].notna()]
    return dict(zip(rows["school_id"], rows["context_drivers"], strict=True))


def _context(row, percentile: float | None, drivers: str | None, share: float) -> str:
    """The context index, its percentile and the components that drive it (as on «ШНСУ»)."""
    if pd.isna(row.context_index):
        return "Индекс социального контекста не вычислен (нет данных о контексте)."
    shnsu = ("школа, функционирующая в неблагоприятных социальных условиях (ШНСУ)"
             if row.is_shnsu else "не ШНСУ")  # fmt: skip
    parts = [
        context_index_text(row.context_index, percentile, share) + " Выше — неблагоприятнее.",
        f"Статус: {shnsu}; положение: {_text(row.quadrant) or 'не указано'}.",
    ]
    if drivers:
        parts.append(
            f"Что делает условия сложными (по сравнению со средним по региону): {drivers}."
        )
    return " ".join(parts)


def _partner(pairs: pd.DataFrame, schools: pd.DataFrame, school_id: str) -> str:
    if school_id not in pairs.index:
        return "Школа-тьютор не подбирается (школа не в списке ШНОР)."
    pair = pairs.loc[school_id]
    if isinstance(pair, pd.DataFrame):
        pair = pair.iloc[0]
    tutor = pair["tutor_school_id"]
    if not isinstance(tutor, str):
        return _text(pair["reason_text"])
    text = f"{_text(pair['tutor_school_name'])} ({_text(pair['tutor_municipality_name'])})"
    if school_id in schools.index and tutor in schools.index:
        km = _km(schools.loc[school_id], schools.loc[tutor])
        if np.isfinite(km):
            text += f", {russian.number(km, 0)} км"
    return f"{text}. {_text(pair['reason_text'])}"


def _of_year(
    frame: pd.DataFrame | None, year: int, ids: set[str], flag: str, order: list[str]
) -> dict[str, pd.DataFrame]:
    """The flagged rows of a mart for the year's carded schools, by school, in `order`."""
    if frame is None or frame.empty:
        return {}
    rows = frame[(frame["exam_year"] == year) & frame["school_id"].isin(ids) & frame[flag]]
    return dict(tuple(rows.sort_values(order).groupby("school_id", sort=False)))


def _classes(rows: pd.DataFrame | None) -> list[str]:
    if rows is None:
        return []
    return [
        f"{procedure_label('vpr', r.grade, r.subject)}, класс {r.class_label}: доля «2» "
        f"{russian.percent(r.fail_share)} (n = {r.participant_count}) при "
        f"{russian.percent(r.other_classes_fail_share)} в других классах школы и "
        f"{russian.percent(r.region_fail_share)} по региону"
        for r in rows.itertuples()
    ]


def _mock(rows: pd.DataFrame | None) -> list[str]:
    if rows is None:
        return []
    exams = {9: "ОГЭ", 11: "ЕГЭ"}
    texts = []
    for r in rows.itertuples():
        text = (
            f"{exams.get(int(r.grade), f'{int(r.grade)} кл.')}, {subject_label(r.subject)}: "
            f"репетиционный экзамен — доля неудач {russian.percent(r.mock_fail_share)} "
            f"(n = {r.mock_participant_count}), прогноз на экзамене "
            f"{russian.percent(r.predicted_fail_share)}"
        )
        if pd.notna(r.main_fail_share):
            text += f"; на экзамене {russian.percent(r.main_fail_share)}"
        texts.append(text)
    return texts


def card_chart(card: Card, level: float) -> str:
    """The card's small chart: the school's fail share by year with its `level` intervals and
    the region's share."""
    years = card.years
    figure = years_figure(
        [y["year"] for y in years], [y["share"] for y in years], [y["lower"] for y in years],
        [y["upper"] for y in years], [y["regional"] for y in years],
        [f"{card.school_name}, {y['year']}: "
         f"{russian.share_with_interval(y['share'], y['lower'], y['upper'])}, n = {y['n']}"
         for y in years],
        legend=False, level=level, reuse=True,
    )  # fmt: skip
    return svg(figure, f"Доля неудач по годам: {card.school_name}")


def write_cards(
    cards: list[Card], preset: Preset, environment, folder: Path, back_link: str | None = None
) -> list[Path]:
    """One HTML file per card in `folder` (created); the chart is drawn once per school."""
    folder.mkdir(parents=True, exist_ok=True)
    template = environment.get_template("card.html.j2")
    generated_at = dt.datetime.now().strftime("%d.%m.%Y %H:%M")
    level = preset["indicators.interval_confidence"]
    written = []
    for card in cards:
        path = folder / card_file(card.school_id)
        page = template.render(
            card=card,
            chart=card_chart(card, level) if card.years else None,
            level=russian.percent(level, 0),
            preset=preset,
            generated_at=generated_at,
            back_link=back_link,
        )
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written


def write_cards_sheet(workbook, cards: list[Card], title: Sequence[str] = ()) -> None:
    """«Карточки»: the title block, then one block per school (name, then «what — text» rows,
    then a blank row); printed on A4 landscape, fit to width."""
    sheet = workbook.add_worksheet(SHEET)
    line = write_title(workbook, sheet, title)
    set_print_setup(sheet, None)
    bold = workbook.add_format({"bold": True, "font_size": 12, "bg_color": "#E8F0FA"})
    key = workbook.add_format({"bold": True, "valign": "top", "text_wrap": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 120)
    if not cards:
        sheet.write_string(line, 0, "Нет школ в списке ШНОР и в группе риска.")
        return
    for card in cards:
        sheet.merge_range(line, 0, line, 1, safe_text(
            f"{card.school_name} ({card.school_id}), {card.municipality_name}"), bold)  # fmt: skip
        line += 1
        for name, value in card_rows(card):
            sheet.write_string(line, 0, name, key)
            sheet.write_string(line, 1, safe_text(value), wrap)
            line += 1
        line += 1


def card_rows(card: Card) -> list[tuple[str, str]]:
    """The card as «what — text» rows (the workbook sheet)."""
    years = "; ".join(
        f"{y['year']}: {russian.share_with_interval(y['share'], y['lower'], y['upper'])}, "
        f"n = {y['n']} "
        f"(регион {russian.percent(y['regional'])})"
        for y in card.years
    )
    numbered = [f"{i}. {text}" for i, text in enumerate(card.recommendations, 1)]
    return [
        ("Статус", card.status),
        ("Основания", card.reason_text),
        ("Доля неудач по годам", years or "нет результатов"),
        ("Процедуры — основания отметки", "; ".join(card.flag_procedures) or "нет"),
        ("Социальный контекст", card.context),
        ("Объективность", card.objectivity),
        ("Школа-тьютор", card.partner),
        ("Рекомендации", "\n".join(numbered) or "нет"),
        ("Классы, которым нужна поддержка", "\n".join(card.classes) or "нет"),
        ("Раннее предупреждение (репетиционные экзамены)", "\n".join(card.mock_warnings) or "нет"),
    ]
