"""The checks of generated Russian texts catch what a reader tripped over in the demo's
reports (texts as they were printed) and pass the same texts as they are printed now."""

from __future__ import annotations

import pytest
from text_checks import russian_text_problems

from shnor import russian


@pytest.mark.parametrize(
    ("printed", "problem"),
    [
        ("Карточка школы · сформирована 2026-12-05T12:12:50", "дата в машинном виде"),
        ("Изменение школ «почти в списке» (30 школ): +0,4 п.п..", "две точки подряд"),
        ("Обучающихся в ШНОР: 5,7 % из 120987", "число без разрядов"),
        ("Из 10221 сопоставлений «школа × процедура» значимых: 6.", "число без разрядов"),
        ("Изменение школ «почти в списке» (21 школ)", "согласование"),
        ("Загружен 101 файлов", "согласование"),
        ("Начало расчёта 2026-12-05 12:09", "дата в машинном виде"),
    ],
)
def test_what_a_reader_tripped_over_is_found(printed, problem):
    assert [p for p in russian_text_problems(printed) if p.startswith(problem)], printed


@pytest.mark.parametrize(
    "printed",
    [
        "Карточка школы · сформирована 05.12.2026 12:12",
        f"Изменение школ «почти в списке» ({russian.counted(30, 'школа')}): "
        f"{russian.points(0.004)}",
        f"Изменение школ «почти в списке» ({russian.counted(21, 'школа')})",
        f"Обучающихся в ШНОР: 5,7 % из {russian.number(120987, 0)}",
        # a preposition governs the case: «из 572 сопоставлений» is right
        f"Из {russian.number(10221, 0)} сопоставлений «школа × процедура» значимых: 6.",
        f"Загружен {russian.counted(101, 'файл')}",
        # codes are not numbers: a school's code, a version of the marts, a checksum
        "sch320985; версия витрин 20261205121229-dd67bd1b; dd67bd1b0ad8cd069c38237",
        "Подождите...",
    ],
)
def test_the_same_texts_as_printed_now_pass(printed):
    assert russian_text_problems(printed) == []
