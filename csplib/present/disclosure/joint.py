"""Suppression that holds across tables: one audit over every table a reader can combine.

A reader of a page sees all its tables, and the data annex (``tables/*.csv``) holds every
table of every page of the run. A ward count hidden in one table may be recovered from a
total shown in another (three hidden wards, and the pack's total elsewhere: the three add
up to 10). So a table that declares what its cells count
(:class:`csplib.chapters.result.CellKeys`) is protected jointly with the tables already
shown on its page, and the run as a whole is audited after the chapters
(:func:`audit_run`).

**Cells as unknowns.** Every count cell has a *key* naming what it counts
(``incidents|categories=Drugs|period=2024-04..2025-03|ward=Bulwell``); cells of different
tables with one key are one number. A table's totals, its declared partition (rows that add
up to the whole area) and the months of a period (a period's count is the sum of its months'
counts when both are shown: ``period=2024-04..2025-03`` and ``period=2024-04..2024-04``) give
the equations. A table without declarations has keys of its own and is audited alone.

**The criterion.** For every hidden cell, its smallest and largest value consistent with
everything shown (linear programming, :func:`scipy.optimize.linprog`, hidden counts at least
1, or 0 when zeros are hidden) must span at least :func:`required_width` (``hi - lo >=
threshold - 2`` by default: the band 1..threshold-1 itself, so a reader never knows more
than the marker says), unless the range lies wholly above the band: a hidden year's count
that its months give back exactly is no small count. (A single table's own audit,
:mod:`~csplib.present.disclosure.audit`, asks the width of every hidden cell.) A count
that no table shows but that the equations pin (such as a month's count left out of every
table) must not be pinned inside the band: a range within 1..threshold-1 narrower than the
band is an exposure too.

**Protection.** :func:`protect_jointly` adds secondary suppression to the table being shown
(never to one already shown) until the audit over the page passes: first the table's own
cells that share an equation with the exposed cell, smallest first, then its other cells,
then its totals; a cell whose key is shown elsewhere is never chosen (hiding it would hide
nothing). The choice depends only on the tables and their order, so a run hides the same
cells every time.

**The ledger** (:class:`Ledger`, ``results/<page>.disclosure.json``) records each table's
cells as the reader sees them: key, row, column and the value shown, ``null`` where hidden
or missing. Hidden values are not stored: the audit needs only what is shown.

Examples
--------
Three hidden wards and the pack's total in another table: with a total of 25 the three
add up to 5, so each is 1 to 3, fewer values than the band 1 to 4; with 30 each is 1 to 8.

>>> ward = [("drugs|ward=" + w, w, "count", v, v is None) for w, v in
...         [("A", None), ("B", None), ("C", None), ("D", 20.0)]]
>>> wards = TableCells("wards", ward, [("drugs", tuple(c[0] for c in ward))])
>>> volume = TableCells("volume", [("drugs", "All", "count", 25.0, False)])
>>> [(e.row, e.lower, e.upper) for e in audit_tables([volume, wards], 5)]
[('A', 1.0, 3.0), ('B', 1.0, 3.0), ('C', 1.0, 3.0)]
>>> volume.cells = [("drugs", "All", "count", 30.0, False)]
>>> audit_tables([volume, wards], 5)
[]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linprog

from csplib.core.errors import DataError
from csplib.present.disclosure.audit import narrower_than, required_width

__all__ = [
    "LEDGER_FORMAT",
    "LEDGER_VERSION",
    "TableCells",
    "Ledger",
    "Exposure",
    "audit_tables",
    "audit_run",
    "protect_jointly",
    "ledger_path",
]

#: Names the file format of a page's disclosure ledger.
LEDGER_FORMAT = "csplib.disclosure-ledger"
#: Its version; a reader refuses any other.
LEDGER_VERSION = 1

#: One cell as a reader sees it: key, row label, column, value shown (None: hidden or
#: missing) and whether it is hidden (shows the marker).
Cell = tuple[str, str, str, float | None, bool]
#: ``(total key, part keys)``: the parts add up to the total.
Equation = tuple[str, tuple[str, ...]]

_PERIOD = re.compile(r"(?:^|\|)period=(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})(?=\||$)")


@dataclass
class TableCells:
    """One table as a reader sees it: its count cells by key, and its equations."""

    name: str
    cells: list[Cell]
    equations: list[Equation] = field(default_factory=list)
    declared: bool = True

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "declared": self.declared,
            "cells": [list(c) for c in self.cells],
            "equations": [[t, list(p)] for t, p in self.equations],
        }

    @classmethod
    def from_dict(cls, body: Mapping) -> TableCells:
        return cls(
            body["name"],
            [
                (k, r, c, None if v is None else float(v), bool(h))
                for k, r, c, v, h in body["cells"]
            ],
            [(t, tuple(p)) for t, p in body.get("equations", [])],
            bool(body.get("declared", True)),
        )


@dataclass
class Ledger:
    """A page's tables as shared (``results/<page>.disclosure.json``), in the order shown.

    Examples
    --------
    >>> led = Ledger("05_places", threshold=5)
    >>> led.tables["t"] = TableCells("t", [("k", "a", "count", 7.0, False)])
    >>> Ledger.from_json(led.to_json()).tables["t"].cells
    [('k', 'a', 'count', 7.0, False)]
    """

    page: str
    threshold: int = 5
    suppress_zeros: bool = False
    tables: dict[str, TableCells] = field(default_factory=dict)

    def to_json(self) -> str:
        body = {
            "format": LEDGER_FORMAT,
            "version": LEDGER_VERSION,
            "page": self.page,
            "threshold": self.threshold,
            "suppress_zeros": self.suppress_zeros,
            "tables": [t.to_dict() for t in self.tables.values()],
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "disclosure ledger") -> Ledger:
        """Read a ledger; a DataError names ``source`` when it is not one of this version."""
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{source}: not a disclosure ledger ({exc})") from None
        if not isinstance(body, dict) or body.get("format") != LEDGER_FORMAT:
            raise DataError(f"{source}: not a disclosure ledger (no format {LEDGER_FORMAT!r})")
        if body.get("version") != LEDGER_VERSION:
            raise DataError(
                f"{source}: disclosure ledger version {body.get('version')!r}; this csplib "
                f"reads version {LEDGER_VERSION} only"
            )
        tables = [TableCells.from_dict(t) for t in body.get("tables", [])]
        return cls(
            body["page"],
            int(body.get("threshold", 5)),
            bool(body.get("suppress_zeros", False)),
            {t.name: t for t in tables},
        )

    def save(self, run_dir: str | Path) -> Path:
        """Write the ledger into ``run_dir/results/`` (atomically) and return its path."""
        path = ledger_path(run_dir, self.page)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        return path


def ledger_path(run_dir: str | Path, page: str) -> Path:
    """``results/<page>.disclosure.json`` in a run folder."""
    return Path(run_dir) / "results" / f"{page}.disclosure.json"


@dataclass(frozen=True)
class Exposure:
    """A hidden (or unpublished) count a reader can narrow below the band."""

    page: str
    table: str
    row: str
    column: str
    key: str
    lower: float
    upper: float
    hidden: bool = True

    def __str__(self) -> str:
        where = f"tables/{self.page}__{self.table}.csv" if self.page else self.table
        what = "hidden count" if self.hidden else "count shown in no table"
        return (
            f"{where}: the {what} in row {self.row!r}, column {self.column!r} ({self.key}) can "
            f"be narrowed to {self.lower:g}..{self.upper:g} from the tables shown"
        )


# ----------------------------------------------------------------------------- the system
def _month_index(year: str, month: str) -> int:
    return int(year) * 12 + int(month) - 1


def period_equations(keys: Iterable[str]) -> list[Equation]:
    """A period's count is the sum of its months' counts, when some month is shown.

    Examples
    --------
    >>> period_equations(["n|period=2024-01..2024-02", "n|period=2024-01..2024-01"])
    [('n|period=2024-01..2024-02', ('n|period=2024-01..2024-01', 'n|period=2024-02..2024-02'))]
    """
    groups: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for key in sorted(set(keys)):
        m = _PERIOD.search(key)
        if m is None:
            continue
        a, b = _month_index(*m.groups()[:2]), _month_index(*m.groups()[2:])
        groups.setdefault((key[: m.start()], key[m.end() :]), []).append((a, b, key))
    out = []
    for (head, tail), spans in groups.items():
        months = {a for a, b, _ in spans if a == b}
        for a, b, key in spans:
            if b <= a or not any(a <= m <= b for m in months):
                continue
            sep = "|" if head else ""
            parts = []
            for k in range(a, b + 1):
                y, mo = divmod(k, 12)
                span = f"{y:04d}-{mo + 1:02d}"
                parts.append(f"{head}{sep}period={span}..{span}{tail}")
            out.append((key, tuple(parts)))
    return out


class _System:
    """The equations a reader can write over the unknown counts, and their ranges."""

    def __init__(self, shown: Mapping[str, float], hidden: Iterable[str], equations, low: float):
        self.hidden = set(hidden) - set(shown)
        eqs = list(dict.fromkeys((t, tuple(p)) for t, p in equations))
        eqs += period_equations({k for t, p in eqs for k in (t, *p)} | set(shown) | self.hidden)
        self.equations = eqs
        unknown: dict[str, int] = {}
        rows: list[tuple[dict[int, float], float]] = []
        for total, parts in dict.fromkeys(eqs):
            coef: dict[int, float] = {}
            b = 0.0
            for key, sign in [*((p, 1.0) for p in parts), (total, -1.0)]:
                if key in shown:
                    b -= sign * shown[key]
                else:
                    k = unknown.setdefault(key, len(unknown))
                    coef[k] = coef.get(k, 0.0) + sign
            coef = {k: v for k, v in coef.items() if v}
            if not coef:
                if abs(b) > 1e-6:
                    raise DataError(
                        f"the tables shown disagree: {total} is shown as "
                        f"{shown.get(total, 0):g} but its parts shown add up to "
                        f"{shown.get(total, 0) + b:g} (check the tables' cell keys)"
                    )
                continue
            rows.append((coef, b))
        for key in sorted(self.hidden):
            unknown.setdefault(key, len(unknown))
        self.unknown = unknown
        self.low = low
        # connected components of the unknowns through the equations
        parent = list(range(len(unknown)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for coef, _ in rows:
            first, *rest = coef
            for k in rest:
                parent[find(k)] = find(first)
        self.component = [find(i) for i in range(len(unknown))]
        self.rows = rows
        self._by_component: dict[int, list[int]] = {}
        for r, (coef, _) in enumerate(rows):
            self._by_component.setdefault(self.component[next(iter(coef))], []).append(r)

    def in_component(self, key: str, component: int) -> bool:
        """Whether ``key`` is an unknown of ``component``."""
        return key in self.unknown and self.component[self.unknown[key]] == component

    def bound(self, key: str) -> float:
        return self.low if key in self.hidden else 0.0

    def range(self, key: str) -> tuple[float, float]:
        """Smallest and largest value of ``key`` consistent with what is shown."""
        i = self.unknown[key]
        rows = self._by_component.get(self.component[i], [])
        if not rows:
            return self.bound(key), np.inf
        members = sorted({k for r in rows for k in self.rows[r][0]})
        pos = {k: j for j, k in enumerate(members)}
        a = np.zeros((len(rows), len(members)))
        b = np.zeros(len(rows))
        for n, r in enumerate(rows):
            coef, rhs = self.rows[r]
            for k, v in coef.items():
                a[n, pos[k]] = v
            b[n] = rhs
        names = {v: k for k, v in self.unknown.items()}
        bounds = [(self.bound(names[k]), None) for k in members]
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(members))
            c[pos[i]] = sign
            res = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            if res.status == 2:
                raise DataError(
                    f"the tables shown cannot all hold with counts of at least 0 around {key} "
                    "(check the tables' cell keys and totals)"
                )
            if res.status == 3:
                out.append(np.inf)
            elif res.status != 0:  # pragma: no cover - HiGHS numerical failure
                raise RuntimeError(f"disclosure audit failed: {res.message}")
            else:
                out.append(sign * res.fun)
        return out[0], out[1]

    def exposed(self, key: str, threshold: int, width: int) -> tuple[float, float] | None:
        """The range of ``key`` when a reader can narrow it below the band, else None.

        A hidden key must span ``width`` unless its range lies wholly above the band (a
        hidden 108 that the months give back is no small count); a key shown nowhere must
        not be pinned, within ``1..threshold-1``, to a narrower range.
        """
        lo, hi = self.range(key)
        if not narrower_than(lo, hi, width) or lo > threshold - 1 + 1e-6:
            return None
        if key in self.hidden or (lo >= 1 - 1e-6 and hi <= threshold - 1 + 1e-6):
            return lo, hi
        return None


def _split(tables: Iterable[TableCells]):
    shown: dict[str, float] = {}
    hidden: set[str] = set()
    equations: list[Equation] = []
    where: dict[str, tuple[str, str, str]] = {}
    for t in tables:
        for key, row, col, value, is_hidden in t.cells:
            where.setdefault(key, (t.name, row, col))
            if is_hidden:
                hidden.add(key)
            elif value is not None:
                if abs(shown.setdefault(key, value) - value) > 1e-6:
                    raise DataError(
                        f"the tables shown disagree: {key} is {shown[key]:g} in table "
                        f"{where[key][0]!r} and {value:g} in table {t.name!r} (check the "
                        "tables' cell keys)"
                    )
        equations += t.equations
    return shown, hidden, equations, where


def audit_tables(
    tables: Iterable[TableCells],
    threshold: int,
    *,
    suppress_zeros: bool = False,
    page: str = "",
    pages: Mapping[str, str] | None = None,
) -> list[Exposure]:
    """Every count a reader can narrow below the band from ``tables`` together.

    Parameters
    ----------
    tables : iterable of TableCells
        The tables a reader can combine (a page, or a whole run).
    threshold, suppress_zeros
        The suppression settings (:func:`required_width`).
    page : str
        The page, to name each table's annex file.
    pages : mapping, optional
        Table name -> page, when the tables come from several pages.

    Returns
    -------
    list of Exposure
        Hidden counts whose range is narrower than the band, and counts no table shows
        that the tables pin inside the band; empty when the tables are safe.
    """
    tables = list(tables)
    low = 0.0 if suppress_zeros else 1.0
    width = required_width(threshold, suppress_zeros)
    shown, hidden, equations, where = _split(tables)
    out = []
    for t in tables:  # a count hidden here and shown in another table, within the band
        for key, row, col, _, is_hidden in t.cells:
            if is_hidden and key in shown and low <= shown[key] <= threshold - 1:
                v = shown[key]
                out.append(
                    Exposure(
                        pages.get(t.name, page) if pages else page, t.name, row, col, key, v, v
                    )
                )
    system = _System(shown, hidden, equations, low)
    for key in system.unknown:
        found = system.exposed(key, threshold, width)
        if found is None:
            continue
        name, row, col = where.get(key, ("", "", ""))
        if not name:  # an unpublished count: name an equation's table that holds it
            name = next((n for n, (t, p) in _owners(tables) if key == t or key in p), "")
        out.append(
            Exposure(
                pages.get(name, page) if pages else page,
                name,
                row,
                col,
                key,
                found[0],
                found[1],
                key in system.hidden,
            )
        )
    return out


def _owners(tables: Sequence[TableCells]):
    for t in tables:
        for eq in t.equations:
            yield t.name, eq


def audit_run(run_dir: str | Path) -> list[Exposure]:
    """Audit every table of a run together (the annex spans chapters and packs).

    Reads every ``results/*.disclosure.json`` in ``run_dir`` (written as the pages showed
    their tables) and returns the counts a reader of the whole run could narrow below the
    band (:func:`audit_tables`); ``csp assess`` fails the run when there are any.

    Raises
    ------
    DataError
        A ledger of another format or version, or ledgers with different thresholds.
    """
    ledgers = [
        Ledger.from_json(p.read_text(encoding="utf-8"), source=str(p))
        for p in sorted((Path(run_dir) / "results").glob("*.disclosure.json"))
    ]
    if not ledgers:
        return []
    settings = {(lg.threshold, lg.suppress_zeros) for lg in ledgers}
    if len(settings) > 1:
        raise DataError(
            f"{run_dir}: the pages were suppressed with different thresholds {sorted(settings)}; "
            "run the whole assessment again"
        )
    threshold, zeros = settings.pop()
    tables, pages = [], {}
    for lg in ledgers:
        for t in lg.tables.values():
            qualified = TableCells(f"{lg.page}__{t.name}", t.cells, t.equations, t.declared)
            tables.append(qualified)
            pages[qualified.name] = lg.page
    found = audit_tables(tables, threshold, suppress_zeros=zeros, pages=pages)
    return [
        Exposure(
            e.page, e.table.split("__", 1)[-1], e.row, e.column, e.key, e.lower, e.upper, e.hidden
        )
        for e in found
    ]


# ----------------------------------------------------------------------------- protection
def protect_jointly(
    ledger: Ledger,
    new: TableCells,
    values: Sequence[float],
    is_total: Sequence[bool],
    can_hide: Sequence[bool] | None = None,
) -> list[bool]:
    """Extend the new table's hidden cells until the page's joint audit passes.

    Parameters
    ----------
    ledger : Ledger
        The page's tables shown so far (a table of the same name is replaced).
    new : TableCells
        The new table's cells with the table's own suppression applied (``hidden`` set);
        shown values may be None for hidden cells.
    values : sequence of float
        The true value of each of ``new.cells`` (NaN: missing).
    is_total : sequence of bool
        Whether each cell is a total (hidden last).
    can_hide : sequence of bool, optional
        Whether each cell can be hidden (False for a total the reader works out from
        shares); default all.

    Returns
    -------
    list of bool
        Which of ``new.cells`` to hide.

    Raises
    ------
    DataError
        When no cell of the new table can be hidden to protect an exposed count.
    """
    low = 0.0 if ledger.suppress_zeros else 1.0
    width = required_width(ledger.threshold, ledger.suppress_zeros)
    others = [t for name, t in ledger.tables.items() if name != new.name]
    shown_else, hidden_else, eqs_else, _ = _split(others)
    values = np.asarray(values, dtype=float)
    keys = [c[0] for c in new.cells]
    known = ~np.isnan(values)
    mask = np.array([c[4] for c in new.cells], dtype=bool)
    mask |= known & np.array([k in hidden_else and k not in shown_else for k in keys])
    same = np.array(keys, dtype=object)

    def hide_key(key: str) -> None:  # one number: hidden in every cell that shows it
        mask[(same == key) & known] = True

    for key in {k for k, m in zip(keys, mask, strict=True) if m}:
        hide_key(key)
    linked = any(k in shown_else or k in hidden_else for k in keys) or any(
        k in shown_else or k in hidden_else for t, p in new.equations for k in (t, *p)
    )
    if (
        not linked
        and not new.equations
        and not period_equations([*keys, *shown_else, *hidden_else])
    ):
        return mask.tolist()  # nothing links the table to the page: its own audit suffices
    equations = [*eqs_else, *new.equations]
    mine = set(keys) | {k for t, p in new.equations for k in (t, *p)}
    for _ in range(len(keys) + 1):
        shown = dict(shown_else)
        shown.update(
            {
                k: v
                for k, v, m, ok in zip(keys, values, mask, known, strict=True)
                if ok and not m and k not in shown
            }
        )
        hidden = hidden_else | {k for k, m in zip(keys, mask, strict=True) if m}
        system = _System(shown, hidden, equations, low)
        touched = mine | {  # unknowns in an equation with a cell of the new table
            k for t, p in system.equations if mine.intersection((t, *p)) for k in (t, *p)
        }
        comps = {system.component[system.unknown[k]] for k in touched if k in system.unknown}
        exposed = None
        for key in sorted(system.unknown):
            if system.component[system.unknown[key]] in comps:
                if system.exposed(key, ledger.threshold, width) is not None:
                    exposed = key
                    break
        if exposed is None:
            return mask.tolist()
        near = {k for t, p in equations if exposed == t or exposed in p for k in (t, *p)}
        eligible = [
            i
            for i, k in enumerate(keys)
            if known[i]
            and not mask[i]
            and values[i] >= low
            and k not in shown_else
            and (can_hide is None or can_hide[i])
        ]
        comp = system.component[system.unknown[exposed]]
        in_comp = {
            k
            for t, p in equations
            if any(system.in_component(q, comp) for q in (t, *p))
            for k in (t, *p)
        }
        candidates = sorted(
            eligible,
            key=lambda i: (
                bool(is_total[i]),
                keys[i] not in near,
                keys[i] not in in_comp,
                values[i],
                keys[i],  # not row order: tables sharing a total choose the same cell
            ),
        )
        if not candidates:
            raise DataError(
                f"table {new.name!r} on page {ledger.page!r}: {exposed} can be narrowed below "
                f"the suppression band from the tables shown, whatever else this table hides "
                "(hide it in an earlier table, or show fewer totals)"
            )
        chosen = candidates[0]
        for i in candidates[:10]:
            trial = dict(shown)
            trial.pop(keys[i], None)
            test = _System(trial, hidden | {keys[i]}, equations, low)
            if test.exposed(exposed, ledger.threshold, width) is None:
                chosen = i
                break
        hide_key(keys[chosen])
    raise DataError(  # pragma: no cover - every pass hides one more cell
        f"table {new.name!r} on page {ledger.page!r}: joint protection did not finish"
    )
