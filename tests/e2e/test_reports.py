"""The reports a reader opens (issue «reports for people»): the workbooks opened with openpyxl
and checked against the published marts, the pages rendered in a real headless Chromium (a
screenshot kept in test-artifacts/), and no live formula from input text anywhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from report_workbooks import HEADER_ROW, titled_frame

from shnor import russian
from shnor.presets import load_preset
from shnor.reports.build import load_marts, municipality_slug, write_reports
from shnor.reports.charts import LABEL_LIMIT

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
YEAR = 2026


@pytest.fixture(scope="module")
def published(demo_run) -> Path:
    return Path(demo_run["manifest"]).parent


def mart(published: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(published / f"{name}.parquet")


def test_report_marts_are_published(published):
    for name in ("rpt_year_over_year", "rpt_school_year_over_year", "rpt_municipality_summary",
                 "rpt_partner_pairs", "rpt_recommendations"):  # fmt: skip
        assert (published / f"{name}.parquet").is_file(), name
    pairs = mart(published, "rpt_partner_pairs")
    flags = mart(published, "fct_school_flags")
    # every ШНОР of the year has a row, each tutor takes at most `tutor_capacity`
    shnor = flags[(flags["exam_year"] == YEAR) & flags["is_on_shnor_list"]]
    year_pairs = pairs[pairs["exam_year"] == YEAR]
    assert sorted(year_pairs["school_id"]) == sorted(shnor["school_id"])
    assert (
        year_pairs["tutor_school_id"].value_counts().max()
        <= load_preset()["support.tutor_capacity"]
    )
    tutors = flags[(flags["exam_year"] == YEAR)].set_index("school_id")
    chosen = tutors.loc[year_pairs["tutor_school_id"].dropna()]
    assert (chosen["is_stable_high"] | chosen["is_resilient"]).all()


def test_annual_list_workbook_sheets_headers_and_values(published):
    path = published / "reports" / f"school_list_{YEAR}.xlsx"
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "Сводка", "ШНОР", "Группа риска", "ШНСУ", "Стабильно высокие", "Резильентные",
        "Не оцениваются", "Подробно", "Сетевые пары", "Рекомендации",
        "Объективность ФИОКО и shnor", "Параметры методики", "Сведения о запуске",
    ]  # fmt: skip
    rows = mart(published, "rpt_school_list")
    rows = rows[rows["exam_year"] == YEAR].set_index("school_id")
    shnor = titled_frame(path, "ШНОР")
    assert list(shnor.columns[:4]) == ["№ п/п", "Муниципалитет", "Наименование ОО", "Код ОО"]
    assert sorted(shnor["Код ОО"]) == sorted(rows.index[rows["is_on_shnor_list"]])
    details = titled_frame(path, "Подробно").set_index("Код ОО")
    assert "Лет в списке ШНОР подряд" in details.columns
    for school_id in shnor["Код ОО"]:
        school, shown = rows.loc[school_id], details.loc[school_id]
        assert shown["Процентиль школьного эффекта (100 — худший)"] == pytest.approx(
            school["composite_percentile"]
        )
        assert shown["Лет в списке ШНОР подряд"] >= 1
    high = titled_frame(path, "Стабильно высокие")
    assert sorted(high["Код ОО"]) == sorted(rows.index[rows["is_stable_high"]])
    pairs = titled_frame(path, "Сетевые пары")
    year_pairs = mart(published, "rpt_partner_pairs").query("exam_year == @YEAR")
    assert sorted(pairs["Код ШНОР"]) == sorted(year_pairs["school_id"])


def test_comparative_workbook_matches_the_marts(published):
    path = published / "reports" / f"year_over_year_{YEAR - 1}_{YEAR}.xlsx"
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "Сводка", "Муниципалитеты", "ШНОР — динамика", "Все школы — динамика",
        "Процедуры — динамика", "Сетевые пары", "Рекомендации", "Примечания",
    ]  # fmt: skip
    schools = mart(published, "rpt_school_year_over_year").query("exam_year == @YEAR")
    cohort = schools[schools["was_on_shnor_list"] | schools["is_on_shnor_list"]]
    sheet = titled_frame(path, "ШНОР — динамика").set_index("Код ОО")
    assert sorted(sheet.index) == sorted(cohort["school_id"])
    for school in cohort.itertuples():
        row = sheet.loc[school.school_id]
        # changes of a share in percentage points, as the page and the notes say them
        assert row["Изменение, п.п."] == pytest.approx(100 * school.change)
        assert row["Изменение: нижняя граница (Ньюкомб), п.п."] == pytest.approx(
            100 * school.change_lower
        )
        assert row["Вывод"] == school.change_label
        assert (row["ШНОР: переход"] or None) == school.transition
    changes = openpyxl.load_workbook(path)["ШНОР — динамика"]
    header = [c.value for c in changes[HEADER_ROW]]
    for column in ("Изменение, п.п.", "Ожидаемое изменение (регрессия к среднему), п.п."):
        cells = [row[header.index(column)] for row in changes.iter_rows(min_row=HEADER_ROW + 1)]
        assert cells and all(c.number_format.endswith('" п.п."') for c in cells), column
    summary = mart(published, "rpt_municipality_summary").query("exam_year == @YEAR")
    municipal = titled_frame(path, "Муниципалитеты").set_index("Муниципалитет")
    assert sorted(municipal.index) == sorted(summary["municipality_name"])
    for row in summary.itertuples():
        assert municipal.loc[row.municipality_name, "ШНОР"] == row.shnor_count
        assert municipal.loc[row.municipality_name, "Вышли"] == row.exited_count
    region = summary[summary["is_region"]].iloc[0]
    assert region.shnor_count == int(
        mart(published, "fct_school_flags").query("exam_year == @YEAR")["is_on_shnor_list"].sum()
    )
    # The regional procedure sheet: every comparison of a school on the list, in the risk or the
    # prevention group, and every other school's with a verdict; no other, and it says so.
    comparisons = mart(published, "rpt_year_over_year").query("exam_year == @YEAR")
    expected = acted_on_comparisons(published, comparisons)
    procedures = titled_frame(path, "Процедуры — динамика")
    assert sorted(zip(procedures["Код ОО"], procedures["Процедура"], strict=True)) == sorted(
        zip(expected["school_id"], expected["procedure_name"], strict=True)
    )
    assert set(procedures["Вывод"]) == set(expected["change_label"])
    assert_procedure_note(path, len(expected), len(comparisons))


VERDICTS = ["значимое улучшение", "значимое ухудшение", "порог изменился: сравнение по процентилю"]


def acted_on_comparisons(published: Path, comparisons: pd.DataFrame) -> pd.DataFrame:
    """The comparisons a procedure sheet shows, from the marts: a school on the list, in the
    risk or prevention group has all of its; any other school only those with a verdict. The
    demo has both kinds, and schools of neither (their comparisons are left out)."""
    rows = mart(published, "rpt_school_list").query("exam_year == @YEAR")
    groups = rows["is_on_shnor_list"] | rows["is_risk_group"] | rows["is_prevention_group"]
    acted_on = comparisons["school_id"].isin(rows.loc[groups, "school_id"])
    verdict = comparisons["change_label"].isin(VERDICTS)
    assert (verdict & ~acted_on).any()  # significant changes of schools on no list are shown
    assert (~verdict & acted_on).any()  # a listed school's comparisons without a verdict too
    assert (~verdict & ~acted_on).any()  # the rest is not
    return comparisons[verdict | acted_on]


def assert_procedure_note(path: Path, shown: int, total: int) -> None:
    """The line above the procedure sheet's table counts what is not shown and names the mart
    with the full table."""
    sheet = openpyxl.load_workbook(path, read_only=True)["Процедуры — динамика"]
    note = next(sheet.iter_rows(min_row=HEADER_ROW - 1, max_row=HEADER_ROW - 1, values_only=True))[
        0
    ]
    hidden = russian.counted(total - shown, "сопоставление")
    assert note.startswith(f"На листе — {russian.counted(shown, 'сопоставление')} "), note
    assert f"из {russian.number(total, 0)}:" in note and f": {hidden};" in note, note
    assert "reports.rpt_year_over_year" in note and "marts/rpt_year_over_year.parquet" in note


def test_one_page_and_workbook_per_municipality_with_safe_names(published):
    names = mart(published, "rpt_school_list").query("exam_year == @YEAR")["municipality_name"]
    files = {p.name for p in (published / "reports").glob("municipality_*")}
    expected = {f"municipality_{YEAR}_{municipality_slug(n)}.{ext}"
                for n in names.dropna().unique() for ext in ("html", "xlsx")}  # fmt: skip
    assert files == expected
    assert all(re.fullmatch(r"municipality_\d{4}_[a-z0-9-]+\.(html|xlsx)", f) for f in files)
    name = sorted(names.dropna().unique())[0]
    book = published / "reports" / f"municipality_{YEAR}_{municipality_slug(name)}.xlsx"
    listed = titled_frame(book, "Список школ")
    assert set(listed["Муниципалитет"]) == {name}
    assert len(listed) == int((names == name).sum())
    # A municipality's procedure sheet selects its schools' comparisons as the region's does:
    # a significant change of a school on no list is there, a school on no list without one is
    # not (a municipality that has both).
    comparisons = mart(published, "rpt_year_over_year").query("exam_year == @YEAR")
    shown = acted_on_comparisons(published, comparisons)
    left_out = comparisons[~comparisons.index.isin(shown.index)]
    plain_shown = shown[~shown["change_label"].isin(VERDICTS)]
    name = next(n for n in sorted(names.dropna().unique())
                if (left_out["municipality_name"] == n).any()
                and ((shown["municipality_name"] == n)
                     & ~shown["school_id"].isin(plain_shown["school_id"])).any())  # fmt: skip
    book = published / "reports" / f"municipality_{YEAR}_{municipality_slug(name)}.xlsx"
    expected = shown.query("municipality_name == @name")
    procedures = titled_frame(book, "Процедуры — динамика")
    assert sorted(zip(procedures["Код ОО"], procedures["Процедура"], strict=True)) == sorted(
        zip(expected["school_id"], expected["procedure_name"], strict=True)
    )
    assert set(procedures["Муниципалитет"]) == {name}
    verdict_only = expected[~expected["school_id"].isin(plain_shown["school_id"])]
    assert set(verdict_only["school_id"]) <= set(procedures["Код ОО"])
    quiet = set(left_out.query("municipality_name == @name")["school_id"]) - set(shown["school_id"])
    assert quiet and not quiet & set(procedures["Код ОО"])
    of_municipality = comparisons.query("municipality_name == @name")
    assert_procedure_note(book, len(expected), len(of_municipality))


def chromium(*arguments: str) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).is_file():
        pytest.fail("Chromium не установлен: выполните `make browser` (apt-get install chromium)")
    return subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", *arguments],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_comparative_page_renders_in_headless_chromium(published):
    page = published / "reports" / f"year_over_year_{YEAR - 1}_{YEAR}.html"
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing to fetch
    dom = chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "CONSOLE" not in dom.stderr and "Uncaught" not in dom.stderr, dom.stderr[-2000:]
    for heading in ("Сводка", "Переходы в списке ШНОР", "Муниципалитеты", "Воронка",
                    "Регрессия к среднему", "Сетевые пары", "Адресные рекомендации"):  # fmt: skip
        assert heading in dom.stdout
    svgs = re.findall(r"<svg.*?</svg>", dom.stdout, re.S)
    assert len(svgs) == 4
    assert all(svg.count("<path") + svg.count("<use") >= 2 for svg in svgs)
    # every rated school is a titled point of the funnel; the list's schools are named on it
    funnel = next(svg for svg in svgs if "Учтено результатов" in svg)
    schools = mart(published, "rpt_school_year_over_year").query(
        "exam_year == @YEAR and is_rated and participant_count > 0"
    )
    assert funnel.count("<title>") == len(schools)
    # the list's schools farthest above the region are named on it (at most LABEL_LIMIT)
    listed = schools[schools["is_on_shnor_list"]]
    named = listed[[f">{name[:40]}<" in funnel for name in listed["school_name"]]]
    assert len(named) == min(len(listed), LABEL_LIMIT) > 0
    region = re.search(r"по региону: (\d+,\d)", funnel)
    p = float(region.group(1).replace(",", ".")) / 100
    z = (listed["fail_share"] - p) / (p * (1 - p) / listed["participant_count"]) ** 0.5
    assert listed.loc[z.idxmax(), "school_id"] in set(named["school_id"])
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"year_over_year_{YEAR - 1}_{YEAR}.png"
    shot.unlink(missing_ok=True)
    taken = chromium("--window-size=1200,3000", f"--screenshot={shot}", page.as_uri())
    assert taken.returncode == 0, taken.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 3000)
    assert len(png) > 100_000  # charts and tables drawn, not a blank page


def test_municipal_page_renders_with_its_own_schools_only(published):
    names = mart(published, "rpt_school_list").query("exam_year == @YEAR")
    name = sorted(names["municipality_name"].dropna().unique())[0]
    page = published / "reports" / f"municipality_{YEAR}_{municipality_slug(name)}.html"
    dom = chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "CONSOLE" not in dom.stderr, dom.stderr[-2000:]
    assert name in dom.stdout and "Регион в целом" in dom.stdout
    others = set(names.loc[names["municipality_name"] != name, "school_name"]) - set(
        names.loc[names["municipality_name"] == name, "school_name"]
    )
    cohort = re.search(r'id="rtm".*?id="procedures"', dom.stdout, re.S).group(0)
    assert not any(f">{other}<" in cohort for other in others)


def test_input_text_never_becomes_a_formula_markup_or_a_path(published, tmp_path):
    marts = load_marts(published)
    hostile = {
        "school_name": '=HYPERLINK("http://x","y")',
        "municipality_name": "../../+cmd|' /C calc'!A0 <script>alert(1)</script>",
    }
    schools = marts["dim_schools"].copy()
    first = schools["school_id"].isin(
        marts["fct_school_flags"].query("exam_year == @YEAR and is_on_shnor_list")["school_id"]
    )
    target = schools.index[first][0]
    for column, value in hostile.items():
        schools.loc[schools["municipality_name"] == schools.at[target, "municipality_name"],
                    column] = value  # fmt: skip
    school_list = marts["rpt_school_list"].drop(columns=["school_name", "municipality_name"])
    school_list = school_list.merge(schools[["school_id", "school_name", "municipality_name"]],
                                    on="school_id")  # fmt: skip
    frames = {
        "dim_schools": schools,
        "rpt_school_list": school_list,
        **{k: marts[k] for k in ("fct_school_procedure_results", "fct_school_flags")},
    }
    written = write_reports(frames, load_preset(), [("preset", "=1+1")], tmp_path / "out", [YEAR])
    assert all(p.parent in (tmp_path / "out", tmp_path / "out" / "cards") for p in written)
    assert any(p.parent.name == "cards" for p in written)
    assert all(re.fullmatch(r"[a-z0-9_.-]+", p.name) for p in written)
    found = 0
    for path in written:
        if path.suffix == ".xlsx":
            for sheet in openpyxl.load_workbook(path).worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate)
                        if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                            assert cell.value.startswith("'=")
                            found += 1
        else:
            html = path.read_text(encoding="utf-8")
            assert "<script>" not in html
            if "calc" in html:
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert found > 0


def test_positive_dynamics_are_real_improvements_in_the_demo_truth(published, demo_region):
    """Last year's ШНОР marked «положительная динамика» improved in truth (their planted
    effect fell), more than the ШНОР that were not marked: the regression-to-the-mean control
    does not hand out improvement for selection noise."""
    truth = pd.read_parquet(demo_region.truth_path)[["school_id", "exam_year", "true_effect"]]
    earlier = truth.assign(exam_year=truth["exam_year"] + 1)
    truth = truth.merge(earlier, on=["school_id", "exam_year"], suffixes=("", "_before"))
    truth["true_change"] = truth["true_effect"] - truth["true_effect_before"]
    changes = mart(published, "rpt_school_year_over_year").merge(
        truth, on=["school_id", "exam_year"]
    )
    judged = changes[changes["was_on_shnor_list"] & changes["is_rated"]]
    positive = judged[judged["has_positive_dynamics"]]
    assert len(positive) >= 1
    assert (positive["true_change"] < 0).all()
    assert (
        positive["true_change"].mean()
        < judged.loc[~judged["has_positive_dynamics"], "true_change"].mean()
    )


def carded(published: Path) -> pd.DataFrame:
    rows = mart(published, "rpt_school_list").query("exam_year == @YEAR")
    return rows[rows["is_on_shnor_list"] | rows["is_risk_group"]]


def test_a_card_per_listed_and_risk_school_with_its_years_reasons_and_recommendations(published):
    from shnor.reports.cards import card_file

    chosen = carded(published)
    assert len(chosen) > 0
    folder = published / "reports" / "cards"
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(
        card_file(s) for s in chosen["school_id"]
    )
    results = mart(published, "fct_school_procedure_results").query("participant_count > 0")
    recommendations = mart(published, "rpt_recommendations").query("exam_year == @YEAR")
    pairs = mart(published, "rpt_partner_pairs").query("exam_year == @YEAR")
    for school in chosen.itertuples():
        html = (folder / card_file(school.school_id)).read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        text = page_text(html)
        assert spaced(school.school_name) in text and spaced(school.status) in text
        assert spaced(school.reason_text) in text  # the full reasons, as in the mart
        own = results[results["school_id"] == school.school_id]
        for year, group in own.groupby("exam_year"):
            share = group["fail_count"].sum() / group["participant_count"].sum()
            row = spaced(f"{year} {russian.percent(share)} (")
            assert row in text, (school.school_id, row)
            assert f">{school.school_name}, {year}: {russian.percent(share)}" in html  # <title>
        mine = recommendations[recommendations["school_id"] == school.school_id]
        assert len(mine) <= 5
        assert all(spaced(r) in text for r in mine["text"])
        pair = pairs[pairs["school_id"] == school.school_id]
        if school.is_on_shnor_list and pair["tutor_school_name"].notna().any():
            assert spaced(pair["tutor_school_name"].iloc[0]) in text


def test_card_of_a_shnsu_school_names_its_context_index_percentile_and_main_driver(published):
    from shnor.reports.cards import card_file

    chosen = carded(published)
    everyone = mart(published, "rpt_school_list").query("exam_year == @YEAR")
    percentile = everyone.set_index("school_id")["context_index"].rank(pct=True) * 100
    drivers = mart(published, "fct_school_context_drivers").query("exam_year == @YEAR")
    drivers = drivers.set_index("school_id")["context_drivers"]
    hard = "ни одна составляющая не выделяется"
    shnsu = chosen[chosen["is_shnsu"] & chosen["school_id"].map(drivers).fillna(hard).ne(hard)]
    assert len(shnsu) > 0
    folder = published / "reports" / "cards"
    for school in shnsu.itertuples():
        text = page_text((folder / card_file(school.school_id)).read_text(encoding="utf-8"))
        assert spaced(f"Индекс условий {russian.number(school.context_index, 2)} — ") in text
        place = f"{russian.number(percentile[school.school_id], 0)}-й процентиль региона"
        assert spaced(place) in text, (school.school_id, place)
        main = drivers[school.school_id].split("; ")[0]  # hardest first
        assert spaced(main) in text, (school.school_id, main)


def spaced(text: str) -> str:
    """Text with every run of white space (non-breaking ones too) as one space."""
    return re.sub(r"\s+", " ", text)


def page_text(html: str) -> str:
    """The visible text of a page, one space between pieces."""
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append
    parser.feed(re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S))
    return spaced(" ".join(parts))


def test_card_renders_in_headless_chromium_and_pages_link_to_cards(published):
    from shnor.reports.cards import card_link

    school = carded(published).iloc[0]
    page = (
        published / "reports"
        / f"municipality_{YEAR}_{municipality_slug(school['municipality_name'])}.html"
    )  # fmt: skip
    html = page.read_text(encoding="utf-8")
    assert f'href="{card_link(school["school_id"])}"' in html
    for link in re.findall(r'href="(cards/[^"]+)"', html):
        assert (page.parent / link).is_file(), link
    card = page.parent / card_link(school["school_id"])
    dom = chromium("--dump-dom", card.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "CONSOLE" not in dom.stderr, dom.stderr[-2000:]
    for heading in ("Основания", "Результаты по годам", "Социальный контекст и объективность",
                    "Школа-тьютор", "Адресные рекомендации", "Классы, которым нужна поддержка",
                    "Раннее предупреждение по репетиционным экзаменам"):  # fmt: skip
        assert heading in dom.stdout
    assert len(re.findall(r"<svg", dom.stdout)) == 1
    assert 'href="../' + page.name + '"' in card.read_text(encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "school_card.png"
    shot.unlink(missing_ok=True)
    taken = chromium("--window-size=1000,2000", f"--screenshot={shot}", card.as_uri())
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert len(shot.read_bytes()) > 50_000


def test_municipal_workbook_has_a_card_block_per_school(published):
    chosen = carded(published)
    name = chosen["municipality_name"].iloc[0]
    book = published / "reports" / f"municipality_{YEAR}_{municipality_slug(name)}.xlsx"
    sheet = openpyxl.load_workbook(book, read_only=True)["Карточки"]
    rows = [r for r in sheet.iter_rows(min_row=HEADER_ROW, values_only=True) if r[0] is not None]
    titles = [r[0] for r in rows if r[1] is None]
    mine = chosen[chosen["municipality_name"] == name]
    assert titles == [f"{r.school_name} ({r.school_id}), {name}" for r in mine.itertuples()]
    reasons = [r[1] for r in rows if r[0] == "Основания"]
    assert reasons == mine["reason_text"].tolist()
