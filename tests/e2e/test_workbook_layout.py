"""The annual list, the appendix to the order and every other generated workbook, read back
as a ministry methodologist would open them: a «Сводка» first, a title block on every sheet,
№ п/п, the school frozen on the left, at most ten columns per list sheet, percentages as
numbers with a percent format, short reasons, A4 landscape fit to width with the header on
every page, Russian labels for every parameter and run field — and every text cell of every
workbook reads as Russian (tests/text_checks.py)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from report_workbooks import HEADER_ROW, titled_frame
from text_checks import IDENTIFIER, page_text, russian_text_problems, workbook_problems

from shnor import russian
from shnor.demo import DEMO_REGION_NAME
from shnor.presets import load_preset
from shnor.reports.school_list import REASON_LIMIT, run_fact_labels

YEAR = 2026
LIST_SHEETS = ("ШНОР", "Группа риска", "ШНСУ", "Стабильно высокие", "Резильентные",
               "Не оцениваются", "Подробно")  # fmt: skip


@pytest.fixture(scope="module")
def published(demo_run) -> Path:
    return Path(demo_run["manifest"]).parent


@pytest.fixture(scope="module")
def book(published):
    return openpyxl.load_workbook(published / "reports" / f"school_list_{YEAR}.xlsx")


def year_rows(published: Path) -> pd.DataFrame:
    rows = pd.read_parquet(published / "rpt_school_list.parquet")
    return rows[rows["exam_year"] == YEAR].set_index("school_id")


def test_the_summary_comes_first_and_every_sheet_has_a_title_block(book):
    assert book.sheetnames[:2] == ["Сводка", "ШНОР"]
    assert "Подробно" in book.sheetnames
    for sheet in book.worksheets:
        title, region, method, date = (sheet.cell(row, 1).value for row in range(1, 5))
        assert title.endswith(f"— {YEAR} год"), (sheet.title, title)
        assert region == f"Регион: {DEMO_REGION_NAME}", sheet.title
        assert method.startswith("Методика «reference», версия "), sheet.title
        assert re.fullmatch(r"Дата расчёта: \d\d\.\d\d\.\d{4} \d\d:\d\d", date), date


def test_the_summary_counts_agree_with_the_list_sheets_and_the_console(book, demo_run, published):
    rows = list(book["Сводка"].iter_rows(values_only=True))
    counts = {row[0]: row[1] for row in rows if row[0] and isinstance(row[1], int)}
    rated = year_rows(published)
    assert counts["Оценено"] == demo_run["rated_count"] == int(rated["is_rated"].sum())
    assert (
        counts["ШНОР (в списке)"] == len(titled_frame(book["ШНОР"])) == demo_run["shnor_list_count"]
    )
    assert counts["Группа риска"] == len(titled_frame(book["Группа риска"]))
    # one ШНСУ number: the console, the summary sheet, the ШНСУ sheet and the HTML's table
    shnsu = titled_frame(book["ШНСУ"])
    summary = pd.read_parquet(published / "rpt_municipality_summary.parquet")
    region = summary[(summary["exam_year"] == YEAR) & summary["is_region"]].iloc[0]
    assert counts["ШНСУ (сложные социальные условия)"] == len(shnsu) == demo_run["shnsu_count"]
    assert region["shnsu_count"] == demo_run["shnsu_count"] > 0
    # by municipality, the last row is the region, and the columns add up to it
    start = next(i for i, row in enumerate(rows) if row[0] == "Муниципалитет")
    by_municipality = pd.DataFrame(rows[start + 1 :], columns=rows[start]).dropna(how="all")
    assert by_municipality.iloc[-1]["Муниципалитет"] == "Регион в целом"
    body = by_municipality.iloc[:-1]
    assert body["Школ"].sum() == by_municipality.iloc[-1]["Школ"] == len(rated)


@pytest.mark.parametrize("kind", ["region", "municipality"])
def test_every_comparative_sheet_has_a_title_block_and_prints_on_a4_landscape(published, kind):
    reports = published / "reports"
    path = (reports / f"year_over_year_{YEAR - 1}_{YEAR}.xlsx" if kind == "region"
            else sorted(reports.glob(f"municipality_{YEAR}_*.xlsx"))[0])  # fmt: skip
    book = openpyxl.load_workbook(path)
    municipality = None
    if kind == "municipality":
        municipality = titled_frame(book["Список школ"])["Муниципалитет"].iloc[0]
        assert "Карточки" in book.sheetnames
    place = f"Регион: {DEMO_REGION_NAME}" + (f"; муниципалитет: {municipality}" if municipality
                                             else "")  # fmt: skip
    one_year = {"Список школ", "Сетевые пары", "Рекомендации", "Карточки"}
    for sheet in book.worksheets:
        title, region, method, date, blank = (sheet.cell(row, 1).value for row in range(1, 6))
        years = f"{YEAR} год" if sheet.title in one_year else f"{YEAR - 1} и {YEAR} годы"
        assert title.endswith(f"— {years}") and len(title) > len(years) + 5, (sheet.title, title)
        assert region == place, (sheet.title, region)
        assert method.startswith("Методика «reference», версия "), sheet.title
        assert re.fullmatch(r"Дата расчёта: \d\d\.\d\d\.\d{4} \d\d:\d\d", date), date
        if sheet.title == "Процедуры — динамика":  # the line over the table: what is not shown
            assert blank.startswith("На листе — ") and "Не показаны" in blank, blank
        else:
            assert blank is None, sheet.title
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        if sheet.title != "Карточки":  # a table: its header under the title, on every page
            assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", sheet.title
            assert sheet.freeze_panes.endswith(str(HEADER_ROW + 1)), sheet.title
            assert sheet.cell(HEADER_ROW, 1).value, sheet.title
    assert book["ШНОР — динамика"].freeze_panes == f"D{HEADER_ROW + 1}"  # the school stays


@pytest.mark.parametrize("name", LIST_SHEETS)
def test_list_sheets_are_numbered_frozen_narrow_and_print_on_a4_landscape(book, name):
    sheet = book[name]
    header = [c.value for c in sheet[HEADER_ROW] if c.value is not None]
    assert header[:3] == ["№ п/п", "Муниципалитет", "Наименование ОО"]
    if name != "Подробно":
        assert len(header) <= 10, header
    assert sheet.freeze_panes == f"D{HEADER_ROW + 1}"  # header and the school's identity
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1)  # absent means 1 page wide
    assert sheet.page_setup.fitToHeight == 0  # as many pages down as needed
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    rows = titled_frame(sheet)
    if len(rows) and not str(rows.iloc[0, 0]).startswith("Нет "):
        assert list(rows["№ п/п"]) == list(range(1, len(rows) + 1))


def test_probabilities_are_numbers_with_a_percent_format_and_reasons_are_short(book, published):
    sheet = book["ШНОР"]
    header = [c.value for c in sheet[HEADER_ROW]]
    probability = header.index("Вероятность устойчиво низких результатов") + 1
    reason = header.index("Основания (кратко; полностью — на листе «Подробно»)") + 1
    rows = year_rows(published)
    cells = list(sheet.iter_rows(min_row=HEADER_ROW + 1))
    assert cells
    for row in cells:
        cell = row[probability - 1]
        assert isinstance(cell.value, int | float) and 0 <= cell.value <= 1
        assert cell.number_format.endswith("%") and "0.0" in cell.number_format
        assert len(row[reason - 1].value) <= REASON_LIMIT
        school = rows.loc[row[3].value]
        assert cell.value == pytest.approx(school["stable_low_probability"])
    details = titled_frame(book["Подробно"]).set_index("Код ОО")
    long = rows[rows["reason_text"].str.len() > REASON_LIMIT]
    assert len(long), "the demo should have a reason longer than the limit"
    for school_id, school in long.iterrows():
        if school_id in details.index:
            assert details.loc[school_id, "Основания (полностью)"] == school["reason_text"]
    # the school effect as an adjusted share with its interval, never in logits
    shares = details.filter(like="Доля неудовлетворительных результатов с поправкой").iloc[:, 0]
    rated = shares[shares != "—"]
    assert len(rated) and rated.str.fullmatch(r"\d+,\d\xa0% \(\d+,\d–\d+,\d\xa0%\)").all()
    assert "Школьный эффект (выше — хуже)" not in details.columns
    assert not (details == "").any().any()  # «нет» or «—» where nothing is to say


def test_the_recommendations_sheet_shows_shares_as_percent_and_the_interval_in_one_cell(
    book, published
):
    sheet = book["Рекомендации"]
    header = [c.value for c in sheet[HEADER_ROW]]
    interval = header.index("Доля неудач (доверительный интервал)")
    regional = header.index("По региону")
    shortfall = header.index("Отставание от региона с учётом размера выборки, п.п.")
    rank = header.index("№")
    mart = pd.read_parquet(published / "rpt_recommendations.parquet")
    mart = mart[mart["exam_year"] == YEAR].set_index(["school_id", "rank"])
    cells = list(sheet.iter_rows(min_row=HEADER_ROW + 1))
    assert len(cells) == len(mart) > 0
    school_column = header.index("Код ОО")
    for row in cells:
        expected = mart.loc[(row[school_column].value, row[rank].value)]
        cell = row[regional]
        assert isinstance(cell.value, int | float), cell.value
        assert cell.value == pytest.approx(expected["regional_value"])
        assert cell.number_format.endswith("%") and "0.0" in cell.number_format
        # a difference of shares in percentage points, as the recommendation's text says it
        cell = row[shortfall]
        assert cell.value == pytest.approx(100 * expected["shrunk_shortfall"])
        assert cell.number_format == '0.0" п.п."'
        text = row[header.index("Рекомендация")].value
        assert f"на {russian.number(cell.value)}\u00a0п.п. хуже" in text
        text = row[interval].value
        assert re.fullmatch(r"\d+,\d\xa0% \(\d+,\d–\d+,\d\xa0%\)", text), text
        share, low, high = (float(x.replace(",", ".")) / 100 for x in re.findall(r"\d+,\d", text))
        assert share == pytest.approx(expected["value"], abs=5.1e-4)  # rounded to 0,1 %
        assert low == pytest.approx(expected["value_lower"], abs=5.1e-4)  # rounded to 0,1 %
        assert high == pytest.approx(expected["value_upper"], abs=5.1e-4)  # rounded to 0,1 %
        assert low <= share <= high


def test_the_shnsu_sheet_explains_every_school_with_its_context(book, published):
    shnsu = titled_frame(book["ШНСУ"])
    assert len(shnsu) > 0
    assert shnsu["Пояснение"].str.startswith("Индекс условий").all()
    assert shnsu["Процентиль индекса в регионе (100 — самые сложные)"].between(0, 100).all()
    drivers = shnsu["Что делает условия сложными (по сравнению со средним по региону)"]
    assert drivers.notna().all() and (drivers != "нет данных о составляющих").mean() > 0.9
    # a share named as a driver is worse than the region's: above it, or below it for «мало …»
    for text in drivers:
        for part in text.split("; "):
            found = re.search(r"(\d+,\d)\xa0% \(по региону (\d+,\d)\xa0%\)", part)
            if found:
                school, region = (float(x.replace(",", ".")) for x in found.groups())
                assert (school < region) == part.startswith("мало "), part


def test_every_parameter_and_run_field_has_a_russian_label(book, demo_run):
    parameters = titled_frame(book["Параметры методики"])
    preset = load_preset()
    assert list(parameters["Код в файле методики"]) == [key for key, _ in preset.parameters()]
    for label, value in zip(parameters["Параметр"], parameters["Значение"], strict=True):
        assert not IDENTIFIER.search(label) and re.search("[а-яё]", label), label
        assert not (isinstance(value, str) and IDENTIFIER.search(value)), value
    manifest = pd.read_json(demo_run["manifest"], typ="series")
    fields = [k for k, v in manifest.items() if not isinstance(v, dict | list)]
    labels = run_fact_labels()
    assert not [k for k in fields if k not in labels], "run fields without a Russian label"
    shown = titled_frame(book["Сведения о запуске"])["Сведение"]
    assert not [s for s in shown if IDENTIFIER.fullmatch(s)], list(shown)


def test_the_appendix_lists_the_shnor_then_the_shnsu_with_short_bases(published):
    reports = published / "reports"
    sheet = openpyxl.load_workbook(reports / f"appendix_{YEAR}.xlsx")["Перечень"]
    assert sheet.page_setup.paperSize == 9 and sheet.print_title_rows
    rows = [r for r in sheet.iter_rows(min_row=7, values_only=True) if r[0] is not None]
    assert rows[0] == ("№ п/п", "Муниципалитет", "Наименование ОО", "Основание включения")
    schools = [r for r in rows[1:] if isinstance(r[0], int)]
    assert [r[0] for r in schools] == list(range(1, len(schools) + 1))
    flags = year_rows(published)
    expected = (
        flags["is_on_shnor_list"].sum() + (flags["is_shnsu"] & ~flags["is_on_shnor_list"]).sum()
    )
    assert len(schools) == expected
    sections = [r[0] for r in rows[1:] if isinstance(r[0], str)]
    assert sections[0].startswith("Школы с низкими образовательными результатами (")
    assert sections[1].startswith("Школы, функционирующие в неблагоприятных социальных условиях")
    shnor = int(flags["is_on_shnor_list"].sum())
    assert all(
        r[3].startswith(("Низкие результаты в", "Остаётся в перечне")) for r in schools[:shnor]
    )
    assert all(r[3].startswith("Неблагоприятные социальные условия") for r in schools[shnor:])
    assert all(len(r[3]) <= 200 for r in schools)
    page = (reports / f"appendix_{YEAR}.html").read_text("utf-8")
    assert "size: A4" in page and "Приложение к приказу" in page
    assert not re.search(r"""(?:src|href)=|https?://|@import""", page)  # offline
    assert page_text(reports / f"appendix_{YEAR}.html").count("Основание включения") == 1


def test_every_generated_workbook_and_page_reads_as_russian(published):
    reports = published / "reports"
    workbooks = sorted(reports.glob("*.xlsx"))
    kinds = {p.name.split("_")[0] for p in workbooks}
    assert {"school", "appendix", "year", "municipality", "validation"} <= kinds
    found = {p.name: workbook_problems(p)[:5] for p in workbooks}
    assert not {k: v for k, v in found.items() if v}
    pages = sorted([*reports.glob("*.html"), *reports.glob("cards/*.html")])
    kinds = {p.name.split("_")[0] for p in pages}
    assert {"appendix", "year", "municipality", "validation"} <= kinds
    assert any(p.parent.name == "cards" for p in pages)
    found = {p.name: russian_text_problems(page_text(p))[:5] for p in pages}
    assert not {k: v for k, v in found.items() if v}
