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
        # a chart's tooltip and a card's table wrote the same interval two other ways
        ("Школа № 5: 15,3\u00a0% [11,1; 20,5], n = 180", "интервал не в принятом виде"),
        ("2026: 15,3\u00a0% [11,1–20,5\u00a0%], n = 180", "интервал не в принятом виде"),
        ("изменение −5,0\u00a0п.п. [−10,1; 0,2], p = 0,04", "интервал не в принятом виде"),
        ("доля «2» 15,3\u00a0% (11,1–20,5) при 8,0\u00a0%", "интервал не в принятом виде"),
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
        f"Школа № 5: {russian.share_with_interval(0.153, 0.111, 0.205)}, n = 180",
        f"изменение {russian.change_with_interval(-0.05, -0.101, 0.002)}, p = 0,04",
        "классы (5–9)",  # a range of grades is not an interval of a share
        "Сравнительный анализ результатов — 2025 и 2026 годы",  # which years, not how many
    ],
)
def test_the_same_texts_as_printed_now_pass(printed):
    assert russian_text_problems(printed) == []
