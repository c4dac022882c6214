"""Schools × grid tables stored by their nonzero bands, for products over the nonzero part only.

A school's likelihood (scaled to peak 1, values below ``NEGLIGIBLE_LIKELIHOOD`` set to 0) and
its posterior masses are nonzero on one run of grid nodes, on average about a fifth of the
grid at national size. Rows are sorted by the width of their run (in classes of powers of two)
and then by its centre, and cut into blocks; each block keeps only the union of its rows' runs.
A product with the table then multiplies each block over its own columns: the columns left out
are exact zeros, so the result is the dense product's up to the order of summation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from shnor.methods.school_effect import (
    _FIT_GRID,
    NEGLIGIBLE_LIKELIHOOD,
    _bounded_exp,
    _design,
    _softplus,
)

__all__ = ["BandedTable", "banded_likelihood", "banded_table", "row_bands"]

_BLOCK = 1024  # rows per block (a block of ~50 nodes stays in a core's cache)


class _Block(NamedTuple):
    """Rows of the table (their indices), the block's first and end column, their values."""

    rows: np.ndarray
    begin: int
    end: int
    values: np.ndarray  # len(rows) × (end − begin), C-contiguous


class BandedTable(NamedTuple):
    """A table's rows in blocks, each block over the union of its rows' nonzero runs."""

    row_count: int
    column_count: int
    blocks: list[_Block]

    def product(
        self,
        matrix: np.ndarray,
        out: np.ndarray | None = None,
        positions: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return table @ matrix, each block over its own columns and over the columns where
        the matrix's rows of those columns are not all zero. ``out`` (zeros where written) and
        ``positions`` (each table row's row of ``out``, −1: not wanted): written in place."""
        if out is None:
            out = np.zeros((self.row_count, matrix.shape[1]))
        for block in self.blocks:
            rows = block.rows if positions is None else positions[block.rows]
            values = block.values
            if positions is not None:
                wanted = rows >= 0
                rows, values = rows[wanted], values[wanted]
            part = matrix[block.begin : block.end]
            used = np.flatnonzero(part.any(axis=0))
            if not len(used) or not len(rows):
                continue
            low, high = used[0], used[-1] + 1
            out[rows, low:high] = values @ part[:, low:high]
        return out

    def bilinear(self, matrix: np.ndarray, other: BandedTable) -> np.ndarray:
        """Return each row's a_s·matrix·b_s, a_s its row here and b_s in ``other`` (a banded
        table of the same rows with these blocks), each block over both tables' own columns."""
        out = np.zeros(self.row_count)
        for block, partner in zip(self.blocks, other.blocks, strict=True):
            part = matrix[block.begin : block.end, partner.begin : partner.end]
            out[block.rows] = np.einsum("sg,sg->s", block.values @ part, partner.values)
        return out

    def dense(self) -> np.ndarray:
        """Return the table itself (every column, rows in their order)."""
        out = np.zeros((self.row_count, self.column_count))
        for block in self.blocks:
            out[block.rows, block.begin : block.end] = block.values
        return out


def row_bands(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's first nonzero column and the column after its last (a row of zeros:
    the column count and 0, so that it widens no block)."""
    nonzero = table != 0
    first = nonzero.argmax(axis=1)
    end = table.shape[1] - nonzero[:, ::-1].argmax(axis=1)
    empty = ~nonzero[np.arange(len(table)), first]
    first[empty], end[empty] = table.shape[1], 0
    return first, end


def _row_groups(
    first: np.ndarray, end: np.ndarray, blocks_of: BandedTable | None
) -> list[np.ndarray]:
    """Return the rows of each block: ``blocks_of``'s, or rows of alike width and place (sorted
    by the log of their band's width, then its middle) cut into blocks of ``_BLOCK``."""
    if blocks_of is not None:
        return [block.rows for block in blocks_of.blocks]
    width = np.maximum(end - first, 1)
    order = np.lexsort((first + end, np.ceil(np.log2(width))))
    return [order[begin : begin + _BLOCK] for begin in range(0, len(order), _BLOCK)]


def _block_columns(first: np.ndarray, end: np.ndarray, rows: np.ndarray) -> tuple[int, int]:
    """Return the columns [low, high) a block keeps: the union of its rows' bands."""
    low = int(first[rows].min()) if len(rows) else 0
    high = max(int(end[rows].max()) if len(rows) else 0, low)
    return min(low, high), high


def banded_table(table: np.ndarray, blocks_of: BandedTable | None = None) -> BandedTable:
    """Return the table by blocks of rows over the union of their nonzero runs; ``blocks_of``:
    a banded table of the same rows whose blocks of rows to keep (two tables whose rows are
    multiplied together share their blocks), each block over this table's own columns."""
    first, end = row_bands(table)
    blocks = []
    for rows in _row_groups(first, end, blocks_of):
        low, high = _block_columns(first, end, rows)
        blocks.append(_Block(rows, low, high, table[rows, low:high]))
    return BandedTable(len(table), table.shape[1], blocks)


def banded_runs(
    first: np.ndarray, runs: np.ndarray, column_count: int, blocks_of: BandedTable | None = None
) -> BandedTable:
    """Return the table whose row r holds ``runs[r]`` from column ``first[r]`` on (zeros past
    a row's own run and beyond ``column_count``), by blocks as ``banded_table`` makes them:
    the same table without ever forming it whole."""
    local_first, local_end = row_bands(runs)
    empty = local_end == 0
    start = np.where(empty, column_count, first + local_first)
    end = np.where(empty, 0, first + local_end)
    blocks = []
    offsets = np.arange(runs.shape[1])[None, :]
    for rows in _row_groups(start, end, blocks_of):
        low, high = _block_columns(start, end, rows)
        placed = first[rows] - low  # ≥ −(zeros before a run), the run itself from ≥ 0
        shift = max(-int(placed.min()), 0) if len(rows) else 0
        span = max(int(placed.max()) + runs.shape[1] + shift if len(rows) else 0, high - low)
        values = np.zeros((len(rows), span))
        np.put_along_axis(values, placed[:, None] + shift + offsets, runs[rows], axis=1)
        trimmed = np.ascontiguousarray(values[:, shift : shift + high - low])
        blocks.append(_Block(rows, low, high, trimmed))
    return BandedTable(len(runs), column_count, blocks)


def banded_likelihood(
    evidence,
    first: np.ndarray,
    end: np.ndarray,
    out: np.ndarray | None = None,
    written: BandedTable | None = None,
) -> tuple[np.ndarray, BandedTable]:
    """Return ``_grid_likelihood``'s table (scaled to peak 1, negligible values 0) and its
    banded form, each school's row evaluated on the nodes [first, end) of a guess (with the
    other rows of its block: their union); a row not negligible at an evaluated end node that
    is not the grid's own end may reach beyond it and is evaluated on the whole grid. A row
    negligible at both ends of its run is negligible beyond them (the log-likelihood is
    concave in θ), so the table is the whole grid's but for the order of summation. ``out``:
    a table no longer needed, written over (its nonzero values within the blocks ``written``
    when given: only those are cleared, not the whole table)."""
    count, size = evidence.school_count, len(_FIT_GRID)
    design = _design(evidence)
    minus_softplus = -_softplus(evidence.procedure_offset[:, None] + _FIT_GRID[None, :])
    table = np.zeros((count, size)) if out is None else out
    if out is not None and written is None:
        table.fill(0.0)
    elif out is not None:
        for block in written.blocks:
            table[block.rows, block.begin : block.end] = 0.0
    width = np.maximum(end - first, 1)
    order = np.lexsort((first + end, np.ceil(np.log2(width))))
    blocks, whole = [], []
    for begin in range(0, count, _BLOCK):
        rows = order[begin : begin + _BLOCK]
        low, high = int(first[rows].min()), int(end[rows].max())
        values = _likelihood_rows(evidence, design, minus_softplus, rows, low, high)
        reaches = np.zeros(len(rows), dtype=bool)
        if low > 0:
            reaches |= values[:, 0] != 0
        if high < size:
            reaches |= values[:, -1] != 0
        whole.append(rows[reaches])
        kept = rows[~reaches]
        blocks.append(_Block(kept, low, high, values[~reaches]))
        table[kept, low:high] = values[~reaches]
    whole = np.concatenate(whole)
    for begin in range(0, len(whole), _BLOCK):
        rows = whole[begin : begin + _BLOCK]
        values = _likelihood_rows(evidence, design, minus_softplus, rows, 0, size)
        blocks.append(_Block(rows, 0, size, values))
        table[rows] = values
    return table, BandedTable(count, size, blocks)


def _likelihood_rows(evidence, design, minus_softplus, rows, low: int, high: int) -> np.ndarray:
    """Return the scaled likelihood of schools ``rows`` at the grid's nodes [low, high)."""
    values = design[rows] @ minus_softplus[:, low:high]
    values += evidence.school_fails[rows, None] * _FIT_GRID[None, low:high]
    values -= values.max(axis=1, keepdims=True)
    _bounded_exp(values)
    values[values < NEGLIGIBLE_LIKELIHOOD] = 0.0
    return values
