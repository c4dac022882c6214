"""Headers and subject names as analysts write them → canonical columns and subject codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shnor.ingest.headers import (
    canonical_column,
    header_aliases,
    is_task_column,
    normalized,
    normalized_cyrillic,
    subject_code,
)

# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Код ОО", "код оо"),
        ("  КОД   ОО  ", "код оо"),
        ("Доля обучающихся, состоящих на учёте", "доля обучающихся состоящих на учете"),
        ("Кол-во участников", "кол во участников"),
        ("Код\tОО\n", "код оо"),
        ("«Название ОО»:", "название оо"),
        ("Математика (профильная)", "математика профильная"),
        ("ЁЛКА", "елка"),
        ("4.1", "4 1"),
        (None, ""),
        ("", ""),
        (5, "5"),
    ],
)
def test_normalized(text, expected):
    assert normalized(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KOД OO", "код оо"),  # Latin K, O inside a Cyrillic header
        ("Kод OУ", "код оу"),
        ("Пpeдмeт", "предмет"),  # Latin p, e
        ("Oтмeткa", "отметка"),
        ("school_code", "school code"),  # a header without Cyrillic stays Latin
        ("Код ОО 2025", "код оо 2025"),
    ],
)
def test_latin_lookalikes_become_cyrillic(text, expected):
    assert normalized_cyrillic(text) == expected


def test_latin_word_next_to_cyrillic_one_is_kept():
    assert normalized_cyrillic("Код ID участника") == "код id участника"


# --- header aliases: docs/data-contract.md --------------------------------------------

REGISTRY = {  # §1
    "Код ОО": "school_code",
    "Логин ОО": "school_code",
    "ОО": "school_code",
    "Код ОУ": "school_code",
    "Полное наименование": "school_name",
    "Наименование ОО": "school_name",
    "Название ОО": "school_name",
    "Муниципалитет": "municipality_name",
    "Муниципальное образование": "municipality_name",
    "МО": "municipality_name",
    "АТЕ": "municipality_name",
    "Тип поселения": "settlement_type",
    "Уровень": "school_level",
    "Численность обучающихся": "student_count",
    "Широта": "latitude",
    "Долгота": "longitude",
}
VPR = {  # §2a
    "Класс": "class_label",
    "Предмет": "subject",
    "Код участника": "participant_id",
    "Вариант": "variant",
    "Первичный балл": "primary_score",
    "Отметка": "mark",
    "Отметка по журналу": "journal_mark",
}
EXAMS = {  # §3
    "Код МСУ": "municipality_code",
    "Балл": "test_score",
    "Оценка": "mark",
    "Этап": "stage",
    "Дата экзамена": "exam_date",
}
CONTEXT = {  # §5
    "Доля родителей с высшим образованием": "parents_higher_education_share",
    "Доля неполных семей": "single_parent_share",
    "Доля малообеспеченных семей": "low_income_share",
    "Доля семей с безработными родителями": "unemployed_parents_share",
    "Доля обучающихся, состоящих на учёте": "on_register_share",
    "Доля обучающихся, для которых русский язык не родной": "non_native_russian_share",
    "Доля обучающихся с ОВЗ": "disability_share",
    "Доля вакантных ставок": "vacancy_share",
    "Доля учителей высшей категории": "top_category_teacher_share",
    "Доля учителей, не подтвердивших предметные компетенции": "unconfirmed_competence_share",
}


@pytest.mark.parametrize(
    ("header", "column"), [*REGISTRY.items(), *VPR.items(), *EXAMS.items(), *CONTEXT.items()]
)
def test_contract_header_maps_to_its_canonical_column(header, column):
    assert canonical_column(header) == column


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("КОД ОО", "school_code"),
        ("код оо", "school_code"),
        (" Код  ОО: ", "school_code"),
        ("KOД OO", "school_code"),
        ("Код_ОО", "school_code"),
        ("Доля обучающихся, состоящих на учете", "on_register_share"),
        ("ДОЛЯ ОБУЧАЮЩИХСЯ С ОВЗ (%)", "disability_share"),
        ("Тип  поселения", "settlement_type"),
        ("school_code", "school_code"),  # the canonical name is an alias of itself
        ("test_score", "test_score"),
    ],
)
def test_header_variants_map(header, column):
    assert canonical_column(header) == column


@pytest.mark.parametrize("header", ["Фамилия", "Кол-во заданий", "", None, "Задание 1"])
def test_unknown_header_maps_to_nothing(header):
    assert canonical_column(header) is None


@pytest.mark.parametrize(
    ("header", "column"), [("Код MO", "municipality_code"), ("Tип поселения", "settlement_type")]
)
def test_upper_case_latin_lookalikes_map(header, column):
    assert canonical_column(header) == column


# --- task columns ---------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["1", "2", "10", "4.1", " 12 ", "3.10"])
def test_task_columns_recognised(header):
    assert is_task_column(header)


@pytest.mark.parametrize("header", ["100", "1a", "Задание 1", "", None, "4.", "1.123", "x"])
def test_not_task_columns(header):
    assert not is_task_column(header)


# --- subjects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Русский язык", "russian"),
        ("РУССКИЙ ЯЗЫК", "russian"),
        ("Математика", "math"),
        ("Математика (профильная)", "math_profile"),
        ("Математика профильная", "math_profile"),
        ("Математика (базовая)", "math_base"),
        ("Окружающий мир", "surrounding_world"),
        ("Иностранный язык (английский)", "english"),
        ("Обществознание", "social_studies"),
        ("Информатика и ИКТ", "informatics"),
        ("Математика (прoфильная)", "math_profile"),  # Latin o
    ],
)
def test_known_subjects(name, code):
    assert subject_code(name) == (code, True)


# Official names the subjects had over the years (ЕГЭ, ОГЭ, ВПР), as regional files write them.
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Информатика и ИКТ", "informatics"),
        ("ИКТ", "informatics"),
        ("Информатика и информационно-коммуникационные технологии (ИКТ)", "informatics"),
        ("ИНФОРМАТИКА И ИКТ (КЕГЭ)", "informatics"),
        ("Информатика и ИКТ (компьютерная форма)", "informatics"),
        ("Обществознание", "social_studies"),
        ("Обществоведение", "social_studies"),
        ("Обществознание (включая экономику и право)", "social_studies"),
        ("Английский язык (письменная часть)", "english"),
        ("Английский язык (письменно)", "english"),
        ("Английский язык (письменная и устная части)", "english"),
        ("Иностранный язык (английский) письменная и устная части", "english"),
        ("Иностранный язык (английский язык)", "english"),
        ("Английский язык (устная часть)", "english_oral"),
        ("Иностранный язык (английский), устная часть", "english_oral"),
        ("Немецкий язык (письменная часть)", "german"),
        ("Немецкий язык (устная часть)", "german_oral"),
        ("Французский язык (устно)", "french_oral"),
        ("Испанский язык (письменная и устная части)", "spanish"),
        ("Китайский язык (устная часть)", "chinese_oral"),
        ("Математика (профильный уровень)", "math_profile"),
        ("Математика П", "math_profile"),
        ("Математика Б (базовый уровень)", "math_base"),
        ("Математика (углублённый уровень)", "math"),
        ("История России. Всеобщая история", "history"),
    ],
)
def test_historical_official_subject_names(name, code):
    assert subject_code(name) == (code, True)


def test_every_alias_names_a_subject_of_the_reference_table():
    import csv
    from importlib import resources

    def read(name: str) -> list[dict[str, str]]:
        text = resources.files("shnor.reference").joinpath(name).read_text("utf-8")
        return list(csv.DictReader(text.splitlines()))

    subjects = {row["subject"] for row in read("subjects.csv")}
    assert {row["subject"] for row in read("subject_aliases.csv")} <= subjects
    for row in read("subject_aliases.csv"):
        assert subject_code(row["alias"]) == (row["subject"], True), row


@pytest.mark.parametrize(
    "name",
    ["Астрономия", "Основы безопасности жизнедеятельности", "Шахматы", "Труд (технология)",
     "Иностранный язык", "Родной язык", ""],
)  # fmt: skip
def test_an_unknown_subject_gets_no_invented_code(name):
    assert subject_code(name) == (None, False)


# --- a region's own aliases -----------------------------------------------------------------


def _local_aliases(folder: Path, file_name: str, text: str) -> Path:
    folder.mkdir()
    (folder / file_name).write_text(text, encoding="utf-8-sig")
    return folder


def test_region_header_aliases_extend_the_table(tmp_path):
    reference_dir = _local_aliases(
        tmp_path / "ref_headers",
        "header_aliases.csv",
        "column,alias\nschool_code,Шифр учреждения\nmark,Итоговая отметка\n",
    )
    assert canonical_column("Шифр учреждения") is None
    assert canonical_column("ШИФР  УЧРЕЖДЕНИЯ", reference_dir) == "school_code"
    assert canonical_column("Итоговая отметка", reference_dir) == "mark"
    # the packaged aliases still apply next to the region's own
    assert canonical_column("Код ОО", reference_dir) == "school_code"
    assert header_aliases(reference_dir)["шифр учреждения"] == "school_code"


def test_missing_region_file_means_packaged_aliases_only(tmp_path):
    reference_dir = tmp_path / "ref_empty"
    reference_dir.mkdir()
    assert header_aliases(reference_dir) == header_aliases(None)


def test_region_subject_aliases_extend_the_table(tmp_path):
    reference_dir = _local_aliases(
        tmp_path / "ref_subjects", "subject_aliases.csv", "subject,alias\nrussian,Родной русский\n"
    )
    assert subject_code("Родной русский") == (None, False)
    assert subject_code("Родной русский", reference_dir) == ("russian", True)


def test_region_aliases_saved_by_excel_in_windows_1251_with_semicolons(tmp_path):
    reference_dir = tmp_path / "ref_excel"
    reference_dir.mkdir()
    text = "column;alias\r\nschool_code;Шифр учреждения\r\n"
    (reference_dir / "header_aliases.csv").write_bytes(text.encode("cp1251"))
    assert canonical_column("Шифр учреждения", reference_dir) == "school_code"


def test_an_edited_region_alias_file_is_read_again_by_the_same_process(tmp_path):
    reference_dir = _local_aliases(
        tmp_path / "ref_edited", "header_aliases.csv", "column,alias\nschool_code,Шифр\n"
    )
    assert canonical_column("Шифр учреждения", reference_dir) is None
    path = reference_dir / "header_aliases.csv"
    path.write_text("column,alias\nschool_code,Шифр учреждения\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert canonical_column("Шифр учреждения", reference_dir) == "school_code"


def test_a_header_search_looks_at_the_region_files_once_not_per_cell(tmp_path, monkeypatch):
    from shnor.ingest import headers, readers

    reference_dir = tmp_path / "ref_counted"
    reference_dir.mkdir()
    looks = []
    version = headers._local_version
    monkeypatch.setattr(
        headers, "_local_version", lambda *args: looks.append(args) or version(*args)
    )
    rows = [[f"примечание {r}-{c}" for c in range(12)] for r in range(25)]
    rows.append(["Код ОО", "Класс", "Код участника", "Предмет", "Отметка"])
    readers._header_match(rows, "vpr", reference_dir)  # the first also reads the files
    looks.clear()
    found = readers._header_match(rows, "vpr", reference_dir)
    assert found is not None and found[0] == 25
    assert found[2] == ["school_code", "class_label", "participant_id", "subject", "mark"]
    assert len(looks) == 2  # the aliases and the patterns file, for 305 cells
