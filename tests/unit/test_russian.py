"""Russian for readers: decimal commas, percentage points with a minus sign, nouns agreed with
their numbers (the cases that go wrong by hand: 1, 2, 5, 11, 21, 101)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shnor import russian
from shnor.labels import percent

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.3456, f"34,6{NB}%"), (1.0, f"100,0{NB}%"), (0.0, f"0,0{NB}%"), (math.nan, "—")],
)
def test_percent_has_a_decimal_comma_and_a_non_breaking_space(value, expected):
    assert russian.percent(value) == expected
    assert percent(value) == expected


def test_changes_are_percentage_points_with_a_true_minus_sign():
    assert russian.points(-0.512) == f"\u221251,2{NB}п.п."
    assert russian.points(0.052) == f"+5,2{NB}п.п."
    assert russian.points(-0.0001) == f"0,0{NB}п.п."  # no «−0,0»
    assert russian.points_range(-0.743, -0.153) == f"от \u221274,3 до \u221215,3{NB}п.п."
    assert not russian.points(-0.5).startswith("-")  # a spreadsheet reads «-…» as a formula


def test_large_numbers_group_digits_and_p_values_read_in_russian():
    assert russian.number(1746349, 0) == f"1{NB}746{NB}349"
    assert russian.p_value(0.0049) == "p = 0,005"
    assert russian.p_value(0.00001) == "p < 0,001"
    assert russian.percent_range(0.32, 0.807) == f"32,0–80,7{NB}%"


def test_numbers_are_written_as_babels_ru_pattern_writes_them():
    """`number` writes without Babel's per-call pattern machinery: every value a report meets
    (ties that round half to even, binary fractions, digit groups, 0–3 decimals, the huge and
    infinite ones Babel still writes) comes out as Babel's ru pattern gives it."""
    from babel.numbers import format_decimal

    rng = np.random.default_rng(16)
    values = [
        *rng.uniform(0, 200, 3000), *rng.integers(0, 3_000_000, 500).astype(float),
        *(k / 1000 for k in range(0, 2001)), *(k / 200 for k in range(0, 401)),
        0.125, 2.675, 1.005, 0.05, 99.95, 999.95, 1234567.5, 1e-9, 5e-324, 9.999e14, 2e15,
        1e22, math.inf,
    ]  # fmt: skip
    for digits in (0, 1, 2, 3):
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        for value in values:
            expected = format_decimal(value, pattern, locale="ru").replace("\u202f", NB)
            assert russian.number(value, digits) == expected, (value, digits)
    assert russian.number(0.125, 2) == "0,12" and russian.number(0.135, 2) == "0,14"


def test_a_value_and_its_interval_are_written_one_way():
    assert russian.share_with_interval(0.125, 0.098, 0.156) == f"12,5{NB}% (9,8–15,6{NB}%)"
    assert russian.share_with_interval(0.125, None, 0.156) == f"12,5{NB}%"
    assert russian.change_with_interval(-0.05, -0.101, 0.002) == (
        f"\u22125,0{NB}п.п. (от \u221210,1 до +0,2{NB}п.п.)"
    )
    assert russian.change_with_interval(0.05, float("nan"), 0.1) == f"+5,0{NB}п.п."


@pytest.mark.parametrize(
    ("count", "file", "student", "school"),
    [
        (1, "файл", "обучающийся", "школа"),
        (2, "файла", "обучающихся", "школы"),
        (5, "файлов", "обучающихся", "школ"),
        (11, "файлов", "обучающихся", "школ"),
        (21, "файл", "обучающийся", "школа"),
        (71, "файл", "обучающийся", "школа"),
        (101, "файл", "обучающийся", "школа"),
        (112, "файлов", "обучающихся", "школ"),
    ],
)
def test_nouns_agree_with_their_numbers(count, file, student, school):
    assert russian.counted(count, "файл") == f"{count} {file}"
    assert russian.agreed("обучающийся", count) == student
    assert russian.agreed("школа", count) == school


def test_in_a_phrase_the_first_word_agrees():
    assert russian.counted(5, "строка участников") == "5 строк участников"
