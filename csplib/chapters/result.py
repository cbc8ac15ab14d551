"""The chapter contract: every chapter turns the context into one :class:`ChapterResult`.

A chapter module (``csplib.chapters.<name>``) has one entry point,
``assess(context) -> ChapterResult``. The result holds

- its **tables** (:class:`Table`): each declares which columns are counts of people or
  events, which are derived from them, and which rows or columns are totals, so that
  disclosure control (:func:`csplib.present.disclosure.protect`) needs no guessing and the
  notebook passes no suppression arguments;
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
    """

    name: str
    frame: pd.DataFrame
    caption: str = ""
    counts: tuple[str, ...] | str = ()
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    totals: str | tuple[str, ...] | None = "infer"
    formats: Mapping[str, str] = field(default_factory=dict)

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
            "findings": [{"text": f.text, "evidence": f.evidence} for f in self.findings],
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
            findings=[Finding(f["text"], f["evidence"]) for f in body.get("findings", [])],
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
