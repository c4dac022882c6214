"""The input layouts of docs/data-contract.md, recognised by the canonical columns of their
headers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CONTEXT_COMPONENTS = (
    "parents_higher_education_share",
    "single_parent_share",
    "low_income_share",
    "unemployed_parents_share",
    "on_register_share",
    "non_native_russian_share",
    "disability_share",
    "vacancy_share",
    "top_category_teacher_share",
    "unconfirmed_competence_share",
)

# Answers of the ФИС ОКО context questionnaire (docs/data-contract.md): categories in text or
# counts.
GRADES = tuple(range(1, 12))
QUESTIONNAIRE_CATEGORIES = (
    "settlement_place",
    "settlement_population",
    "regional_centre_transport",
    "is_special_school",
    "is_evening_school",
    "is_boarding_school",
    "internet_access",
    "parent_involvement",
)
QUESTIONNAIRE_COUNTS = (
    "teacher_count",
    "top_category_teacher_count",
    "young_teacher_count",
    "pension_age_teacher_count",
    "computer_count",
    *(f"pupils_grade_{grade}" for grade in GRADES),
    *(f"class_count_grade_{grade}" for grade in GRADES),
)


@dataclass(frozen=True)
class Layout:
    """One input layout: where it may appear, what identifies it, where its rows land."""

    name: str
    label_ru: str
    raw_table: str
    folders: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()  # at least one of these must be present too
    distinctive: tuple[str, ...] = ()  # columns only this kind of table has
    by_header_row: bool = True  # False: a wide layout read by its own reader (ege_summary.py)
    has_tasks: bool = False  # task columns `1`, `2`, … kept in raw.vpr_task_points
    keeps_unknown: bool = False  # unknown columns kept as JSON text in `extra_columns`
    suite: str | None = None  # the raw suite when it is another layout's (same raw table)
    only_in_folder: bool = False  # recognised only in its own folders (too few columns to tell)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column the raw table keeps, in order."""
        seen = dict.fromkeys(self.required + self.any_of + self.optional)
        return tuple(seen)

    def matches(self, columns: set[str]) -> bool:
        """True when the headers carry everything this layout needs."""
        if not self.by_header_row:
            return False
        has_any = not self.any_of or bool(columns & set(self.any_of))
        return set(self.required) <= columns and has_any

    def match_score(self, columns: set[str]) -> int:
        """How many of this layout's columns the headers carry (ties go to the earlier layout)."""
        return len(columns & set(self.columns))


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        name="vpr_participants",
        label_ru="ВПР: результаты участников",
        raw_table="vpr_participants",
        folders=("vpr",),
        required=("school_code", "class_label", "subject", "mark"),
        distinctive=("journal_mark",),
        has_tasks=True,
        optional=(
            "municipality_name",
            "municipality_code",
            "school_name",
            "participant_id",
            "variant",
            "primary_score",
            "journal_mark",
        ),
    ),
    # The participant exports ФИС ОКО gives a region (docs/data-contract.md §2 a′): the 2020–2021
    # workbook (subject and grade in the file name) and the 2022 «протокол» (sheet «Протокол»).
    # No ВПР mark: it comes from the official scale (reference/vpr_scales.csv); subject, grade
    # and the form of the work are added from the file name and folder (ingest/vpr_exports.py).
    Layout(
        name="vpr_export",
        label_ru="ВПР: выгрузка ФИС ОКО по участникам (без отметки)",
        raw_table="vpr_participants",
        folders=("vpr",),
        required=("school_code", "variant", "primary_score"),
        has_tasks=True,
        suite="raw_vpr_participants",
        optional=(
            "class_label",
            "participant_id",
            "participant_number",
            "journal_mark",
            "sex",
            "textbook",
            "region_code",
            "region_name",
            "municipality_code",
            "municipality_name",
            "school_name",
            "upload_date",
            "subject",
            "grade",
            "work_form",
            "mark_source",
            "mark",  # an export that does give the mark: used, and compared with the scale
        ),
    ),
    Layout(
        name="exam_participants",
        label_ru="ОГЭ/ЕГЭ: результаты участников",
        raw_table="exam_participants",
        folders=("oge", "ege", "mock"),
        required=("school_code", "subject"),
        any_of=("test_score", "mark"),
        distinctive=("stage", "test_score"),
        optional=(
            "municipality_code",
            "municipality_name",
            "school_name",
            "class_label",
            "participant_id",
            "variant",
            "primary_score",
            "stage",
            "exam_date",
        ),
    ),
    Layout(
        name="vpr_mark_stats",
        label_ru="ВПР: статистика по отметкам (проценты)",
        raw_table="vpr_mark_stats",
        folders=("vpr",),
        required=(
            "participant_count",
            "mark_2_percent",
            "mark_3_percent",
            "mark_4_percent",
            "mark_5_percent",
        ),
        any_of=("school_code", "school_name"),
        distinctive=("mark_2_percent",),
        optional=("municipality_name", "title_subject", "title_grade", "title_year"),
    ),
    Layout(
        name="vpr_journal_comparison",
        label_ru="ВПР: сравнение отметок с отметками по журналу (проценты)",
        raw_table="vpr_journal_comparison",
        folders=("vpr",),
        required=("lowered_percent", "confirmed_percent", "raised_percent"),
        any_of=("school_code", "school_name"),
        distinctive=("lowered_percent",),
        optional=(
            "municipality_name",
            "participant_count",
            "title_subject",
            "title_grade",
            "title_year",
        ),
    ),
    Layout(
        name="ege_school_summary",
        label_ru="ЕГЭ: сводная таблица по школам",
        raw_table="ege_school_summary",
        folders=("ege",),
        required=(),
        by_header_row=False,
        optional=(
            "municipality_name",
            "school_name",
            "profile",
            "graduate_count",
            "town_heading",
            "sheet_has_region_row",
            "sheet_year",
            "subject",
            "participant_count",
            "fail_count",
            "high_80_99_count",
            "hundred_count",
            "mean_score",
        ),
    ),
    Layout(
        name="context",
        label_ru="Социальный паспорт",
        raw_table="context",
        folders=("context",),
        required=("school_code",),
        any_of=CONTEXT_COMPONENTS,
        keeps_unknown=True,
        optional=(
            "context_year",
            "settlement_type",
            "student_count",
            "school_name",
            "extra_columns",
        ),
    ),
    Layout(
        name="context_questionnaire",
        label_ru="Контекстные данные ФИС ОКО (анкета ОО)",
        raw_table="context_questionnaire",
        folders=("context",),
        required=("school_code",),
        any_of=QUESTIONNAIRE_CATEGORIES + QUESTIONNAIRE_COUNTS,
        keeps_unknown=True,
        optional=(
            "school_name",
            "municipality_name",
            "legal_form",
            "education_levels",
            "settlement_type",
            "student_count",
            "context_year",
            "extra_columns",
        ),
    ),
    Layout(
        name="fioco_objectivity_list",
        label_ru="Список ФИОКО: ОО с признаками необъективности результатов",
        raw_table="fioco_objectivity_list",
        folders=("objectivity",),
        required=("school_code",),
        only_in_folder=True,
        optional=("school_name", "municipality_name", "context_year", "class_label", "subject"),
    ),
    Layout(
        name="registry",
        label_ru="Реестр школ",
        raw_table="schools",
        folders=("schools",),
        required=("school_code", "school_name"),
        # a ФИС ОКО login list (`логин`, `имя`, `регион`) names a grouping label, not a municipality
        any_of=("municipality_name", "region_name"),
        optional=(
            "municipality_code",
            "settlement_type",
            "school_level",
            "student_count",
            "latitude",
            "longitude",
        ),
    ),
)

RAW_FOLDERS = ("schools", "context", "vpr", "oge", "ege", "mock", "objectivity")
YEARLY_FOLDERS = ("context", "vpr", "oge", "ege", "mock", "objectivity")


def best_layout(columns: Iterable[str | None], folder: str | None = None) -> Layout | None:
    """The layout these canonical columns fit best (the folder's own layouts first), or None."""
    present = {c for c in columns if c}
    fitting = [
        layout
        for layout in LAYOUTS
        if layout.matches(present) and (folder in layout.folders or not layout.only_in_folder)
    ]
    if not fitting:
        return None
    in_folder = [layout for layout in fitting if folder in layout.folders]
    if in_folder:
        own = max(in_folder, key=lambda layout: layout.match_score(present))
        # A table carrying another layout's distinctive columns (a ВПР journal mark in an
        # ОГЭ folder) is that other kind: returned so that the loader reports the mismatch.
        for other in fitting:
            if other is not own and present & (set(other.distinctive) - set(own.columns)):
                return other
        return own
    return max(fitting, key=lambda layout: layout.match_score(present))


def layout_named(name: str) -> Layout:
    """The layout with this name."""
    return next(layout for layout in LAYOUTS if layout.name == name)
