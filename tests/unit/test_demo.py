"""The demo region generator writes contract layouts with a planted truth consistent with them."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnor.demo import (
    BIO_FORM,
    EGE_SCALES,
    OGE_SCALES,
    VPR_FORM_SCALES,
    VPR_SCALES,
    DemoSummary,
    generate_demo_region,
)

YEARS = (2024, 2025)
SCHOOLS = 60


def _norm(header: object) -> str:
    """Header normalised as the contract says: case, spaces, ё→е, punctuation."""
    text = str(header).strip().lower().replace("ё", "е")
    return re.sub(r"\s+", " ", re.sub(r"[^\w]+", " ", text)).strip()


def _names(*headers: str) -> frozenset[str]:
    """Normalised header set."""
    return frozenset(_norm(h) for h in headers)


CODE = _names("Код ОО", "Логин ОО", "ОО", "Код ОУ")
NAME = _names("Полное наименование", "Наименование ОО", "Название ОО")
MUNI = _names("Муниципалитет", "Муниципальное образование", "МО", "АТЕ")
PARTICIPANT = _names("Код участника", "ID участника")
CONTEXT_SHARES = _names(
    "Доля родителей с высшим образованием",
    "Доля неполных семей",
    "Доля малообеспеченных семей",
    "Доля семей с безработными родителями",
    "Доля обучающихся, состоящих на учёте",
    "Доля обучающихся, для которых русский язык не родной",
    "Доля обучающихся с ОВЗ",
    "Доля вакантных ставок",
    "Доля учителей высшей категории",
    "Доля учителей, не подтвердивших предметные компетенции",
)
EGE_MIN = {
    "Русский язык": 24,
    "Математика (профильная)": 27,
    "Физика": 36,
    "Химия": 36,
    "Биология": 36,
    "История": 32,
    "Обществознание": 42,
    "Информатика": 40,
    "Английский язык": 22,
    "Литература": 32,
    "География": 37,
}
MOCK_SUBJECTS = {
    9: {"Русский язык", "Математика"},
    11: {"Русский язык", "Математика (профильная)", "Математика (базовая)"},
}


# ВПР as ФИС ОКО exports it (docs/data-contract.md, `vpr_export`), read back from the contract.
DATIVE = {
    "русскому языку": "Русский язык",
    "математике": "Математика",
    "окружающему миру": "Окружающий мир",
    "истории": "История",
    "биологии": "Биология",
    "географии": "География",
    "обществознанию": "Обществознание",
    "физике": "Физика",
    "химии": "Химия",
}
EXPORT_TITLE = re.compile(
    r"^Проведение работы по (?P<dative>[^,]+), (?P<grade>\d) класс(?: \((?P<form>[^)]+)\))?"
    r"\. ВПР (?P<year>\d{4})$"
)
EXPORT_HEADERS = [
    "логин школы", "регион", "номер обучающегося", "код обучающегося",
    "отметка за предыдущую четверть/триместр", "пол", "класс", "вариант", "всего баллов",
]  # fmt: skip
PROTOCOL_HEAD = [
    "Пользователь", "Код региона", "Регион", "Муниципалитет", "Школа", "Дата загрузки", "Код",
    "Вариант",
]  # fmt: skip
PROTOCOL_TAIL = [
    "Наименование класса", "Пол", "Отметка за предыдущий триместр/ четверть/полугодие",
    "Итого баллов",
]  # fmt: skip
PROTOCOL_TASK = re.compile(r"^(\d+) \((\d+)б\)$")


def _canonical(header: object) -> str:
    """Contract key of a header: code/name/municipality/participant or the normalised text."""
    n = _norm(header)
    for key, names in (
        ("code", CODE),
        ("name", NAME),
        ("muni", MUNI),
        ("participant", PARTICIPANT),
    ):
        if n in names:
            return key
    return n


def _sheets(path: Path) -> list[tuple[str, pd.DataFrame]]:
    """Every table in a raw file as (sheet, frame with the file's own header texts)."""
    if path.suffix == ".csv":
        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            text, sep = raw[3:].decode("utf-8"), ","
        else:
            text, sep = raw.decode("cp1251"), ";"
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
        return [("", frame)]
    out = []
    book = pd.read_excel(path, sheet_name=None, header=None, engine="calamine", dtype=object)
    for sheet, grid in book.items():
        header_row = next(i for i in range(len(grid)) if grid.iloc[i].notna().sum() >= 3)
        frame = grid.iloc[header_row + 1 :].copy()
        frame.columns = [str(c) for c in grid.iloc[header_row]]
        out.append((sheet, frame.reset_index(drop=True)))
    return out


def _load(folder: Path) -> pd.DataFrame:
    """All rows of a folder's files, columns renamed to contract keys, with `_file`."""
    frames = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        for sheet, frame in _sheets(path):
            frame = frame.rename(columns=_canonical)
            frame["_file"] = path.name
            frame["_sheet"] = sheet
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _cell_text(value: object) -> str:
    """A workbook cell as CSV text: blanks empty, whole numbers without «.0»."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _vpr_sheet(path: Path) -> pd.DataFrame:
    """The results table of a ВПР file as text: the CSV, or the workbook's one results sheet
    (the protocol's `Классы` sheet set aside), headers in the first row."""
    if path.suffix == ".csv":
        return _sheets(path)[0][1]
    book = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=object)
    results = [name for name in book if name != "Классы"]
    assert results in (["Лист1"], ["Протокол"]), (path.name, list(book))
    if results == ["Протокол"]:
        assert list(book) == ["Классы", "Протокол"], path.name
    return book[results[0]].map(_cell_text)


def _vpr_file(path: Path, raw: Path) -> pd.DataFrame:
    """One ВПР export's rows as (login, code, grade, subject, form, class, variant, score,
    journal, task points and maxima), checking its headers against the contract."""
    frame = _vpr_sheet(path)
    columns = list(frame.columns)
    title = EXPORT_TITLE.match(path.stem)
    if title:  # the 2020–2021 export: subject, grade and form in the file name only
        assert title["year"] == path.parent.name
        assert columns[:9] == EXPORT_HEADERS, path.name
        tasks = columns[9:]
        assert tasks == [f"балл за {i}" for i in range(1, len(tasks) + 1)], path.name
        subject, grade, form = DATIVE[title["dative"]], int(title["grade"]), title["form"]
        login, klass = frame["логин школы"], frame["класс"]
        label = klass.where(klass.isin(["НЕТ", str(grade)]), str(grade) + klass)
        journal = frame["отметка за предыдущую четверть/триместр"]
        variant, score, task_max = frame["вариант"], frame["всего баллов"], None
    else:  # the 2022 protocol: «<N> класс/<Предмет>»
        assert columns[:8] == PROTOCOL_HEAD and columns[-4:] == PROTOCOL_TAIL, path.name
        tasks = columns[8:-4]
        parsed = [PROTOCOL_TASK.match(t) for t in tasks]
        assert all(parsed) and [int(m[1]) for m in parsed] == list(range(1, len(tasks) + 1))
        task_max = sum(int(m[2]) for m in parsed) if tasks else None
        subject, form = path.stem, None
        grade = int(re.fullmatch(r"(\d) класс", path.parent.name)[1])
        assert path.parent.parent.name.isdigit()
        login, label = frame["Пользователь"], frame["Наименование класса"]
        assert (frame["Школа"].str.split(" | ", regex=False).str[0] == login).all()
        assert frame["Муниципалитет"].str.fullmatch(r"reg99_m\d{3} \| .+").all()
        journal = frame["Отметка за предыдущий триместр/ четверть/полугодие"]
        variant, score = frame["Вариант"], frame["Итого баллов"]
    assert login.str.fullmatch(r"(sch|edu)\d{6}").all(), path.name
    points = frame[tasks].replace("", np.nan).astype(float)
    return pd.DataFrame(
        {
            "login": login,
            "code": "sch" + login.str[3:],
            "grade": grade,
            "предмет": subject,
            "form": form,
            "класс": label,
            "вариант": variant,
            "первичный балл": _num(score),
            "отметка по журналу": _num(journal),
            "tasks": len(tasks),
            "task_sum": points.sum(axis=1, min_count=1),
            "task_blank": points.isna().all(axis=1),
            "task_max": task_max,
            "_file": path.relative_to(raw).as_posix(),
        }
    )


def _scales(data_dir: Path) -> pd.DataFrame:
    """The demo's own scales as written to DIR/reference/vpr_scales.csv."""
    scales = pd.read_csv(data_dir / "reference" / "vpr_scales.csv", dtype={"form": str})
    return scales.fillna({"form": ""})


def _load_vpr(data_dir: Path, year: int) -> pd.DataFrame:
    """A year's ВПР rows with the mark a reader derives from the demo's scale (NaN if absent)."""
    raw = data_dir / "raw"
    files = sorted(p for p in (raw / "vpr" / str(year)).rglob("*") if p.is_file())
    vpr = pd.concat([_vpr_file(p, raw) for p in files], ignore_index=True)
    codes = {(s, g): scale.code for (s, g), scale in VPR_SCALES.items()}
    vpr["subject_code"] = [codes[k] for k in zip(vpr["предмет"], vpr["grade"], strict=True)]
    keys = ["grade", "subject_code", "form"]
    scales = _scales(data_dir)
    scales = scales[scales["exam_year"] == year].rename(columns={"subject": "subject_code"})
    columns = [*keys, "max_score", "min_score_3", "min_score_4", "min_score_5"]
    vpr = vpr.assign(form=vpr["form"].fillna(""))
    vpr = vpr.merge(scales[columns], on=keys, how="left", validate="m:1")
    assert vpr["max_score"].notna().all()
    score = vpr["первичный балл"]
    mark = 2 + (score >= vpr["min_score_3"]).astype(int) + (score >= vpr["min_score_4"])
    vpr["отметка"] = (mark + (score >= vpr["min_score_5"])).where(score.notna())
    return vpr.rename(columns={"min_score_3": "b3"})


def _num(series: pd.Series) -> pd.Series:
    """Numeric values; empty cells and words become NaN."""
    return pd.to_numeric(series.replace("", np.nan), errors="coerce")


def _dates(frame: pd.DataFrame) -> pd.Series:
    """Exam dates: ISO strings, dd.mm.yyyy strings or XLSX dates (never day-first ISO)."""
    text = frame["дата экзамена"].astype(str)
    german = text.str.fullmatch(r"\d{2}\.\d{2}\.\d{4}")
    parsed = pd.to_datetime(text.where(~german).str.slice(0, 10), format="ISO8601")
    return parsed.where(~german, pd.to_datetime(text.where(german), format="%d.%m.%Y"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[DemoSummary, list[str]]:
    """A small demo region (60 schools, 2 years) and its progress messages."""
    messages: list[str] = []
    summary = generate_demo_region(
        tmp_path_factory.mktemp("demo"),
        school_count=SCHOOLS,
        last_year=YEARS[-1],
        year_count=len(YEARS),
        progress=messages.append,
    )
    return summary, messages


@pytest.fixture(scope="module")
def region(generated) -> DemoSummary:
    """The small region's summary."""
    return generated[0]


@pytest.fixture(scope="module")
def truth(region) -> pd.DataFrame:
    """The planted truth."""
    return pd.read_parquet(region.truth_path)


@pytest.fixture(scope="module")
def tables(region) -> dict[tuple[str, int], pd.DataFrame]:
    """Every raw participant/context table read back, keyed by (folder, year)."""
    raw = region.data_dir / "raw"
    return {
        (kind, y): _load_vpr(region.data_dir, y) if kind == "vpr" else _load(raw / kind / str(y))
        for kind in ("vpr", "oge", "ege", "context")
        for y in YEARS
    }


def _first_attempts(frame: pd.DataFrame) -> pd.DataFrame:
    """ОГЭ/ЕГЭ first attempts per participant and subject (earliest date)."""
    frame = frame.assign(_date=_dates(frame)).sort_values("_date", kind="stable")
    return frame.drop_duplicates(["participant", "предмет"])


def _fails(frame: pd.DataFrame) -> pd.Series:
    """Failed results: mark 2 where a mark is given, else a ЕГЭ score below the minimum."""
    nothing = pd.Series(np.nan, index=frame.index)
    mark = _num(frame["оценка"]) if "оценка" in frame else nothing
    score = _num(frame["балл"]) if "балл" in frame else nothing
    below = score < frame["предмет"].map(EGE_MIN)
    return pd.Series(np.where(mark.notna(), mark == 2, below), index=frame.index)


def _mock_and_main(data_dir: Path, years) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mock rows and the main exams' first main-period attempts in the mock subjects."""
    raw = data_dir / "raw"
    mocks, mains = [], []
    for year in years:
        mock = _load(raw / "mock" / str(year)).assign(exam_year=year)
        mock["grade"] = mock["класс"].str.extract(r"^(\d+)")[0].astype(int)
        mocks.append(mock.assign(fail=_fails(mock)))
        for kind, grade in (("oge", 9), ("ege", 11)):
            first = _first_attempts(_load(raw / kind / str(year)))
            first = first[(first["этап"] != "дополнительный")]
            first = first[first["предмет"].isin(MOCK_SUBJECTS[grade])]
            mains.append(first.assign(exam_year=year, grade=grade, fail=_fails(first)))
    return pd.concat(mocks, ignore_index=True), pd.concat(mains, ignore_index=True)


# --- files and layouts ----------------------------------------------------------------------


def test_writes_contract_folders_and_reports_every_file(region):
    raw = region.data_dir / "raw"
    on_disk = sorted(p for p in raw.rglob("*") if p.is_file())
    assert sorted(region.files) == on_disk
    assert region.years == YEARS and region.school_count == SCHOOLS
    folders = {p.parent.relative_to(raw).as_posix() for p in on_disk}
    kinds = ("context", "oge", "ege", "mock")
    expected = {"schools"} | {f"{k}/{y}" for k in kinds for y in YEARS}
    # ВПР: the 2020–2021 exports in the year folder, then the protocols in grade folders
    expected |= {f"vpr/{YEARS[0]}"} | {f"vpr/{YEARS[1]}/{g} класс" for g in range(4, 9)}
    assert folders == expected
    assert {p.suffix for p in on_disk} == {".csv", ".xlsx"}
    assert region.truth_path == region.data_dir / "demo_truth.parquet"
    assert region.truth_path.exists()


def test_progress_reports_steps(generated):
    messages = generated[1]
    assert any("ВПР 2024" in m for m in messages)
    assert any("ЕГЭ 2025" in m for m in messages)


def test_csv_files_come_in_both_contract_encodings(region):
    heads = [p.read_bytes()[:3] for p in region.files if p.suffix == ".csv"]
    assert any(h == b"\xef\xbb\xbf" for h in heads)
    assert any(h != b"\xef\xbb\xbf" for h in heads)


@pytest.mark.parametrize(
    ("kind", "required", "optional"),
    [
        (
            "schools",
            {"code", "name", "muni"}
            | _names("Уровень", "Численность обучающихся", "Широта", "Долгота"),
            _names("Тип поселения"),
        ),
        (
            "oge",
            {"code", "participant"}
            | _names("Предмет", "Первичный балл", "Оценка", "Этап", "Дата экзамена"),
            {"muni"} | _names("Код МСУ"),
        ),
        (
            "ege",
            {"code", "participant"}
            | _names("Предмет", "Первичный балл", "Балл", "Оценка", "Этап", "Дата экзамена"),
            {"muni"} | _names("Код МСУ"),
        ),
        ("context", {"code"}, CONTEXT_SHARES | _names("Тип поселения", "Численность обучающихся")),
        (
            "mock",
            {"code", "participant"} | _names("Класс", "Предмет", "Первичный балл", "Дата экзамена"),
            {"muni"} | _names("Код МСУ", "Балл", "Оценка", "Этап"),
        ),
    ],
)
def test_headers_are_the_contracts(region, kind, required, optional):
    paths = [p for p in region.files if p.relative_to(region.data_dir / "raw").parts[0] == kind]
    assert paths
    for path in paths:
        for sheet, frame in _sheets(path):
            keys = [_canonical(h) for h in frame.columns]
            where = f"{path.name} [{sheet}]"
            assert len(set(keys)) == len(keys), where
            extra = set(keys) - required - optional
            assert not extra, f"{where}: {extra}"
            assert required <= set(keys), f"{where}: missing {required - set(keys)}"
            if kind in ("oge", "ege", "mock"):
                assert {"muni", _norm("Код МСУ")} & set(keys), where
            if kind == "mock":
                assert _names("Балл", "Оценка") & set(keys), where


def test_vpr_comes_as_fis_oko_exports_csv_and_xlsx(region, tables):
    """Both real layouts (headers checked as read), CSV and XLSX, and the exports' quirks."""
    vpr = pd.concat([tables[("vpr", y)].assign(exam_year=y) for y in YEARS], ignore_index=True)
    files = [p for p in region.files if p.relative_to(region.data_dir / "raw").parts[0] == "vpr"]
    assert {p.suffix for p in files} == {".csv", ".xlsx"}
    assert {p.suffix for p in files if EXPORT_TITLE.match(p.stem)} == {".csv", ".xlsx"}
    assert {p.suffix for p in files if not EXPORT_TITLE.match(p.stem)} == {".csv", ".xlsx"}
    sizes = vpr.groupby("_file").size()
    assert sizes[[f.endswith(".xlsx") for f in sizes.index]].max() <= 3000
    formed = vpr[vpr["form"] != ""]
    assert set(formed["form"]) == {BIO_FORM} and set(formed["grade"]) == {7}
    assert set(formed["exam_year"]) == {YEARS[0]} and formed["_file"].str.endswith(".xlsx").all()
    assert (formed["max_score"] == VPR_FORM_SCALES[("Биология", 7, BIO_FORM)].max_score).all()
    # one school, several logins: `sch…` in one year, `edu…` in another
    spellings = vpr.groupby("code")["login"].agg(lambda x: frozenset(x.str[:3]))
    assert (spellings == frozenset({"sch", "edu"})).sum() >= 5
    assert set(vpr["login"].str[:3]) == {"sch", "edu"}
    assert 0 < (vpr["класс"] == "НЕТ").mean() < 0.02
    assert 0.02 < vpr["отметка по журналу"].isna().mean() < 0.1


def test_participant_row_count_matches_the_files(region, tables):
    rows = sum(len(tables[(k, y)]) for k in ("vpr", "oge", "ege") for y in YEARS)
    assert region.participant_row_count == rows


def test_registry_holds_every_school_once(region, truth):
    registry = _load(region.data_dir / "raw" / "schools")
    assert registry["code"].is_unique and len(registry) == SCHOOLS
    assert registry["code"].str.fullmatch(r"sch\d{6}").all()
    assert set(registry["code"]) == set(truth["school_id"])
    assert set(registry["уровень"]) <= {"НОШ", "ООШ", "СОШ"}
    assert set(registry["тип поселения"]) == {"город", "село"}
    last = truth[truth["exam_year"] == YEARS[-1]].set_index("school_id")
    counts = _num(registry.set_index("code")["численность обучающихся"])
    assert (counts == last["student_count"].reindex(counts.index)).all()


# --- truth --------------------------------------------------------------------------------


def test_truth_grain_and_columns(truth):
    assert list(truth.columns) == [
        "school_id",
        "exam_year",
        "municipality_name",
        "settlement_type",
        "school_level",
        "student_count",
        "true_effect",
        "social_disadvantage",
        "is_true_low",
        "is_true_stable_low",
        "is_true_shnsu",
        "is_true_resilient",
        "is_inflated_vpr",
        "assessed_participant_count",
        "has_mock",
        "mock_participant_count",
    ]
    assert not truth.duplicated(["school_id", "exam_year"]).any()
    assert len(truth) == SCHOOLS * len(YEARS)
    assert set(truth["settlement_type"]) == {"urban", "rural"}
    assert set(truth["school_level"]) <= {"primary", "basic", "secondary"}
    flags = [c for c in truth.columns if c.startswith(("is_", "has_"))]
    assert all(truth[c].dtype == bool for c in flags)


def test_truth_flags_are_consistent(truth):
    first = truth[truth["exam_year"] == YEARS[0]]
    assert not first["is_true_stable_low"].any() and not first["is_true_resilient"].any()
    for year, rows in truth.groupby("exam_year"):
        assessed = rows[rows["assessed_participant_count"] > 0]
        assert rows["is_true_low"].sum() == math.ceil(0.1 * len(assessed)), year
        cut = assessed.loc[assessed["is_true_low"], "true_effect"].min()
        assert (assessed.loc[~assessed["is_true_low"], "true_effect"] <= cut).all()
    wide = truth.pivot(index="school_id", columns="exam_year")
    stable = wide["is_true_stable_low"][YEARS[1]]
    assert stable.equals(wide["is_true_low"][YEARS[0]] & wide["is_true_low"][YEARS[1]])
    shnsu = truth.groupby("school_id")["is_true_shnsu"].first()
    assert shnsu.sum() == math.ceil(0.25 * SCHOOLS)
    c = truth.groupby("school_id")["social_disadvantage"].first()
    assert c[shnsu].min() >= c[~shnsu].max()
    resilient = truth[truth["is_true_resilient"]]
    assert resilient["is_true_shnsu"].all() and not resilient["is_inflated_vpr"].any()
    assert not (resilient["is_true_low"]).any()
    assert resilient["school_id"].nunique() >= 1


def test_assessed_count_is_first_attempt_main_period_results(truth, tables):
    year = YEARS[-1]
    vpr = tables[("vpr", year)]
    present = vpr[_num(vpr["отметка"]).notna()].groupby("code").size()
    gia = []
    for kind in ("oge", "ege"):
        first = _first_attempts(tables[(kind, year)])
        gia.append(first[first["этап"] != "дополнительный"].groupby("code").size())
    counted = present.add(gia[0], fill_value=0).add(gia[1], fill_value=0)
    rows = truth[truth["exam_year"] == year].set_index("school_id")["assessed_participant_count"]
    assert (counted.reindex(rows.index, fill_value=0) == rows).all()


def test_tiny_and_large_schools_exist(tables, truth):
    vpr = tables[("vpr", YEARS[-1])]
    class_sizes = vpr.groupby(["code", "класс", "предмет"]).size()
    assert class_sizes.min() <= 8
    assert class_sizes.groupby(level="code").max().max() >= 20
    rural = truth[truth["settlement_type"] == "rural"]
    urban = truth[truth["settlement_type"] == "urban"]
    assert rural["student_count"].median() < urban["student_count"].median() / 2
    assert len(vpr["класс"].str.extract(r"\d+\s*([А-Я])")[0].dropna().unique()) >= 3


# --- results consistent with the planted truth --------------------------------------------


@pytest.fixture(scope="module")
def vpr_rows(tables, truth) -> pd.DataFrame:
    """ВПР rows of all years with marks, scales and the school's truth."""
    frames = []
    for year in YEARS:
        vpr = tables[("vpr", year)].copy()
        vpr["exam_year"] = year
        frames.append(vpr)
    vpr = pd.concat(frames, ignore_index=True)
    vpr["mark"] = vpr["отметка"]
    vpr["score"] = vpr["первичный балл"]
    vpr["journal"] = vpr["отметка по журналу"]
    keyed = truth.set_index(["school_id", "exam_year"])["is_inflated_vpr"]
    vpr["inflated"] = keyed.reindex(pd.MultiIndex.from_frame(vpr[["code", "exam_year"]])).to_numpy()
    return vpr


def test_vpr_marks_from_the_scale_are_the_planted_marks_and_absence_is_marked(vpr_rows):
    vpr = vpr_rows
    absent = vpr["вариант"] == "отсутствовал"
    assert (vpr["mark"].isna() == absent).all() and vpr.loc[absent, "task_blank"].all()
    assert set(vpr.loc[~absent, "вариант"]) == {"1", "2"}
    assert 0.02 < absent.mean() < 0.09
    present = vpr[~absent]
    assert set(present["mark"]) == {2, 3, 4, 5}
    # the demo's scale file gives the marks the generator planted with its own scales
    for (subject, grade, form), rows in present.groupby(["предмет", "grade", "form"]):
        scale = VPR_FORM_SCALES[(subject, grade, form)] if form else VPR_SCALES[(subject, grade)]
        expected = 2 + (rows["score"] >= scale.b3) + (rows["score"] >= scale.b4)
        expected += rows["score"] >= scale.b5
        assert (rows["mark"] == expected).all(), (subject, grade, form)
        assert rows["score"].between(0, scale.max_score).all()
        assert (rows["max_score"] == scale.max_score).all()
    fail = (present["mark"] == 2).mean()
    assert 0.06 < fail < 0.25
    honest = present[~present["inflated"] & present["journal"].notna()]
    assert ((honest["mark"] - honest["journal"]).abs() <= 1).mean() > 0.95


def test_inflated_schools_bunch_at_the_three_boundary_and_exceed_journal(vpr_rows):
    vpr = vpr_rows
    present = vpr[vpr["mark"].notna() & vpr["journal"].notna()]
    at_boundary = (present["score"] == present["b3"]).groupby(present["inflated"]).mean()
    above_journal = (present["mark"] > present["journal"]).groupby(present["inflated"]).mean()
    assert at_boundary[True] > 2.5 * at_boundary[False]
    assert above_journal[True] > 2 * above_journal[False]
    absent = vpr["mark"].isna().groupby(vpr["inflated"]).mean()
    assert absent[True] > absent[False]


def test_inflated_schools_fail_vpr_less_than_their_oge_ege_predict(vpr_rows, tables, truth):
    vpr = vpr_rows
    vpr = vpr[vpr["mark"].notna()]
    vpr_fail = (vpr["mark"] == 2).groupby([vpr["code"], vpr["exam_year"]]).agg(["sum", "size"])
    gia = []
    for kind in ("oge", "ege"):
        for year in YEARS:
            first = _first_attempts(tables[(kind, year)])
            first = first[first["этап"] != "дополнительный"]
            score = _num(first.get("балл", pd.Series(np.nan, index=first.index)))
            mark = _num(first["оценка"])
            minimum = first["предмет"].map(EGE_MIN)
            fail = np.where(mark.notna(), mark == 2, score < minimum)
            gia.append(pd.DataFrame({"code": first["code"], "exam_year": year, "fail": fail}))
    gia = pd.concat(gia)
    gia_fail = gia.groupby(["code", "exam_year"])["fail"].agg(["sum", "size"])
    both = vpr_fail.add_suffix("_vpr").join(gia_fail.add_suffix("_gia"), how="inner")

    def logit(k, n):
        return np.log((k + 0.5) / (n - k + 0.5))

    region_vpr = logit(both["sum_vpr"].sum(), both["size_vpr"].sum())
    region_gia = logit(both["sum_gia"].sum(), both["size_gia"].sum())
    # VPR shift minus ОГЭ/ЕГЭ shift of each school's fail odds from the region's.
    gap = (logit(both["sum_vpr"], both["size_vpr"]) - region_vpr) - (
        logit(both["sum_gia"], both["size_gia"]) - region_gia
    )
    keyed = truth.set_index(["school_id", "exam_year"])["is_inflated_vpr"]
    inflated = keyed.reindex(both.index).to_numpy()
    assert inflated.sum() >= 2
    assert gap[inflated].mean() < gap[~inflated].mean() - 1.0
    assert (gap[inflated] < gap[~inflated].median()).all()


def test_worse_true_effect_means_more_failures(vpr_rows, truth):
    vpr = vpr_rows
    present = vpr[vpr["mark"].notna() & ~vpr["inflated"]]
    fail = (present["mark"] == 2).groupby([present["code"], present["exam_year"]]).mean()
    effect = truth.set_index(["school_id", "exam_year"])["true_effect"].reindex(fail.index)
    assert np.corrcoef(fail, effect)[0, 1] > 0.4


def test_oge_marks_retakes_and_stages(tables):
    for year in YEARS:
        oge = tables[("oge", year)].assign(_date=_dates(tables[("oge", year)]))
        oge["mark"], oge["score"] = _num(oge["оценка"]), _num(oge["первичный балл"])
        assert set(oge["этап"]) == {"основной", "резервный", "дополнительный"}
        for subject, rows in oge.groupby("предмет"):
            scale = OGE_SCALES[subject]
            expected = 2 + (rows["score"] >= scale.b3) + (rows["score"] >= scale.b4)
            expected += rows["score"] >= scale.b5
            assert (rows["mark"] == expected).all(), subject
        assert oge.groupby("participant")["предмет"].nunique().min() == 4
        first = _first_attempts(oge)
        assert (first["этап"] != "дополнительный").all()
        main_fail = (first["mark"] == 2).mean()
        assert 0.02 < main_fail < 0.12
        retakes = oge.drop(first.index)
        assert len(retakes) > 0
        base = first.set_index(["participant", "предмет"])
        keys = pd.MultiIndex.from_frame(retakes[["participant", "предмет"]])
        assert (base.loc[keys, "mark"].to_numpy() == 2).all()
        assert (base.loc[keys, "_date"].to_numpy() < retakes["_date"].to_numpy()).all()


def test_ege_scores_minimums_and_base_maths(tables):
    for year in YEARS:
        ege = tables[("ege", year)]
        score, mark = _num(ege["балл"]), _num(ege["оценка"])
        base = ege["предмет"] == "Математика (базовая)"
        assert score[base].isna().all() and mark[base].between(2, 5).all()
        assert mark[~base].isna().all() and score[~base].between(0, 100).all()
        assert set(ege.loc[~base, "предмет"]) <= set(EGE_SCALES)
        first = _first_attempts(ege)
        students = first["participant"].nunique()
        assert (first["предмет"] == "Русский язык").sum() == students
        profile = (first["предмет"] == "Математика (профильная)").sum() / students
        assert 0.3 < profile < 0.6
        not_base = first[first["предмет"] != "Математика (базовая)"]
        below = _num(not_base["балл"]) < not_base["предмет"].map(EGE_MIN)
        shares = below.groupby(not_base["предмет"]).mean()
        assert shares["Русский язык"] < 0.1 and shares.max() < 0.3
        retakes = ege.drop(first.index)
        assert set(retakes["предмет"]) <= {"Русский язык", "Математика (базовая)"}
        assert set(retakes["этап"]) <= {"резервный", "дополнительный"}


def test_task_columns_sum_to_the_primary_score(tables):
    for year in YEARS:
        vpr = tables[("vpr", year)]
        tasked = vpr[vpr["tasks"] > 0]
        present = tasked[tasked["первичный балл"].notna()]
        assert (present["task_sum"] == present["первичный балл"]).all()
        assert tasked.loc[tasked["первичный балл"].isna(), "task_blank"].all()
        headed = vpr[vpr["task_max"].notna()]  # the protocol heads tasks with their maximum
        assert (headed["task_max"] == headed["max_score"]).all()
        # workbooks carry the tasks; of the CSV copies, Russian and maths of one grade
        assert vpr.loc[vpr["_file"].str.endswith(".xlsx"), "tasks"].gt(0).all()
        csv = vpr[vpr["_file"].str.endswith(".csv")]
        with_tasks = csv.loc[csv["tasks"] > 0, ["предмет", "grade"]].drop_duplicates()
        assert set(map(tuple, with_tasks.to_numpy())) == {
            ("Русский язык", 4 + year % 5),
            ("Математика", 4 + year % 5),
        }
    assert tables[("vpr", YEARS[-1])]["task_max"].notna().any()


def test_context_shares_and_a_missing_column(tables, truth):
    seen = []
    for year in YEARS:
        context = tables[("context", year)]
        assert set(context["code"]) == set(truth["school_id"])
        shares = [c for c in context.columns if c in CONTEXT_SHARES]
        seen.append(len(shares))
        missing = []
        for column in shares:
            values = _num(context[column].astype(str).str.replace(",", ".", regex=False))
            assert values.dropna().between(0, 100).all()
            missing.append(values.isna().mean())
        assert 0.01 < np.mean(missing) < 0.12
        higher_ed = next(c for c in shares if c.startswith("доля родителей"))
        values = _num(context[higher_ed].astype(str).str.replace(",", ".", regex=False))
        values = values.where(values > 1, values * 100)  # fractions or percent
        c = truth.groupby("school_id")["social_disadvantage"].first().reindex(context["code"])
        assert np.corrcoef(values.fillna(values.mean()), c)[0, 1] < -0.3
    assert min(seen) == 9 and max(seen) == 10


# --- mock exams («репетиционные экзамены») ------------------------------------------------


@pytest.fixture(scope="module")
def mock_tables(region) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The small region's mock rows and main-exam first attempts in the mock subjects."""
    return _mock_and_main(region.data_dir, YEARS)


def test_mock_rows_are_counted_apart_and_match_the_truth(region, truth, mock_tables):
    mock = mock_tables[0]
    assert region.mock_row_count == len(mock) > 0
    counts = mock.groupby(["code", "exam_year"]).size()
    keyed = truth.set_index(["school_id", "exam_year"])
    expected = keyed["mock_participant_count"]
    assert (counts.reindex(expected.index, fill_value=0) == expected).all()
    assert keyed["has_mock"].equals(expected > 0)
    assert mock_tables[1].groupby(["code", "exam_year"]).size().index.isin(keyed.index).all()


def test_mock_grades_subjects_marks_and_spring_dates(region, tables, mock_tables):
    mock = mock_tables[0]
    assert mock["класс"].str.fullmatch(r"(9|11)[А-Я]?").all()
    assert set(mock["grade"]) == {9, 11}
    for grade, subjects in MOCK_SUBJECTS.items():
        assert set(mock.loc[mock["grade"] == grade, "предмет"]) == subjects
    nine = mock[mock["grade"] == 9]
    marked = pd.concat([nine, mock[mock["предмет"] == "Математика (базовая)"]])
    assert _num(marked["оценка"]).between(2, 5).all()
    scored = mock[(mock["grade"] == 11) & (mock["предмет"] != "Математика (базовая)")]
    assert _num(scored["балл"]).between(0, 100).all() and _num(scored["оценка"]).isna().all()
    for subject, rows in nine.groupby("предмет"):
        scale = OGE_SCALES[subject]
        score = _num(rows["первичный балл"])
        expected = 2 + (score >= scale.b3) + (score >= scale.b4) + (score >= scale.b5)
        assert (_num(rows["оценка"]) == expected).all(), subject
    dates = _dates(mock)
    assert (dates.dt.year == mock["exam_year"]).all()
    assert dates.dt.month.isin([3, 4]).all() and (dates.dt.day_of_week < 5).all()
    if "этап" in mock:
        assert set(mock["этап"].dropna()) <= {"репетиционный", ""}
    # The same (pseudonymised) students sit the main exam of their grade in that year.
    for year in YEARS:
        for kind, grade in (("oge", 9), ("ege", 11)):
            main = tables[(kind, year)]
            rows = mock[(mock["exam_year"] == year) & (mock["grade"] == grade)]
            assert set(zip(rows["participant"], rows["предмет"], strict=True)) <= set(
                zip(main["participant"], main["предмет"], strict=True)
            )
    assert len(mock.groupby(["participant", "предмет", "exam_year"])) == len(mock)


def test_some_schools_run_no_mocks(truth, mock_tables):
    main = mock_tables[1]
    with_exams = main.groupby(["code", "exam_year"]).size().index
    keyed = truth.set_index(["school_id", "exam_year"])
    has_mock = keyed.loc[with_exams, "has_mock"]
    assert (~has_mock).sum() >= 2
    assert 0.6 < has_mock.mean() < 0.95
    assert not keyed.loc[~keyed.index.isin(with_exams), "has_mock"].any()


@pytest.fixture(scope="module")
def mock_region(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mock rows and main first attempts of a 200-school, one-year region."""
    summary = generate_demo_region(
        tmp_path_factory.mktemp("demo_mock"), seed=11, school_count=200, year_count=1
    )
    return _mock_and_main(summary.data_dir, summary.years)


def test_mocks_fail_more_often_than_the_main_exam(mock_region):
    mock, main = mock_region
    ratio = mock["fail"].mean() / main["fail"].mean()
    assert 1.3 < ratio < 2.5, ratio
    for (grade, subject), rows in mock.groupby(["grade", "предмет"]):
        same = main[(main["grade"] == grade) & (main["предмет"] == subject)]
        assert rows["fail"].mean() > same["fail"].mean(), (grade, subject)


def test_mocks_predict_the_main_exam_honestly_but_imperfectly(mock_region):
    mock, main = mock_region
    # Student level: the same students' primary scores, correlated but far from equal.
    keys = ["participant", "grade", "предмет", "exam_year"]
    pairs = mock.merge(main, on=keys, suffixes=("_mock", "_main"))
    assert len(pairs) == len(mock)
    for (grade, subject), rows in pairs.groupby(["grade", "предмет"]):
        r = np.corrcoef(_num(rows["первичный балл_mock"]), _num(rows["первичный балл_main"]))
        assert 0.5 < r[0, 1] < 0.8, (grade, subject, r[0, 1])
    # School level: a school's mock fail share goes with its main-exam fail share.
    by_school = ["code", "exam_year"]
    mock_share = mock.groupby(by_school)["fail"].agg(["mean", "size"]).add_suffix("_mock")
    main_share = main.groupby(by_school)["fail"].agg(["mean", "size"]).add_suffix("_main")
    shares = mock_share.join(main_share)
    shares = shares[(shares["size_mock"] >= 10) & (shares["size_main"] >= 10)]
    assert len(shares) >= 80
    r = np.corrcoef(shares["mean_mock"], shares["mean_main"])[0, 1]
    assert 0.3 < r < 0.95, r


# --- behaviour ----------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    def run(name, seed):
        return generate_demo_region(
            tmp_path / name, seed=seed, school_count=20, last_year=2025, year_count=1
        )

    a, b, c = run("a", 5), run("b", 5), run("c", 6)
    rel = [p.relative_to(a.data_dir) for p in a.files]
    assert rel == [p.relative_to(b.data_dir) for p in b.files]
    for path in rel:
        assert (a.data_dir / path).read_bytes() == (b.data_dir / path).read_bytes(), path
    assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
    assert not pd.read_parquet(a.truth_path).equals(pd.read_parquet(c.truth_path))


def test_refuses_a_raw_folder_with_files(tmp_path):
    (tmp_path / "raw" / "vpr").mkdir(parents=True)
    (tmp_path / "raw" / ".gitkeep").touch()
    (tmp_path / "raw" / "vpr" / "old.csv").write_text("x")
    with pytest.raises(FileExistsError, match="raw"):
        generate_demo_region(tmp_path, school_count=20, year_count=1)


def test_accepts_a_raw_folder_with_only_gitkeep(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / ".gitkeep").touch()
    summary = generate_demo_region(tmp_path, school_count=20, year_count=1)
    assert summary.files and (tmp_path / "raw" / ".gitkeep").exists()
