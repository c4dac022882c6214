"""Totals and subtotals of a summary sheet found by arithmetic: a row whose counts equal (within
rounding) the sum of the rows it covers — the whole sheet, or a block just above or below it —
is a total whatever its label says; the label is the second signal (issue 18)."""

from __future__ import annotations

import math
from dataclasses import dataclass

TOLERANCE = 0.5  # counts are whole numbers: a total equal «within rounding» is equal


@dataclass(frozen=True)
class Counts:
    """A row's counts: `required` (participants and fails per subject; a blank is 0, junk is
    NaN) are always compared, `optional` (graduates, 80–99, 100) only where the row gives one."""

    required: tuple[float, ...]
    optional: tuple[float | None, ...]

    @property
    def size(self) -> float:
        return sum(self.required[0::2]) if self.required else 0.0


@dataclass(frozen=True)
class TotalMatch:
    """What a total row covers: the whole sheet, or the rows first..last (positions in the list
    given to `find_totals`) just above or below it."""

    scope: str  # "sheet" | "above" | "below"
    first: int
    last: int


def find_totals(
    rows: list[Counts], marked: set[int], school_like: set[int], named: set[int] = frozenset()
) -> dict[int, TotalMatch]:
    """Position → match for every row that sums others. Rows already known as totals
    (`marked`, by their words) are left out of every sum; a row named like a school is a total
    only when it sums the whole sheet, a row with another name (`named`) when it sums two rows
    or more (two tiny schools may have the same figures). Smaller totals are found first, so a
    region total is compared with the schools alone, never with schools and subtotals."""
    found: dict[int, TotalMatch] = {}
    skipped = set(marked)
    sheet = _SheetSum(rows, skipped)
    order = sorted(
        (p for p, r in enumerate(rows) if _usable(r) and r.size > 0), key=lambda p: rows[p].size
    )
    for position in order:
        match = sheet.match(position, skipped)
        if match is None and position not in school_like:
            least = 2 if position in named and position not in marked else 1
            match = _adjacent(rows, position, skipped, -1, least) or _adjacent(
                rows, position, skipped, 1, least
            )
        if match is not None:
            found[position] = match
            if position not in skipped:
                skipped.add(position)
                sheet.remove(position)
    return found


class _SheetSum:
    """The sum of every row not known as a total, kept as totals are found (a sheet of a
    thousand rows is summed once, not once per row)."""

    def __init__(self, rows: list[Counts], skipped: set[int]):
        self.rows = rows
        width = len(rows[0].required) if rows else 0
        self.required = [0.0] * width
        self.optional = [0.0] * (len(rows[0].optional) if rows else 0)
        self.count = 0
        self.unusable = 0
        self.same: dict[Counts, int] = {}
        for index, row in enumerate(rows):
            if index not in skipped:
                self._change(row, 1)

    def _change(self, row: Counts, sign: int) -> None:
        self.count += sign
        if not _usable(row):
            self.unusable += sign
            return
        self.same[row] = self.same.get(row, 0) + sign
        for i, value in enumerate(row.required):
            self.required[i] += sign * value
        for i, value in enumerate(row.optional):
            self.optional[i] += sign * (value or 0.0)

    def remove(self, position: int) -> None:
        self._change(self.rows[position], -1)

    def match(self, position: int, skipped: set[int]) -> TotalMatch | None:
        """The sheet's total: the row equals the sum of every other row not known as a total
        (rows equal to it — the same total first and last — left out too); two rows at least."""
        target = self.rows[position]
        equal = self.same.get(target, 0)  # itself among them unless it is known as a total
        covered = self.count - equal
        if self.unusable or covered < 2:
            return None
        required = [a - equal * b for a, b in zip(self.required, target.required, strict=True)]
        optional = [
            a - equal * (b or 0.0) for a, b in zip(self.optional, target.optional, strict=True)
        ]
        if not _equal(target, required, optional):
            return None
        others = [
            i
            for i, row in enumerate(self.rows)
            if i not in skipped and i != position and row != target
        ]
        return TotalMatch("sheet", min(others), max(others))


def _usable(counts: Counts) -> bool:
    return not any(math.isnan(v) for v in counts.required)


def _adjacent(
    rows: list[Counts], position: int, skipped: set[int], step: int, least: int = 1
) -> TotalMatch | None:
    """The nearest run of rows above (step -1) or below (+1) summing to the row, skipping rows
    already known as totals; a row of junk counts ends the run."""
    target = rows[position]
    required = [0.0] * len(target.required)
    optional = [0.0] * len(target.optional)
    covered: list[int] = []
    index = position + step
    while 0 <= index < len(rows):
        if index in skipped:
            index += step
            continue
        row = rows[index]
        if not _usable(row):
            return None
        _add(required, optional, row)
        covered.append(index)
        if sum(required[0::2]) > target.size + TOLERANCE:
            return None
        if len(covered) >= least and _equal(target, required, optional):
            scope = "above" if step < 0 else "below"
            return TotalMatch(scope, min(covered), max(covered))
        index += step
    return None


def _add(required: list[float], optional: list[float], row: Counts) -> None:
    for i, value in enumerate(row.required):
        required[i] += value
    for i, value in enumerate(row.optional):
        optional[i] += value or 0.0


def _equal(target: Counts, required: list[float], optional: list[float]) -> bool:
    if any(abs(a - b) > TOLERANCE for a, b in zip(target.required, required, strict=True)):
        return False
    return all(
        a is None or abs(a - b) <= TOLERANCE for a, b in zip(target.optional, optional, strict=True)
    )
