"""Russian labels for readers: exams, subjects, procedures (for flag sentences and reports)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from shnor import russian
from shnor.problems import rules

EXAM_LABELS = {"vpr": "ВПР", "oge": "ОГЭ", "ege": "ЕГЭ", "mock": "Репетиционный экзамен"}
SETTLEMENT_LABELS = {"urban": "город", "rural": "село"}
LEVEL_LABELS = {"primary": "НОШ", "basic": "ООШ", "secondary": "СОШ"}


@lru_cache(maxsize=1)
def subject_names() -> dict[str, str]:
    """Canonical subject code → Russian name."""
    text = resources.files("shnor.reference").joinpath("subjects.csv").read_text("utf-8")
    return {row["subject"]: row["subject_name_ru"] for row in csv.DictReader(text.splitlines())}


def subject_label(subject: str) -> str:
    """Russian subject name; an unknown code is shown as it is."""
    return subject_names().get(subject, subject)


def rule_labels() -> dict[str, str]:
    """Problem rule code → short Russian name (codes stay in tables, names go to the console)."""
    return {code: rule.label_ru for code, rule in rules().items()}


def rule_label(rule: str) -> str:
    """The Russian name of a rule; a rule without one is shown as its code."""
    return rule_labels().get(rule, rule)


def procedure_label(exam: str, grade: int | None, subject: str) -> str:
    """«ВПР, Математика, 5 кл.» / «ЕГЭ, Русский язык»."""
    exam_label = EXAM_LABELS.get(exam, exam)
    if exam == "vpr" and grade is not None:
        return f"{exam_label}, {subject_label(subject)}, {int(grade)} кл."
    return f"{exam_label}, {subject_label(subject)}"


def percent(share: float) -> str:
    """0.3456 → «34,6 %» (the ru locale: decimal comma, a non-breaking space before %)."""
    return russian.percent(share)
