"""The data annex workbook: every shared table of a run in one accessible spreadsheet.

:func:`write_annex` reads a run folder's tables (``tables/<chapter>__<name>.csv``, already
suppressed by :func:`csplib.present.disclosure.protect`: unsuppressed data are never read)
and their captions (``results/<chapter>.json``, :func:`csplib.chapters.result.load_result`)
and writes ``annex.xlsx`` beside them, laid out as the Government Analysis Function's
guidance on releasing statistics in spreadsheets asks, with ONS's ``gptables``:

- a **Cover** sheet: title, area, assessed period, source, provenance (csplib version, git
  commit, parameters file, run date, the *Data used* line) and contact;
- a **Contents** sheet: one row per table, with a link to its sheet, its caption, its
  chapter and its CSV file;
- a **Notes** sheet: what the shorthand in the tables means (``[c]``: hidden to protect
  confidentiality; ``[x]``: no value) and each chapter's data notes (missing months,
  implausible months, windows), numbered; tables refer to them as ``[note N]``;
- one sheet per table (``Table_1``, ``Table_2``...), in reading order, with the pages'
  reader labels as column headers (:func:`csplib.present.labels.label`), numbers as numbers,
  ``[c]`` kept as text and empty cells as ``[x]``.

The workbook's properties (author, title, created and modified dates) and its zip entries'
timestamps are fixed by the run (:class:`AnnexInfo`), never by the clock, so the same run
gives the same bytes.

Examples
--------
>>> column_label("rate_ratio"), column_label("Performance Period"), column_label("")
('Rate ratio', 'Performance Period', 'Item')
>>> cell_value("12.5"), cell_value("[c]"), cell_value(""), cell_value("↔")
(12.5, '[c]', '[x]', '↔ no significant change')
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csplib.chapters.result import ResultVersionError, load_result
from csplib.core.errors import CspError
from csplib.present.annex_info import AUTHOR, AnnexInfo
from csplib.present.disclosure import DEFAULT_MARKER
from csplib.present.labels import label

__all__ = [
    "ANNEX_NAME",
    "AUTHOR",
    "MISSING_MARKER",
    "SYMBOL_WORDS",
    "AnnexInfo",
    "AnnexResult",
    "AnnexTable",
    "annex_tables",
    "cell_value",
    "column_label",
    "write_annex",
]

#: The workbook's file name in the run folder.
ANNEX_NAME = "annex.xlsx"
#: Shorthand for a cell with no value (the CSV's empty cell): ONS's "not available".
MISSING_MARKER = "[x]"
#: Cells of symbols only, which a spreadsheet reader may not announce, in words too.
SYMBOL_WORDS = {
    "↑": "↑ up (significant)",
    "↓": "↓ down (significant)",
    "↔": "↔ no significant change",
    "%": "per cent",
}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SYMBOLS_ONLY = re.compile(r"^[^A-Za-z0-9]+$")


def column_label(name) -> str:
    """A column header as a reader reads it: the one mapping of the pages
    (:func:`csplib.present.labels.label`); an unnamed column (a row label without a name,
    ``Unnamed: 0`` as pandas reads it back) reads ``Item``.

    Examples
    --------
    >>> column_label("rate_per_1000"), column_label("Performance Period")
    ('Rate per 1,000 residents', 'Performance Period')
    >>> column_label(""), column_label("Unnamed: 0")
    ('Item', 'Item')
    """
    name = str(name).strip()
    if not name or re.fullmatch(r"Unnamed: \d+", name):
        return "Item"
    return label(name)


def cell_value(text: str, marker: str = DEFAULT_MARKER) -> Any:
    """One CSV cell as the workbook shows it: a number as a number, the suppression marker
    and other text as text, an empty cell as ``[x]``, a cell of symbols only with words.

    Examples
    --------
    >>> cell_value("1581.0"), cell_value("-4.2e-05"), cell_value("32,900")
    (1581.0, -4.2e-05, '32,900')
    >>> cell_value("True"), cell_value("[c]"), cell_value("  ")
    ('True', '[c]', '[x]')
    """
    text = str(text)
    if text == marker:
        return marker
    if not text.strip():
        return MISSING_MARKER
    if _NUMBER.match(text.strip()):
        return float(text)
    if _SYMBOLS_ONLY.match(text.strip()):
        return SYMBOL_WORDS.get(text.strip(), f"symbol {text.strip()}")
    return text


@dataclass(frozen=True)
class AnnexTable:
    """One table of the annex: where it comes from and what it is called.

    Parameters
    ----------
    chapter, name : str
        The chapter (or pack) and the table's name: ``tables/<chapter>__<name>.csv``.
    caption : str
        The caption the chapter gave it.
    csv : Path
        The suppressed CSV.
    """

    chapter: str
    name: str
    caption: str
    csv: Path

    @property
    def file(self) -> str:
        """The CSV's path in the run folder (``tables/...csv``)."""
        return f"tables/{self.csv.name}"


@dataclass
class AnnexResult:
    """What :func:`write_annex` wrote.

    Parameters
    ----------
    path : Path
        The workbook.
    sheets : dict of str to AnnexTable
        Sheet name -> the table on it, in order.
    skipped : list of str
        Tables left out, each with the reason (a result listing a table with no CSV, a
        result of another version).
    """

    path: Path
    sheets: dict[str, AnnexTable]
    skipped: list[str] = field(default_factory=list)


def annex_tables(
    run_dir: str | Path, chapters: Sequence[str] | None = None, order: Sequence[str] = ()
) -> tuple[list[AnnexTable], list[str]]:
    """The run's tables in reading order, and the tables left out with the reason.

    Parameters
    ----------
    run_dir : path
        The run folder (``results/``, ``tables/``).
    chapters : sequence of str, optional
        The chapters and packs to include; default every saved result in the folder.
    order : sequence of str
        Reading order of chapter names; others follow, sorted.

    Returns
    -------
    tables : list of AnnexTable
    skipped : list of str
    """
    run_dir = Path(run_dir)
    if chapters is None:
        # results/<chapter>.json; other files there (<page>.disclosure.json) are not results
        found = sorted((run_dir / "results").glob("*.json"))
        chapters = [p.stem for p in found if "." not in p.stem]
    rank = {name: i for i, name in enumerate(order)}
    ordered = sorted(dict.fromkeys(chapters), key=lambda c: (rank.get(c, len(rank)), c))
    tables, skipped = [], []
    for chapter in ordered:
        try:
            result = load_result(run_dir, chapter)
        except ResultVersionError as exc:
            skipped.append(f"{chapter}: {exc}")
            continue
        if result is None:
            skipped.append(f"{chapter}: no results/{chapter}.json")
            continue
        for table in result.tables.values():
            csv = run_dir / "tables" / f"{chapter}__{table.name}.csv"
            if csv.exists():
                tables.append(AnnexTable(chapter, table.name, table.caption, csv))
            else:
                skipped.append(f"{chapter}__{table.name}: no {csv.relative_to(run_dir)}")
    return tables, skipped


def _read_table(table: AnnexTable) -> tuple[pd.DataFrame, list[str], bool]:
    """The table as the sheet shows it, the labels of the columns that hold ``[c]``, and
    whether any cell is ``[x]``."""
    try:
        raw = pd.read_csv(table.csv, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CspError(f"{table.csv}: not a readable table ({exc})") from None
    labels, seen = [], set()
    for name in raw.columns:
        header = column_label(name)
        if header in seen:
            header = f"{header} ({name})"
        seen.add(header)
        labels.append(header)
    if raw.empty:
        return pd.DataFrame({"Item": ["This table has no rows in this run."]}), [], False
    frame = pd.DataFrame(
        {
            lab: [cell_value(v) for v in raw[col]]
            for lab, col in zip(labels, raw.columns, strict=True)
        },
        dtype=object,
    )
    suppressed = [lab for lab in labels if (frame[lab] == DEFAULT_MARKER).any()]
    missing = bool((frame == MISSING_MARKER).to_numpy().any())
    return frame, suppressed, missing


def _notes(info: AnnexInfo, chapters: Sequence[str], run_dir: Path, any_c: bool, any_x: bool):
    """The notes sheet's rows (number, text, applies to) and the numbers by key."""
    rows: list[tuple[str, str, str]] = []
    if any_c:
        zeros = " (and zeros)" if info.suppress_zeros else ""
        rows.append(
            (
                "c",
                f"[c] (confidential): a count of 1 to {info.threshold - 1} people or events{zeros} "
                "hidden to protect privacy, or another count hidden so that a hidden one cannot be "
                "worked out from the totals. Rates, shares and changes worked out from a hidden "
                "count are hidden too. The cell is text, not zero.",
                "Columns marked with this note",
            )
        )
    if any_x:
        rows.append(
            (
                "x",
                "[x] (no value): not available or not applicable: the data do not cover it, too "
                "few months or cases to compute it, or it does not apply to the row. It is not "
                "zero.",
                "Columns marked with this note",
            )
        )
    if info.synthetic:
        rows.append(
            (
                "synthetic",
                "These tables come from a simulated dataset built to demonstrate the methods. "
                "They are not real crime statistics for this area.",
                "Every table",
            )
        )
    if info.data_notes:
        rows.append(("run", "\n".join(info.data_notes), "Every table"))
    used = ""
    for chapter in chapters:
        result = load_result(run_dir, chapter)
        lines = [
            line for topic, texts in result.notes.items() if topic != "data_used" for line in texts
        ]
        used = used or next(iter(result.notes.get("data_used", [])), "")
        if lines:
            title = info.chapters.get(chapter, chapter)
            rows.append((f"chapter:{chapter}", "\n".join(lines), f"Tables of {title}"))
    numbers = {key: i + 1 for i, (key, _, _) in enumerate(rows)}
    frame = pd.DataFrame(
        {
            "Note number": [numbers[k] for k, _, _ in rows],
            "Note text": [text for _, text, _ in rows],
            "Applies to": [where for _, _, where in rows],
        }
    )
    return frame, numbers, used


def _gptable(table: AnnexTable, frame, suppressed, missing, numbers, info: AnnexInfo, index):
    import gptables as gpt

    refs = {"c": suppressed, "x": [c for c in frame.columns if (frame[c] == MISSING_MARKER).any()]}
    renames = {}
    for key, columns in refs.items():
        for column in columns:
            renames[column] = f"{renames.get(column, column)} [note {numbers[key]}]"
    frame = frame.rename(columns=renames)
    title = table.caption or column_label(table.name)
    chapter_note = numbers.get(f"chapter:{table.chapter}")
    if chapter_note:
        title = f"{title} [note {chapter_note}]"
    legend = []
    if suppressed:
        legend.append(f"[c] = confidential: hidden to protect privacy (note {numbers['c']})")
    if missing:
        legend.append(f"[x] = no value: not available or not applicable (note {numbers['x']})")
    general = [numbers[k] for k in ("synthetic", "run") if k in numbers]
    subtitles = [
        f"Chapter: {info.chapters.get(table.chapter, table.chapter)}",
        f"Area and period: {info.area}, {info.period}",
        f"Data file: {table.file}",
    ]
    if general:
        subtitles.append("See also " + " and ".join(f"[note {n}]" for n in general))
    return gpt.GPTable(
        table=frame,
        table_name=f"table_{index}",
        title=title,
        subtitles=subtitles,
        instructions=(
            "This worksheet contains one table, with a header row. Some column headers "
            "refer to notes, which are on the Notes worksheet."
        ),
        source=f"Source: {info.source[0]}" if info.source else None,
        legend=legend,
        index_columns={2: 0},
    )


def write_annex(
    run_dir: str | Path,
    info: AnnexInfo,
    *,
    chapters: Sequence[str] | None = None,
    path: str | Path | None = None,
) -> AnnexResult:
    """Write the run's data annex workbook (``annex.xlsx`` in the run folder).

    Parameters
    ----------
    run_dir : path
        The run folder: ``results/<chapter>.json`` and ``tables/<chapter>__<name>.csv``.
    info : AnnexInfo
        The cover's text and the fixed properties.
    chapters : sequence of str, optional
        The chapters and packs to include (those that finished); default every saved
        result in the folder.
    path : path, optional
        Where to write; default ``<run_dir>/annex.xlsx``.

    Returns
    -------
    AnnexResult

    Raises
    ------
    CspError
        When the run folder holds no table to write, or a table's CSV cannot be read.
    """
    import gptables as gpt

    run_dir = Path(run_dir)
    path = Path(path) if path is not None else run_dir / ANNEX_NAME
    tables, skipped = annex_tables(run_dir, chapters, order=list(info.chapters))
    if not tables:
        raise CspError(
            f"{run_dir}: no tables for the data annex (no results/*.json lists a table that "
            "has its CSV in tables/)"
        )
    read = [_read_table(t) for t in tables]
    used_chapters = list(dict.fromkeys(t.chapter for t in tables))
    notes, numbers, data_used = _notes(
        info,
        used_chapters,
        run_dir,
        any_c=any(s for _, s, _ in read),
        any_x=any(m for _, _, m in read),
    )
    sheets = {}
    by_sheet: dict[str, AnnexTable] = {}
    for i, (table, (frame, suppressed, missing)) in enumerate(
        zip(tables, read, strict=True), start=1
    ):
        name = f"Table_{i}"
        by_sheet[name] = table
        sheets[name] = _gptable(table, frame, suppressed, missing, numbers, info, i)
    contents = gpt.GPTable(
        table=pd.DataFrame(
            {
                "Sheet name": [{s: f"internal:'{s}'!A1"} for s in by_sheet],
                "Table title": [t.caption or column_label(t.name) for t in by_sheet.values()],
                "Chapter": [info.chapters.get(t.chapter, t.chapter) for t in by_sheet.values()],
                "Data file": [t.file for t in by_sheet.values()],
            }
        ),
        table_name="contents_table",
        title="Table of contents",
        instructions="This worksheet contains one table: every table in this workbook.",
        index_columns={2: 0},
    )
    notes_sheet = gpt.GPTable(
        table=notes if len(notes) else pd.DataFrame({"Note text": ["No notes in this run."]}),
        table_name="notes_table",
        title="Notes",
        instructions="This worksheet contains one table: the notes the other sheets refer to.",
        index_columns={},
    )
    cover = gpt.Cover(
        title=info.title_line,
        intro=[
            f"Area: {info.area}",
            f"Assessed period: {info.period}",
            f"This workbook holds every table of the assessment's pages and theme packs, "
            f"{len(by_sheet)} in all, one per sheet; the Contents sheet lists them and the "
            "Notes sheet explains the shorthand in them. Small counts are hidden ([c]).",
            *(["Synthetic data: these are not real crime statistics."] if info.synthetic else []),
        ],
        about=[*info.source, *info.provenance, *([data_used] if data_used else [])],
        contact=list(info.contact),
    )
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # "no notes table" (ours is a sheet of its own) and gptables' pandas deprecations
        warnings.filterwarnings("ignore", module="gptables")
        wb = gpt.produce_workbook(
            filename=str(tmp),
            sheets={"Contents": contents, "Notes": notes_sheet, **sheets},
            cover=cover,
            contentsheet_label=None,
            notes_table=None,
            auto_width=True,
            gridlines="hide_all",
            workbook_options={
                "in_memory": True,  # zip entries dated 1980-01-01, whatever the clock
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
    wb.set_properties(
        {
            "title": info.title_line,
            "subject": f"Data annex: {info.area}, {info.period}",
            "author": info.author,
            "keywords": "community safety, strategic assessment, crime, ASB",
            "comments": "Built by csplib from the run's suppressed tables.",
            "created": info.created,
        }
    )
    wb.close()
    tmp.replace(path)
    return AnnexResult(path=path, sheets=by_sheet, skipped=skipped)
