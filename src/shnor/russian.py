"""Numbers and counted words in Russian for readers: the ru locale's decimal comma and digit
groups (Babel), percentages and percentage points with a non-breaking space, a true minus sign,
and nouns agreed with their numbers (pymorphy3: «1 файл», «2 файла», «101 файл»)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

NBSP = "\u00a0"
MINUS = "\u2212"
MISSING = "—"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@cache
def _pattern(digits: int) -> NumberPattern:
    """The ru number pattern with `digits` decimals, parsed once: `number`'s reference for
    what it cannot write itself (infinities, huge numbers)."""
    return parse_pattern("#,##0" + ("." + "0" * digits if digits > 0 else ""))


_RU = Locale.parse("ru")
_SYMBOLS = _RU.number_symbols["latn"]
# The ru digit-group and decimal symbols, read from Babel's locale data once: what
# `NumberPattern.apply` looks up on every call (with its re.sub and Decimal steps, ~3× the
# cost of the formatting below, and a report formats ~30 000 numbers).
_GROUP = NBSP if _SYMBOLS["group"] in (NBSP, "\u202f") else _SYMBOLS["group"]
_SEPARATORS = str.maketrans({",": _GROUP, ".": _SYMBOLS["decimal"]})
_LARGEST = 1e15  # beyond it a float's digits are not all significant: Babel writes it


@cache
def _quantum(digits: int) -> Decimal:
    """The rounding step of `digits` decimals (0.1, 0.01, …), built once."""
    return Decimal(1).scaleb(-digits)


@lru_cache(maxsize=1 << 16)
def _unsigned(amount: float, digits: int) -> str:
    """|amount| as Babel's ru pattern writes it: the float's shortest decimal (its `str`),
    rounded half to even to `digits` decimals, digits grouped by three; each value formatted
    once (a report repeats the region's figures and the thresholds on every row)."""
    if not amount < _LARGEST:  # also inf
        return _pattern(digits).apply(amount, _RU).replace("\u202f", NBSP)
    rounded = Decimal(str(amount)).quantize(_quantum(digits), ROUND_HALF_EVEN)
    return format(rounded, ",f").translate(_SEPARATORS)


def number(value: object, digits: int = 1, signed: bool = False) -> str:
    """12345.67 → «12 345,7» (non-breaking space between digit groups); «—» when missing.
    `signed`: «+1,5» / «−1,5» (a minus sign, not a hyphen: a cell starting with «-» reads as a
    formula in a spreadsheet)."""
    if _missing(value):
        return MISSING
    amount = float(value)  # type: ignore[arg-type]
    text = _unsigned(abs(amount), digits)
    if round(abs(amount), digits) == 0:
        return text
    if amount < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def percent(share: object, digits: int = 1) -> str:
    """A share 0.3456 → «34,6 %»."""
    return MISSING if _missing(share) else f"{number(100 * float(share), digits)}{NBSP}%"  # type: ignore[arg-type]


def points(change: object, digits: int = 1) -> str:
    """A change of shares 0.052 → «+5,2 п.п.», −0.512 → «−51,2 п.п.»."""
    if _missing(change):
        return MISSING
    return f"{number(100 * float(change), digits, signed=True)}{NBSP}п.п."  # type: ignore[arg-type]


def percent_range(lower: object, upper: object, digits: int = 1) -> str:
    """Interval bounds as shares → «32,0–80,7 %»; empty when a bound is missing."""
    if _missing(lower) or _missing(upper):
        return ""
    low = number(100 * float(lower), digits)  # type: ignore[arg-type]
    high = number(100 * float(upper), digits)  # type: ignore[arg-type]
    return f"{low}–{high}{NBSP}%"


def points_range(lower: object, upper: object, digits: int = 1) -> str:
    """Interval bounds of a change → «от −74,3 до −15,3 п.п.» (a dash between signed numbers
    reads as a minus); empty when a bound is missing."""
    if _missing(lower) or _missing(upper):
        return ""
    low = number(100 * float(lower), digits, signed=True)  # type: ignore[arg-type]
    high = number(100 * float(upper), digits, signed=True)  # type: ignore[arg-type]
    return f"от {low} до {high}{NBSP}п.п."


def share_with_interval(share: object, lower: object, upper: object, digits: int = 1) -> str:
    """A share with its interval, the one way every report writes it: «12,5 % (9,8–15,6 %)»;
    the share alone when a bound is missing."""
    bounds = percent_range(lower, upper, digits)
    return f"{percent(share, digits)} ({bounds})" if bounds else percent(share, digits)


def change_with_interval(change: object, lower: object, upper: object, digits: int = 1) -> str:
    """A change of shares with its interval: «−5,0 п.п. (от −10,1 до +0,2 п.п.)»; the change
    alone when a bound is missing."""
    bounds = points_range(lower, upper, digits)
    return f"{points(change, digits)} ({bounds})" if bounds else points(change, digits)


def p_value(value: object) -> str:
    """«p = 0,005» / «p < 0,001»; «—» when missing."""
    if _missing(value):
        return MISSING
    if float(value) < 0.001:  # type: ignore[arg-type]
        return "p < 0,001"
    return f"p = {number(value, 3)}"


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def agreed(word: str, count: int) -> str:
    """`word` (nominative singular) in the form that goes with `count`: («файл», 5) → «файлов».
    In a phrase the adjectives before the noun agree with it and the rest is its complement
    («непустая строка» → «непустые строки», «строка участников» → «строк участников»); a word
    the dictionary does not know is left as it is."""
    words = word.split(" ")
    out = []
    for position, part in enumerate(words):
        parsed = _morph().parse(part)[0]
        form = parsed.make_agree_with_number(abs(int(count)))
        head = form.word if form is not None else part
        if part[:1].isupper():
            head = head[:1].upper() + head[1:]
        out.append(head)
        if not ({"ADJF", "PRTF"} & {parsed.tag.POS}):
            return " ".join([*out, *words[position + 1 :]])
    return " ".join(out)


def counted(count: int, word: str) -> str:
    """«101 файл», «2 школы», «71 обучающийся» (digit groups separated for large numbers)."""
    return f"{number(count, 0)} {agreed(word, count)}"
