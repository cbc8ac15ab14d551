"""Secondary suppression and its audit, on a grid of counts with its totals.

:class:`_Grid` is a table of counts with at most one total row and one total column;
:func:`_protect` hides small counts (primary suppression), then hides further cells until no
row or column has a single hidden cell (the line rule) and until no hidden count can be worked
out from what is shown more closely than the suppression band itself
(:func:`required_width`), as the linear-programming audit (:class:`_Audit`) proves.
See :mod:`csplib.present.disclosure` for the rules in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import linprog

from csplib.core.errors import DataError

Cell = tuple[int, int]


def required_width(threshold: int, suppress_zeros: bool = False) -> int:
    """The narrowest range a reader may deduce for a hidden count: ``hi - lo``.

    A hidden count is shown as "one of ``low`` .. ``threshold - 1``" (``low`` is 1, or 0 when
    zeros are hidden too): ``threshold - low`` possible values. A reader must never narrow a
    hidden count to fewer possible values than that, so its range ``[lo, hi]`` (whole
    numbers) must satisfy ``hi - lo >= threshold - 1 - low``: 3 for the default threshold
    of 5 (the range of ``[c] + [c] = 5``, each 1 to 4), 4 when zeros are hidden too; and
    at least 1 for any threshold (a hidden count is never worked out exactly).

    Examples
    --------
    >>> required_width(5), required_width(5, suppress_zeros=True), required_width(2)
    (3, 4, 1)
    """
    low = 0 if suppress_zeros else 1
    return max(int(threshold) - 1 - low, 1)


def narrower_than(lo: float, hi: float, width: int) -> bool:
    """Whether the whole numbers in ``[lo, hi]`` span less than ``width`` (``hi - lo``).

    Examples
    --------
    >>> narrower_than(1, 4, 3), narrower_than(1.0, 3.5, 3), narrower_than(2, float("inf"), 3)
    (False, True, False)
    """
    if not np.isfinite(hi):
        return False
    return bool(np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < width)


@dataclass(frozen=True)
class _Grid:
    """A table of counts with its (at most one) total row and total column.

    ``values`` holds floats with NaN for a missing (unpublished) count. Each equation is
    ``(cells that add up, the total cell)``.
    """

    values: np.ndarray
    total_row: int | None
    total_col: int | None
    row_labels: tuple
    col_labels: tuple

    @property
    def equations(self) -> list[tuple[list[Cell], Cell]]:
        n_rows, n_cols = self.values.shape
        eqs: list[tuple[list[Cell], Cell]] = []
        if self.total_col is not None:
            t = self.total_col
            for i in range(n_rows):
                eqs.append(([(i, j) for j in range(n_cols) if j != t], (i, t)))
        if self.total_row is not None:
            t = self.total_row
            for j in range(n_cols):
                eqs.append(([(i, j) for i in range(n_rows) if i != t], (t, j)))
        return eqs

    def is_total(self, cell: Cell) -> bool:
        return cell[0] == self.total_row or cell[1] == self.total_col

    def check_totals(self) -> None:
        """Raise DataError if a total without missing cells is not the sum of its cells."""
        v = self.values
        for plus, total in self.equations:
            cells = [*plus, total]
            if any(np.isnan(v[c]) for c in cells):
                continue
            found = sum(v[c] for c in plus)
            if found != v[total]:
                i, j = total
                raise DataError(
                    f"the total in row {self.row_labels[i]!r}, column {self.col_labels[j]!r} "
                    f"is {v[total]:g} but its cells add up to {found:g}; suppression needs "
                    "totals that are the sum of the cells shown (pass totals=None if this "
                    "total includes rows or columns not in the table)"
                )


class _Audit:
    """Linear-programming audit: the range a reader can deduce for each hidden count."""

    def __init__(self, grid: _Grid, mask: np.ndarray, low: float, width: int = 1):
        self.grid, self.mask, self.low, self.width = grid, mask, low, width
        v = grid.values
        unknown = mask | np.isnan(v)
        cells = [(int(i), int(j)) for i, j in zip(*np.nonzero(unknown), strict=True)]
        self.index = {c: k for k, c in enumerate(cells)}
        rows, rhs = [], []
        for plus, total in grid.equations:
            coef = np.zeros(len(cells))
            b = 0.0
            touched = False
            for cell, sign in [*((c, 1.0) for c in plus), (total, -1.0)]:
                k = self.index.get(cell)
                if k is None:
                    b -= sign * v[cell]
                else:
                    coef[k] += sign
                    touched = True
            if touched:
                rows.append(coef)
                rhs.append(b)
        self.a_eq = np.array(rows) if rows else None
        self.b_eq = np.array(rhs) if rows else None
        self.bounds = [(low if mask[c] else 0.0, None) for c in cells]
        constrained = (
            np.abs(self.a_eq).sum(axis=0) > 0 if rows else np.zeros(len(cells), dtype=bool)
        )
        self.constrained = {c: bool(constrained[k]) for c, k in self.index.items()}

    def range(self, cell: Cell) -> tuple[float, float]:
        """Smallest and largest value of ``cell`` consistent with what is shown."""
        if not self.constrained[cell]:
            return self.bounds[self.index[cell]][0], np.inf
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(self.index))
            c[self.index[cell]] = sign
            res = linprog(c, A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bounds, method="highs")
            if res.status == 2:
                raise DataError(
                    "the table's totals cannot be met by non-negative counts (check the "
                    "totals and the missing cells)"
                )
            if res.status == 3:
                out.append(np.inf)
            elif res.status != 0:  # pragma: no cover - HiGHS numerical failure
                raise RuntimeError(f"suppression audit failed: {res.message}")
            else:
                out.append(sign * res.fun)
        return out[0], out[1]

    @cached_property
    def _free(self) -> np.ndarray | None:
        """Per unknown, True when it can be shown to take other values without an LP.

        The true counts are a feasible point, and a hidden count can take other values
        exactly when some move ``d`` in the null space of the equations, with ``d_j >= 0``
        for every unknown sitting on its lower bound (a hidden 1), has ``d_k != 0``. Two
        sufficient cases are found with two SVDs for all cells at once: a cell on its bound
        that can move while every other cell on its bound stays put (its leverage in the
        bound cells' rows of the null-space basis is 1), and a cell off its bound moved by
        a move that leaves every cell on its bound alone. The rest go to linear
        programming. ``None`` (all by LP) when a missing count's true value is unknown.
        """
        v = self.grid.values
        cells = list(self.index)
        n = len(cells)
        if not n or self.a_eq is None:
            return np.ones(n, dtype=bool)
        truth = np.array([v[c] for c in cells])
        if np.isnan(truth).any():
            return None
        lower = np.array([b[0] for b in self.bounds])
        at_bound = truth <= lower + 1e-9
        basis = null_space(self.a_eq)
        free = np.zeros(n, dtype=bool)
        if basis.shape[1] == 0:
            return free
        rows = basis[at_bound]
        moves = basis
        if rows.shape[0]:
            u, sv, _ = np.linalg.svd(rows, full_matrices=False)
            rank = int((sv > 1e-9 * max(1.0, sv.max(initial=0.0))).sum())
            leverage = (u[:, :rank] ** 2).sum(axis=1)
            free[np.flatnonzero(at_bound)] = leverage > 1 - 1e-6
            moves = basis @ null_space(rows)
        if moves.shape[1]:
            off = ~at_bound
            free[off] = np.abs(moves[off]).max(axis=1) > 1e-9
        return free

    def exposed(self, cell: Cell) -> bool:
        """Whether a reader could narrow ``cell`` below ``width`` (:func:`required_width`;
        1: work it out exactly)."""
        if not self.constrained[cell]:
            return False
        if self.width <= 1 and self._free is not None and self._free[self.index[cell]]:
            return False
        lo, hi = self.range(cell)
        return narrower_than(lo, hi, max(self.width, 1))

    def first_exposed(self) -> Cell | None:
        """The first hidden count (not a missing one) a reader could narrow too far."""
        v = self.grid.values
        for c in self.index:
            if self.mask[c] and not np.isnan(v[c]) and self.exposed(c):
                return c
        return None


def _protect(grid: _Grid, threshold: int, suppress_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    """Primary and complementary suppression of a grid; returns (mask, primary)."""
    v = grid.values
    known = ~np.isnan(v)
    low = 0.0 if suppress_zeros else 1.0
    width = required_width(threshold, suppress_zeros)
    with np.errstate(invalid="ignore"):
        primary = known & (v >= low) & (v < threshold)
    mask = primary.copy()
    equations = grid.equations

    def eligible(cell: Cell) -> bool:
        return bool(known[cell] and not mask[cell] and v[cell] >= low)

    def smallest(cells: Iterable[Cell]) -> Cell | None:
        pool = [c for c in cells if eligible(c)]
        return min(pool, key=lambda c: (v[c], c)) if pool else None

    def line_rule() -> None:
        changed = True
        while changed:
            changed = False
            for plus, total in equations:
                unknown = [c for c in [*plus, total] if mask[c] or not known[c]]
                if len(unknown) != 1 or not mask[unknown[0]]:
                    continue
                pick = (
                    smallest(c for c in plus if not grid.is_total(c))
                    or smallest(plus)
                    or smallest([total])
                )
                if pick is not None:
                    mask[pick] = True
                    changed = True

    if not equations:
        return mask, primary
    while True:
        line_rule()
        cell = _Audit(grid, mask, low, width).first_exposed()
        if cell is None:
            return mask, primary
        near = {c for plus, total in equations if cell in plus or cell == total for c in plus}
        others = [c for c in np.ndindex(v.shape) if c not in near]
        candidates = [
            c
            for group in (
                sorted((c for c in near if not grid.is_total(c)), key=lambda c: (v[c], c)),
                sorted((c for c in others if not grid.is_total(c)), key=lambda c: (v[c], c)),
                sorted((c for c in np.ndindex(v.shape) if grid.is_total(c)), key=lambda c: c),
            )
            for c in group
            if eligible(c)
        ]
        if not candidates:
            i, j = cell
            raise DataError(
                f"the count in row {grid.row_labels[i]!r}, column {grid.col_labels[j]!r} can "
                "be narrowed from the totals whatever else is hidden, because the other "
                "cells are zeros; use suppress_zeros=True or combine rows or columns"
            )
        chosen = candidates[0]
        for cand in candidates[:25]:
            mask[cand] = True
            lo, hi = _Audit(grid, mask, low, width).range(cell)  # one cell: LP beats the SVDs
            fixed = not narrower_than(lo, hi, max(width, 1))
            mask[cand] = False
            if fixed:
                chosen = cand
                break
        mask[chosen] = True
