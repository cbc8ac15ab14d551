"""The chapter contract: every chapter turns the context into one :class:`ChapterResult`.

A chapter module (``csplib.chapters.<name>``) has one entry point,
``assess(context) -> ChapterResult``. The result holds

- its **tables** (:class:`Table`): each declares which columns are counts of people or
  events, which are derived from them, and which rows or columns are totals, so that
  disclosure control (:func:`csplib.present.disclosure.protect`) needs no guessing and the
  notebook passes no suppression arguments; and, where the same counts recur in other
  tables (a ward's count in the pack and on the places page), what its cells count
  (:class:`CellKeys`), so that no table gives back a count another hides;
- its **findings** (:class:`~csplib.chapters.findings.Finding`): sentences with the chapter
  holding their evidence;
- its **headline** figures (plain numbers and text, for the contents page and later years);
- its **figures**: chart titles by name, as stated in the chapter, and the objects they
  draw (``artefacts``: fitted models, series; kept in memory, not saved).

When ``csp assess`` runs a chapter, its result is saved to ``results/<chapter>.json`` in the
run folder (:meth:`ChapterResult.save`, format :data:`RESULT_FORMAT` version
:data:`RESULT_VERSION`). The summary and the contents page read those files
(:func:`load_result`) instead of computing anything again, and a later year's run can read
this year's. A file of another format or version is reported as such
(:class:`ResultVersionError`), never misread.

Examples
--------
>>> import pandas as pd
>>> from csplib.chapters.findings import Finding
>>> t = Table("by_ward", pd.DataFrame({"count": [3, 9]}, index=pd.Index(["A", "B"], name="ward")),
...           caption="Crimes by ward", counts=("count",), totals=None)
>>> r = ChapterResult("05_places", tables={"by_ward": t},
...                   findings=[Finding("B has the most crime.", "05_places")],
...                   headline={"wards": 2})
>>> r.table("by_ward").counts
('count',)
>>> ChapterResult.from_json(r.to_json()).findings[0].text
'B has the most crime.'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csplib.chapters.findings import Finding
from csplib.core.errors import CspError

__all__ = [
    "RESULT_FORMAT",
    "RESULT_VERSION",
    "CellKeys",
    "incidents_key",
    "merge_key",
    "Table",
    "ChapterResult",
    "ResultVersionError",
    "load_result",
    "result_path",
]

#: Names the file format of a saved chapter result.
RESULT_FORMAT = "csplib.chapter-result"
#: Version of that format; a reader refuses any other version.
RESULT_VERSION = 1


class ResultVersionError(CspError):
    """A saved chapter result of another format or version than this csplib reads."""


def incidents_key(
    categories: Sequence[str] = (),
    flags: Mapping[str, bool] | None = None,
    start=None,
    end=None,
    *,
    what: str = "incidents",
) -> str:
    """The identity of a count of incidents, the same wherever it is shown (:class:`CellKeys`).

    ``what|categories=...|flags=...|period=YYYY-MM..YYYY-MM``: categories sorted (``crime``
    for every police.uk crime category, ``all`` for those and ASB), flags as ``hate`` or
    ``not hate``, the period as its first and last months. Two tables that count the same
    incidents over the same months get the same key, so the disclosure audit knows they
    show one number.

    Examples
    --------
    >>> incidents_key(["Drugs"], start="2024-04-01", end="2025-03-01")
    'incidents|categories=Drugs|period=2024-04..2025-03'
    >>> incidents_key(flags={"hate": True})
    'incidents|flags=hate'
    """
    from csplib.core.schema import CRIME_CATEGORIES, POLICE_UK_CATEGORIES

    parts = [what]
    cats = frozenset(categories)
    if cats:
        named = {frozenset(CRIME_CATEGORIES): "crime", frozenset(POLICE_UK_CATEGORIES): "all"}
        parts.append("categories=" + named.get(cats, "+".join(sorted(cats))))
    if flags:
        parts.append("flags=" + "+".join(k if v else f"not {k}" for k, v in sorted(flags.items())))
    if start is not None and end is not None:
        a, b = pd.Timestamp(start), pd.Timestamp(end)
        parts.append(f"period={a:%Y-%m}..{b:%Y-%m}")
    return "|".join(parts)


@dataclass(frozen=True)
class CellKeys:
    """What a table's count cells count, so that cells of different tables that count the
    same thing are audited as one number (:mod:`csplib.present.disclosure.joint`).

    A key is ``what|dimension=value|...`` (:func:`incidents_key`). A cell's key is its
    column's key with the row's own dimension added (``|ward=Bulwell``); a row labelled as a
    total (``All``) is the column's key itself, the whole area.

    Parameters
    ----------
    columns : mapping of str to str (or callable), or str
        Count column -> key. A single string is the key of every count column (``{column}``
        in it is replaced by the column's name). ``{name}`` is replaced by the row's value in
        column ``name`` (long tables: ``"incidents|{measure_key}"``); a callable is given the
        row's values (a dict, index levels included) and returns the key.
    over : str, optional
        The dimension the rows run over (``"ward"``, ``"categories"``): the row's label
        becomes ``over=label`` in its cells' keys (a dimension already in the column's key is
        replaced). Default: the index's name, else ``"row"``.
    rows : mapping, optional
        Row label -> the key part of that row instead (``{"Apr 2024":
        "period=2024-04..2024-04"}``).
    partition : bool
        The rows (of each column key) are a complete partition of the area: they add up to
        the column's key, so a total shown in any table is their sum.
    rates : mapping of str to (str, float)
        Rate columns shown without their count: ``{"rate_per_1000": ("population", 1000)}``.
        With the population shown, a rate is a count (rate x population / per); it is keyed
        (``columns``) and protected as one.
    shares : tuple of str
        Share columns of the partition total (``share_of_area``): a share shown beside its
        count reveals the total, which is then taken as shown.

    Examples
    --------
    >>> k = CellKeys({"count": "incidents|categories=Drugs"}, over="ward", partition=True)
    >>> k.key_of("count", "Bulwell"), k.key_of("count", None)
    ('incidents|categories=Drugs|ward=Bulwell', 'incidents|categories=Drugs')
    """

    columns: Mapping[str, Any] | str
    over: str | None = None
    rows: Mapping[Any, str] = field(default_factory=dict)
    partition: bool = False
    rates: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    shares: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.columns, str):
            object.__setattr__(self, "columns", dict(self.columns))
        object.__setattr__(self, "rows", dict(self.rows))
        object.__setattr__(self, "rates", {k: tuple(v) for k, v in dict(self.rates).items()})
        object.__setattr__(self, "shares", tuple(self.shares))

    def column_key(self, column, row: Mapping | None = None) -> str | None:
        """The key of ``column`` (None when it has none), filled from ``row``'s values."""
        if isinstance(self.columns, str):
            template = self.columns.replace("{column}", str(column))
        elif column in self.columns:
            template = self.columns[column]
            if callable(template):
                return merge_key(template(row or {}), "")
        else:
            return None
        return merge_key(template.format(**{str(k): v for k, v in (row or {}).items()}), "")

    def key_of(self, column, label, row: Mapping | None = None, over: str = "row") -> str | None:
        """The key of the cell in ``column`` and the row labelled ``label`` (None: a total
        row, the column's key itself)."""
        base = self.column_key(column, row)
        if base is None or label is None:
            return base
        part = self.rows.get(label, f"{self.over or over}={label}")
        return merge_key(base, part)


def merge_key(base: str, part: str) -> str:
    """``base`` with the dimensions of ``part`` added or replaced, dimensions sorted.

    Examples
    --------
    >>> merge_key("incidents|period=2024-04..2025-03|categories=all", "categories=Drugs")
    'incidents|categories=Drugs|period=2024-04..2025-03'
    """
    what, *dims = base.split("|")
    found = dict(d.split("=", 1) if "=" in d else (d, "") for d in dims)
    for d in part.split("|"):
        if d:
            name, _, value = d.partition("=")
            found[name] = value
    return "|".join([what, *(f"{k}={v}" if v else k for k, v in sorted(found.items()))])


@dataclass(frozen=True)
class Table:
    """A table a chapter shows and shares, with the declarations that protect it.

    Parameters
    ----------
    name : str
        Annex name: ``tables/<chapter>__<name>.csv`` (letters, digits and underscores).
    frame : DataFrame
        The table, numbers kept numeric.
    caption : str
        What the table shows, as a heading over it.
    counts : tuple of str, or "all"
        Columns that count people or events (suppressed when small). ``"all"``: every
        column of whole numbers (wide tables of months or years by category). Empty for
        tables that hold no counts of people or events (scores, rates, model output,
        published national figures).
    derived : mapping of str to tuple of str
        Columns computed from counts (rates, shares, changes), each with the count columns
        it comes from; hidden wherever one of those counts is hidden.
    totals : "infer", tuple of str, or None
        Which rows and columns are totals of the others: ``"infer"`` takes a row or count
        column labelled ``All``, ``Total``... (:data:`csplib.present.disclosure.TOTAL_LABELS`)
        as the total; a tuple names the total labels; None: the table has no totals.
        Secondary suppression protects every hidden count against the totals.
    formats : mapping of str to str
        Display formats by column (``"{:.1f}%"``).
    cells : CellKeys, optional
        What the count cells count, so that the same count in other tables of the page, its
        pack and the annex is audited as one number; a table without is audited alone.
    """

    name: str
    frame: pd.DataFrame
    caption: str = ""
    counts: tuple[str, ...] | str = ()
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    totals: str | tuple[str, ...] | None = "infer"
    formats: Mapping[str, str] = field(default_factory=dict)
    cells: CellKeys | None = None

    def __post_init__(self):
        if not self.name.replace("_", "").isalnum():
            raise ValueError(f"table name {self.name!r}: use only letters, digits and underscores")
        if not isinstance(self.frame, pd.DataFrame):
            raise TypeError(f"table {self.name!r}: frame must be a DataFrame")
        if isinstance(self.counts, str):
            if self.counts != "all":
                raise ValueError(
                    f"table {self.name!r}: counts must be 'all' or a tuple of column names, "
                    f"got {self.counts!r}"
                )
        else:
            object.__setattr__(self, "counts", tuple(self.counts))
            missing = [c for c in self.counts if c not in self.frame.columns]
            if missing:
                raise ValueError(
                    f"table {self.name!r}: count column(s) {missing} are not in the table "
                    f"(columns: {list(self.frame.columns)})"
                )
        derived = {
            k: (v,) if isinstance(v, str) else tuple(v) for k, v in dict(self.derived).items()
        }
        absent = [k for k in derived if k not in self.frame.columns]
        if absent:
            raise ValueError(f"table {self.name!r}: derived column(s) {absent} are not in it")
        object.__setattr__(self, "derived", derived)
        object.__setattr__(self, "formats", dict(self.formats))
        if self.cells is not None:
            if not isinstance(self.cells, CellKeys):
                raise TypeError(f"table {self.name!r}: cells must be a CellKeys")
            named = [
                *([] if isinstance(self.cells.columns, str) else self.cells.columns),
                *self.cells.rates,
                *(p for p, _ in self.cells.rates.values()),
                *self.cells.shares,
            ]
            absent = [c for c in named if c not in self.frame.columns]
            if absent and not self.frame.empty:
                raise ValueError(
                    f"table {self.name!r}: cells name column(s) {absent} that are not in it"
                )

    def count_columns(self) -> list:
        """The count columns, with ``"all"`` resolved to the columns of whole numbers."""
        if self.counts == "all":
            return [c for c in self.frame.columns if _whole_numbers(self.frame[c])]
        return list(self.counts)


def _whole_numbers(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    present = values.dropna()
    return bool(len(present)) and bool((present % 1 == 0).all())


@dataclass
class ChapterResult:
    """What one chapter found: its tables, findings, headline figures and figure titles.

    Parameters
    ----------
    chapter : str
        The chapter's name (``"03_harm"``) or pack (``"pack_hate"``).
    tables : dict of str to Table
        The chapter's tables by name, in the order shown.
    findings : list of Finding
        Its key findings, most important first.
    headline : dict
        Headline figures by name: numbers or text, JSON-safe.
    figures : dict of str to str
        Chart titles by name.
    notes : dict of str to list of str
        Caveats and data notes by topic, as stated on the page.
    artefacts : dict
        In-memory objects behind the figures (fitted model results, series) that the
        notebook draws; not saved.
    """

    chapter: str
    tables: dict[str, Table] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    artefacts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def add(self, table: Table) -> Table:
        """Add ``table`` (its name must be new) and return it."""
        if table.name in self.tables:
            raise ValueError(f"{self.chapter}: a table named {table.name!r} is already added")
        self.tables[table.name] = table
        return table

    def table(self, name: str) -> Table:
        """The table called ``name``; a KeyError lists the names there are."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(
                f"{self.chapter} has no table {name!r}; it has {sorted(self.tables)}"
            ) from None

    # ------------------------------------------------------------------ saved form
    def to_json(self) -> str:
        """The saved form: findings, headline figures, figure titles, notes and the names and
        captions of the tables (their values are in the data annex, suppressed)."""
        body = {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "chapter": self.chapter,
            "findings": [
                {"text": f.text, "evidence": f.evidence, "anchor": f.anchor} for f in self.findings
            ],
            "headline": {k: _plain(v) for k, v in self.headline.items()},
            "figures": dict(self.figures),
            "notes": {k: list(v) for k, v in self.notes.items()},
            "tables": [{"name": t.name, "caption": t.caption} for t in self.tables.values()],
        }
        return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "chapter result") -> ChapterResult:
        """Read a saved result; tables come back as names and captions only (empty frames).

        Raises
        ------
        ResultVersionError
            When the text is not a chapter result of :data:`RESULT_VERSION`.
        """
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultVersionError(f"{source}: not a chapter result ({exc})") from None
        if not isinstance(body, dict) or body.get("format") != RESULT_FORMAT:
            raise ResultVersionError(
                f"{source}: not a chapter result (no format {RESULT_FORMAT!r})"
            )
        if body.get("version") != RESULT_VERSION:
            raise ResultVersionError(
                f"{source}: chapter result version {body.get('version')!r}; this csplib reads "
                f"version {RESULT_VERSION} only"
            )
        tables = {
            t["name"]: Table(t["name"], pd.DataFrame(), caption=t.get("caption", ""))
            for t in body.get("tables", [])
        }
        return cls(
            chapter=body["chapter"],
            tables=tables,
            findings=[
                Finding(f["text"], f["evidence"], f.get("anchor", ""))
                for f in body.get("findings", [])
            ],
            headline=dict(body.get("headline", {})),
            figures=dict(body.get("figures", {})),
            notes={k: list(v) for k, v in body.get("notes", {}).items()},
        )

    def save(self, run_dir: str | Path) -> Path:
        """Write ``results/<chapter>.json`` in the run folder (atomically) and return it."""
        path = result_path(run_dir, self.chapter)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{id(self)}")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        return path


def result_path(run_dir: str | Path, chapter: str) -> Path:
    """Where a chapter's result is saved in a run folder: ``results/<chapter>.json``."""
    return Path(run_dir) / "results" / f"{chapter}.json"


def load_result(run_dir: str | Path, chapter: str) -> ChapterResult | None:
    """The saved result of ``chapter`` in ``run_dir``, or None when it has none.

    Raises
    ------
    ResultVersionError
        When the file is of another format or version.
    """
    path = result_path(run_dir, chapter)
    if not path.exists():
        return None
    return ChapterResult.from_json(path.read_text(encoding="utf-8"), source=str(path))


def _plain(value):
    """A JSON-safe copy of a headline value (numpy numbers to Python, NaN to None)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
