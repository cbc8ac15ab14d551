"""Shared by the validating CSV readers (partner extract, indicators): strict reading with a
checked header, and per-row rule collection so that rows read = kept + rejected exactly.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from csplib.core.errors import DataError

__all__ = ["ReadResult", "read_strict_csv", "Problems", "quoted"]


class ReadResult(NamedTuple):
    """What a validating reader returns.

    Attributes
    ----------
    data : pandas.DataFrame
        The rows kept, typed; index ``row`` = 1-based data row in the file (header excluded).
    rejected : pandas.DataFrame
        The rows rejected, as text from the file, with ``reason`` (the first rule the row
        breaks) and ``detail`` (every rule it breaks, as ``"rule: what; rule: what"``);
        same index.
    """

    data: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def rows_read(self) -> int:
        """Data rows read from the file (= kept + rejected)."""
        return len(self.data) + len(self.rejected)

    def summary(self) -> pd.DataFrame:
        """Rows rejected by reason (``reason``, ``rows``), most frequent first.

        Each rejected row counts once, under its first broken rule, so ``rows`` sums to
        ``len(rejected)``.
        """
        counts = self.rejected["reason"].value_counts().rename_axis("reason").rename("rows")
        counts = counts.reset_index()
        return counts.sort_values(["rows", "reason"], ascending=[False, True], ignore_index=True)


def read_strict_csv(
    path, columns: tuple[str, ...], optional: tuple[str, ...] = (), *, what: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a CSV as text with a checked header.

    Returns ``(table, ragged)``: ``table`` holds the rows with the right number of fields
    (stripped text, one column per expected column, blank for an absent optional one),
    ``ragged`` the others with ``reason`` and ``detail``; both indexed by 1-based data row
    ``row``.
    Blank lines are skipped but keep their row numbers.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{what} not found", path=path) from None
    except OSError as exc:
        raise DataError(f"cannot read the {what}: {exc.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); save the "
            f"{what} as 'CSV UTF-8'",
            path=path,
        ) from None
    if not text.strip():
        raise DataError(f"the {what} is empty; expected a header line and data rows", path=path)
    records = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(records)]
    expected = ", ".join(columns + optional)
    dupes = sorted({h for h in header if header.count(h) > 1})
    missing = [c for c in columns if c not in header]
    unexpected = [h for h in header if h not in columns + optional]
    if dupes or missing or unexpected:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected column(s) {', '.join(repr(u) for u in unexpected)}")
        if dupes:
            problems.append(f"repeated column(s) {', '.join(dupes)}")
        raise DataError(
            f"wrong header: {'; '.join(problems)}; expected the columns {expected}", path=path
        )
    width = len(header)
    rows, row_ids, bad_rows, bad_ids, bad_reasons = [], [], [], [], []
    for number, fields in enumerate(records, start=1):
        if not any(f.strip() for f in fields):
            continue
        fields = [f.strip() for f in fields]
        while len(fields) > width and fields[-1] == "":
            fields.pop()  # trailing empty cells, as spreadsheets write them
        if len(fields) != width:
            bad_ids.append(number)
            bad_rows.append((fields + [""] * width)[:width])
            bad_reasons.append(f"expected {width}, found {len(fields)}")
            continue
        row_ids.append(number)
        rows.append(fields)
    if not rows and not bad_rows:
        raise DataError(f"the {what} has a header but no data rows", path=path)
    index = pd.Index(row_ids, name="row", dtype="int64")
    table = pd.DataFrame(rows, columns=header, index=index, dtype="str")
    for col in optional:
        if col not in table.columns:
            table[col] = ""
    table = table[list(columns + optional)]
    ragged = pd.DataFrame(
        bad_rows, columns=header, index=pd.Index(bad_ids, name="row", dtype="int64"), dtype="str"
    )
    ragged["reason"] = pd.array(["wrong number of fields"] * len(bad_ids), dtype="str")
    ragged["detail"] = pd.array(
        [f"wrong number of fields: {text}" for text in bad_reasons], dtype="str"
    )
    return table, ragged


class Problems:
    """Collects the rules each row breaks."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.messages: list[list[tuple[str, str]]] = [[] for _ in range(len(index))]

    def add(self, mask, rule: str, detail) -> None:
        """Record ``rule`` for rows where ``mask``; ``detail`` is a str or a per-row Series."""
        mask = np.asarray(mask, dtype=bool)
        details = detail if isinstance(detail, pd.Series) else None
        for pos in np.flatnonzero(mask):
            text = details.iloc[pos] if details is not None else detail
            self.messages[pos].append((rule, str(text)))

    def split(self, table: pd.DataFrame, ragged: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """Return (mask of kept rows, rejected text rows with ``reason`` and ``detail``)."""
        bad = np.array([bool(m) for m in self.messages], dtype=bool)
        rejected = table[bad].copy()
        broken = [m for m in self.messages if m]
        rejected["reason"] = pd.array([m[0][0] for m in broken], dtype="str")
        rejected["detail"] = pd.array(
            ["; ".join(f"{rule}: {text}" for rule, text in m) for m in broken], dtype="str"
        )
        if len(ragged):
            rejected = pd.concat([rejected, ragged.reindex(columns=rejected.columns)])
        return ~bad, rejected.sort_index()


def quoted(values: pd.Series) -> pd.Series:
    """Each value in quotes, for messages (``'abc'``)."""
    return values.map(repr)
