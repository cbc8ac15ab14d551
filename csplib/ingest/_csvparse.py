"""Exact, fast parsing of a police.uk CSV body: every row's number of fields is known.

A strict polars parse of all the columns, as text, raises on any row with too many fields.
A count of the commas outside quoted fields (numpy, in cache-sized chunks; the rare quotes
are found with ``memchr``) then proves that none has too few (:func:`shape_ok`). A file
failing either check, or quoted in an unusual way, is parsed again with the csv module,
which gives each row's exact field count (:func:`parse_slow`). :func:`check_header` checks
the header first; :func:`parse_file` does both, and every police.uk file is parsed through it.

Examples
--------
>>> data = b"a,b\\n1,2\\n3\\n"
>>> offset = check_header(data, ("a", "b"), "x.csv")
>>> frame, n_fields = parse_body(data, offset, ("a", "b"), "x.csv")
>>> frame.rows(), n_fields.to_list()
([(1, '1', '2'), (2, '3', None)], [2, 1])
>>> parse_file(b"a,b\\n1,2\\n", ("a", "b"), "x.csv")[0].rows()
[(1, '1', '2')]
"""

from __future__ import annotations

import csv
import io

import numpy as np
import polars as pl

from csplib.core.errors import DataError
from csplib.ingest.categories import normalise_name

__all__ = ["check_header", "parse_body", "parse_file", "parse_slow", "shape_ok"]

_BOM = b"\xef\xbb\xbf"


def _utf8_error(data: bytes, offset: int, source: str, body_start: int | None) -> DataError:
    """DataError for invalid UTF-8 at ``offset`` of ``data`` (the header when no body_start)."""
    bad = data[offset : offset + 1].hex()
    if body_start is None or offset < body_start:
        where, row = "in the header", None
    else:
        where, row = f"at byte {offset}", data[body_start:offset].count(b"\n") + 1
    return DataError(
        f"not valid UTF-8 (byte 0x{bad} {where}); police.uk files are UTF-8. The file has "
        "probably been re-saved by another program: download it again, or save it as UTF-8",
        path=source,
        row=row,
    )


def check_header(data: bytes, columns: tuple[str, ...], source: str) -> int:
    """Validate the header line; return the offset where the rows start."""
    if not data:
        raise DataError(
            "file is empty (0 bytes); expected the police.uk header "
            f"{', '.join(columns)}. Download the file again",
            path=source,
        )
    end = data.find(b"\n")
    line = bytes(data[: len(data) if end < 0 else end])
    start = len(_BOM) if line.startswith(_BOM) else 0
    try:
        text = line[start:].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(data, start + exc.start, source, None) from None
    found = next(csv.reader([text]), [])
    if [normalise_name(c) for c in found] != [normalise_name(c) for c in columns]:
        want = {normalise_name(c) for c in columns}
        have = {normalise_name(c) for c in found}
        missing = [c for c in columns if normalise_name(c) not in have]
        extra = [c for c in found if normalise_name(c) not in want]
        detail = [f"missing {missing}"] * bool(missing) + [f"unexpected {extra}"] * bool(extra)
        raise DataError(
            f"wrong header ({'; '.join(detail) or 'columns in a different order'}): expected "
            f"the {len(columns)} police.uk columns {', '.join(columns)}; found "
            f"{', '.join(found) or 'nothing'}",
            path=source,
        )
    return len(data) if end < 0 else end + 1


def _count_byte(a: np.ndarray, byte: int, chunk: int = 1 << 20) -> int:
    """Occurrences of ``byte`` in ``a``, counted in cache-sized chunks."""
    buf = np.empty(min(chunk, len(a)), dtype=bool)
    total = 0
    for i in range(0, len(a), chunk):
        part = a[i : i + chunk]
        out = buf[: len(part)]
        np.equal(part, byte, out=out)
        total += int(np.count_nonzero(out))
    return total


#: Quotes found one by one before numpy takes over (:func:`_find_byte`). Each ``find``
#: costs a fraction of a microsecond, so up to this many the loop is cheaper than a numpy
#: pass over a whole file (milliseconds for tens of megabytes).
_FIND_ONE_BY_ONE = 4096


def _find_byte(data, byte: bytes, offset: int, many: int = _FIND_ONE_BY_ONE) -> np.ndarray:
    """Positions of ``byte`` in ``data`` after ``offset``, relative to ``offset``.

    Quotes are rare in police.uk files, so they are found with ``find`` (``memchr``, tens
    of GB/s) until ``many`` have been seen, and with numpy after that.
    """
    found = []
    at = data.find(byte, offset)
    while at >= 0 and len(found) < many:
        found.append(at - offset)
        at = data.find(byte, at + 1)
    if at < 0:
        return np.array(found, dtype=np.intp)
    a = np.frombuffer(data, dtype=np.uint8, offset=offset)
    return np.flatnonzero(a == byte[0])


def shape_ok(data, offset: int, n_rows: int, ncols: int) -> bool:
    """True when every row after ``offset`` has exactly ``ncols`` fields.

    Called after a strict polars parse, which raises on any row with too many fields, so
    only short rows remain possible: every row then has at most ``ncols - 1`` separators,
    and all have exactly that many iff the separators number ``(ncols - 1) * n_rows``.

    Separators are the commas outside quoted fields. Quotes are taken in consecutive pairs
    (an escaped ``""`` inside a field is a pair of its own); every pair must open at the
    start of a field (after a comma, a line break or another quote) and close at its end
    (before a comma, a line break or another quote). Otherwise, e.g. with a stray quote
    inside an unquoted field, the file takes the exact slow path.
    """
    a = np.frombuffer(data, dtype=np.uint8, offset=offset)
    commas = _count_byte(a, 44)
    quotes = _find_byte(data, b'"', offset)
    if len(quotes):
        if len(quotes) % 2:
            return False
        opens, closes = quotes[0::2], quotes[1::2]
        before = a[np.maximum(opens - 1, 0)]
        ok_open = (opens == 0) | np.isin(before, (44, 10, 34))
        after = a[np.minimum(closes + 1, len(a) - 1)]
        ok_close = (closes == len(a) - 1) | np.isin(after, (44, 10, 13, 34))
        if not (ok_open.all() and ok_close.all()):
            return False
        commas -= sum(
            data[offset + int(o) : offset + int(c)].count(b",")
            for o, c in zip(opens, closes, strict=True)
        )
        del before, after, quotes, opens, closes
    del a
    return commas == (ncols - 1) * n_rows


def parse_slow(data: bytes, offset: int, columns: tuple[str, ...], source: str):
    """Exact parse with the csv module: any number of fields per row, multi-line fields."""
    try:
        text = bytes(data[offset:]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _utf8_error(data, offset + exc.start, source, offset) from None
    ncols = len(columns)
    cols: list[list] = [[] for _ in range(ncols)]
    n_fields: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for rec in reader:
            n_fields.append(len(rec) if rec else 1)  # a blank line: one empty field
            for i in range(ncols):
                cols[i].append((rec[i] or None) if i < len(rec) else None)
    except csv.Error as exc:
        row = len(n_fields) + 1
        raise DataError(f"cannot parse the CSV ({exc})", path=source, row=row) from None
    frame = pl.DataFrame(
        [pl.Series(c, v, dtype=pl.String) for c, v in zip(columns, cols, strict=True)]
    )
    return frame, pl.Series("n_fields", n_fields, dtype=pl.UInt32)


def parse_body(data, offset: int, columns: tuple[str, ...], source: str, path=None):
    """Parse the rows after the header, every column as text.

    Returns ``(frame, n_fields)``: the frame has the police.uk columns and ``row`` (1-based);
    ``n_fields`` is the number of fields of each row, or ``None`` when all have
    ``len(columns)``. The fast path is one strict polars parse (of ``path`` when given,
    which polars maps into memory itself, else of ``data``) and a separator count (see
    :func:`shape_ok`); files with ragged rows, multi-line quoted fields or anything else
    polars refuses take the exact csv-module path.
    """
    schema = {c: pl.String for c in columns}
    n_fields = None
    if offset >= len(data):
        frame = pl.DataFrame(schema=schema)
    else:
        frame = None
        try:
            frame = pl.read_csv(
                data if path is None else path,
                has_header=False,
                skip_lines=1,
                schema=schema,
                truncate_ragged_lines=False,
                raise_if_empty=False,
            )
        except pl.exceptions.ComputeError as exc:
            if "utf-8" in str(exc).lower():
                try:
                    bytes(data[offset:]).decode("utf-8")
                except UnicodeDecodeError as uexc:
                    raise _utf8_error(data, offset + uexc.start, source, offset) from None
        except (pl.exceptions.PolarsError, ValueError):
            pass  # anything else polars refuses: the exact path decides
        if frame is None or not shape_ok(data, offset, frame.height, len(columns)):
            frame, n_fields = parse_slow(data, offset, columns, source)
    return frame.with_row_index("row", offset=1), n_fields


def parse_file(data, columns: tuple[str, ...], source: str, path=None):
    """Check the header (:func:`check_header`) and parse the rows (:func:`parse_body`).

    Returns ``(frame, n_fields)`` as :func:`parse_body` does; ``path`` as there.
    """
    return parse_body(data, check_header(data, columns, source), columns, source, path)
