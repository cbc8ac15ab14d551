"""Read police.uk street-level crime downloads into a validated, typed incidents table.

A police.uk custom download is a zip of ``YYYY-MM/YYYY-MM-<force>-street.csv`` files, one per
month and force. :func:`read_policeuk` takes any number of such zips, folders (searched
recursively, zips inside them included) or loose CSV files, and returns a
:class:`PoliceUkRead`.

Files
-----
A CSV is classified by its file name (``YYYY-MM-<force>-<kind>.csv``; the folder it sits in
does not matter):

* ``-street.csv``: crimes and ASB, read into ``incidents``.
* ``-outcomes.csv``: outcomes, read into ``outcomes`` (the latest outcome per Crime ID).
* ``-stop-and-search.csv``: ignored, with a note.

Any other ``.csv`` name raises :class:`~csplib.errors.DataError` (its month cannot be known,
so it cannot be checked); files that are not CSV (``README.txt``, ``.DS_Store``, macOS
``__MACOSX/`` entries) are skipped with a note. The same month and force given twice (two
overlapping downloads) is read once when the two files are identical (a note says so) and
raises ``DataError`` when they differ.

Each file must start with the exact police.uk header (case and spacing of the names are
ignored; a UTF-8 byte-order mark is allowed). Errors that make a whole file unusable raise
``DataError`` naming the file (and the row where there is one):

* a zip that is truncated or corrupt, or a member that fails its CRC check;
* an empty file (0 bytes: no header, so not recognisably a police.uk file). A file with the
  header and no rows is read as 0 rows, with a note;
* a wrong header (the expected and found columns are listed);
* a file that is not valid UTF-8. police.uk publishes UTF-8. A file in another encoding has
  been re-saved by another program (typically a spreadsheet saving Windows-1252), which may
  also have rewritten months and numbers; and Windows-1252 decodes almost any bytes, so
  decoding with it would accept damaged files without a trace. The error names the row and
  byte offset of the first invalid byte; re-download the file or save it as UTF-8;
* a file whose LSOA codes mix the two vintages (codes that exist only among 2011 LSOAs and
  codes that exist only among 2021 LSOAs): real police.uk files use one vintage each, so a
  mix means the file was assembled from different releases, and converting it row by row
  would hide that. Different files of one read may use different vintages.

Rows
----
Every column is read as text and then cast and checked, so a bad value becomes a counted
rejection, never an exception. Each row read is either kept or rejected with exactly one
reason, the first that applies in this order:

``malformed``
    the row does not have exactly 12 fields (a blank line counts as a row with one empty
    field), or ``Month`` is not ``YYYY-MM``, or ``Longitude``/``Latitude`` is not blank and
    not a finite number (in [-180, 180] and [-90, 90]).
``month_outside_file``
    ``Month`` is a valid month other than the month in the file name.
``unknown_category``
    ``Crime type`` is blank or not in the harmonisation table
    (:mod:`csplib.ingest.categories`).
``no_lsoa``
    ``LSOA code`` is blank. About 1% of real rows have no location and no LSOA; they cannot
    be placed in any area.
``duplicate_crime_id``
    the row passed every check above, and an earlier row that also passed them has the same
    (non-blank) Crime ID. "Earlier" is in month order, then file name, then row. So the
    first valid occurrence is kept and later repeats are rejected. ASB rows have no Crime ID
    and are never duplicates. Checking duplicates last means that a repeat without an LSOA
    counts as ``no_lsoa`` and does not displace a located copy. The files table also
    reports ``crime_id_repeats``: rows whose non-blank Crime ID repeats an earlier row of
    the same file, before any other check (87 in the real Nottinghamshire 2018-10 to 2019-02
    files, of which 79 are rejected as ``duplicate_crime_id`` and 8 are ``no_lsoa``).
    Repeats are found on a 64-bit hash of the Crime ID and then confirmed by comparing the
    IDs themselves, so the result is exact.

Rows read = rows kept + rows rejected, exactly, per file and in total (checked before
returning). The ``rejected`` table holds every rejected row with its file, row number
(1-based, header excluded), reason, a human-readable detail and the raw fields.

Outcomes files are checked the same way, with reasons ``malformed``,
``month_outside_file`` and ``no_crime_id``; their rows do not enter the incidents totals.

LSOA vintage
------------
Each file's distinct LSOA codes are matched against the 2011 and 2021 code lists of the ONS
lookup ``lookup_lsoa11_lsoa21_ltla22.csv.gz`` (see :func:`default_lookup_path`). Most codes
are in both (unchanged LSOAs); the vintage is decided by the codes found in only one list.
A file with neither kind (only unchanged codes, or no codes) gets its vintage from its
month (2011 up to December 2023, 2021 from January 2024, when police.uk changed), with
``vintage_basis = "month"``: for such a file the two vintages coincide anyway. Codes in
neither list are kept as they are and counted (``unknown_codes``) for the geography step.

Cache
-----
With ``cache_dir``, the result is stored as typed parquet in
``cache_dir/policeuk-<key>/`` (``incidents/part-*.parquet``, one part per file, plus
``files``, ``rejected``, ``outcomes`` and ``counts``, the monthly LSOA x category counts),
and a later call with the same inputs reads it instead of parsing any CSV. The key is a
BLAKE3 digest over the code/schema version, the lookup file's content and, for every input
zip or loose CSV, its name and the BLAKE3 digest of its bytes. BLAKE3 is a cryptographic hash
like SHA-256 and several times faster (about 7 GB/s against 1.8 GB/s here), which matters
when the inputs are a gigabyte or more. Any change to an input's bytes misses the cache.
The folder is written under a temporary name and renamed when complete, so an interrupted
run leaves no half-written cache.

A miss does not mean parsing everything again. Each file's own result (its kept rows,
before repeats across files are removed, its rejected rows and its facts) is also kept in
``cache_dir/policeuk_files/``, keyed by the file's name (with the folder or zip it was given
in), month, force and BLAKE3 digest, the lookup and the parsing rules (:class:`_FileStore`).
A read with a new month's file or zip added next to the earlier ones, or one file replaced,
parses only the files it has not seen; the others' kept rows are hard-linked from the
store, and only the steps that span files (repeats across files, the counts) run again. A
whole new download under a new zip name is parsed afresh. Nothing is evicted from the
store: delete ``cache_dir`` to clear it.

Parsing
-------
Every row's number of fields is checked exactly and cheaply (see
:mod:`csplib.ingest._csvparse`); a file whose rows are ragged, or quoted in an unusual way,
is parsed again with the csv module, which gives each row's exact field count.

Speed and memory
----------------
Files are parsed in threads, one per core up to four (polars and numpy release the GIL),
while the main thread writes the previous file's parquet part. Every row gets only the cheap
checks (a boolean per rule); reasons and details are worked out for the rows that fail, and
repeated Crime IDs are looked for among rows whose hash repeats. Loose files are
memory-mapped, not copied. The rejected and outcomes tables become pandas only when
first used. Only small per-file results stay in
memory (rejected rows, the category x LSOA tally, a 64-bit hash and row number per kept
Crime ID), so memory grows by about 12 bytes per crime, not with the text read; the
incidents are built as pandas only when asked for (:attr:`PoliceUkRead.incidents`), and
:meth:`PoliceUkRead.monthly_counts` and :meth:`PoliceUkRead.lazy` work without them.
``benchmarks/ingest.py`` measures a national-scale download.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import mmap
import os
import re
import shutil
import uuid
import zipfile
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from csplib.errors import DataError
from csplib.ingest._csvparse import check_header, parse_body
from csplib.ingest.categories import category_mapping, normalise_name
from csplib.provenance import blake3_file, blake3_hex
from csplib.schema import POLICE_UK_CATEGORIES, STREET_COLUMNS

__all__ = [
    "STREET_COLUMNS",
    "OUTCOME_COLUMNS",
    "REJECTION_REASONS",
    "CACHE_VERSION",
    "PoliceUkRead",
    "read_policeuk",
    "default_lookup_path",
    "lsoa_code_lists",
]

#: The 10 columns of a police.uk outcomes file, in order.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
)
#: Rejection reasons of street rows, in the order they are checked.
REJECTION_REASONS: tuple[str, ...] = (
    "malformed",
    "month_outside_file",
    "unknown_category",
    "no_lsoa",
    "duplicate_crime_id",
)

#: Version of the parsing rules and cached schema; part of the cache key.
CACHE_VERSION = "policeuk-2"

_VINTAGES = ("2011", "2021")
_FIRST_2021_MONTH = dt.date(2024, 1, 1)
_NAME_RE = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<force>.+?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv$",
    re.IGNORECASE,
)
#: Files parsed at once, in threads (one per core, at most 4).
_WORKERS = max(1, min(4, os.cpu_count() or 1))

_CATEGORY_DTYPE = pl.Enum(list(POLICE_UK_CATEGORIES))
_INCIDENT_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Datetime("us"),
    "category": _CATEGORY_DTYPE,
    "lsoa": pl.Categorical(),
    "lsoa_vintage": pl.Enum(list(_VINTAGES)),
    "crime_id": pl.String(),
    "outcome": pl.Categorical(),
    "longitude": pl.Float64(),
    "latitude": pl.Float64(),
    "location": pl.String(),
    "falls_within": pl.Categorical(),
    "force": pl.Categorical(),
    "source_file": pl.Categorical(),
    "source_row": pl.UInt32(),
}
_COUNTS_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Datetime("us"),
    "category": _CATEGORY_DTYPE,
    "lsoa": pl.String(),
    "count": pl.Int64(),
}
_OUTCOMES_SCHEMA: dict[str, pl.DataType] = {
    "crime_id": pl.String(),
    "month": pl.Datetime("us"),
    "outcome": pl.String(),
    "lsoa": pl.String(),
    "falls_within": pl.String(),
    "source_file": pl.String(),
    "source_row": pl.UInt32(),
    "n_outcomes": pl.UInt32(),
}
_RAW_COLUMNS: tuple[str, ...] = (*STREET_COLUMNS, "Outcome type")
_REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "kind": pl.String(),
    "row": pl.UInt32(),
    "reason": pl.String(),
    "detail": pl.String(),
    **{c: pl.String() for c in _RAW_COLUMNS},
}


# ----------------------------------------------------------------------------- lookup


def default_lookup_path() -> Path:
    """The ONS LSOA 2011 <-> 2021 lookup shipped in the repository's ``data`` folder.

    Examples
    --------
    >>> default_lookup_path().name
    'lookup_lsoa11_lsoa21_ltla22.csv.gz'
    """
    repo = Path(__file__).resolve().parents[2]
    return repo / "data" / "reference" / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv.gz"


@dataclass(frozen=True, eq=False)
class _Lookup:
    """The ONS LSOA code lists, and each code's vintage by polars categorical id.

    ``codes`` holds every code as a polars ``Categorical``. Besides giving the ids that
    ``vintage`` is indexed by, it keeps polars' global category mapping alive for as long
    as the lookup is: polars frees the mapping, and starts numbering again from 0, once no
    categorical data refers to it. A read holds its lookup from start to end, so the
    categorical ids of its files (:func:`_tally`) and of the lookup stay comparable. As
    lookups are cached for the process, the mapping then lives as long as the process: the
    categories any code creates are kept (a few hundred thousand strings at most here).
    """

    lsoa11: frozenset
    lsoa21: frozenset
    digest: str
    codes: pl.Series
    vintage: np.ndarray  # by categorical id: 1 = a 2011 code, 2 = a 2021 code, 3 = both

    def flags(self, codes: pl.Series) -> np.ndarray:
        """The ``vintage`` flags of categorical ``codes`` (0 for codes in neither list)."""
        ids = codes.to_physical().to_numpy()
        out = np.zeros(len(ids), dtype=np.uint8)
        known = ids < len(self.vintage)
        out[known] = self.vintage[ids[known]]
        return out


@functools.lru_cache(maxsize=4)
def _read_lookup(path: str, size: int, mtime: int) -> _Lookup:
    raw = Path(path).read_bytes()
    digest = blake3_hex(raw)
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        table = pl.read_csv(raw, infer_schema=False, columns=["lsoa11_code", "lsoa21_code"])
    except (OSError, EOFError, zlib.error, pl.exceptions.PolarsError, ValueError) as exc:
        raise DataError(
            f"expected an LSOA lookup CSV with columns lsoa11_code and lsoa21_code ({exc})",
            path=path,
        ) from None
    lsoa11 = table["lsoa11_code"].drop_nulls().str.strip_chars().unique()
    lsoa21 = table["lsoa21_code"].drop_nulls().str.strip_chars().unique()
    codes = pl.concat([lsoa11, lsoa21]).unique().sort().cast(pl.Categorical)
    ids = codes.to_physical().to_numpy()
    vintage = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.uint8)
    vintage[ids[codes.cast(pl.String).is_in(lsoa11.implode()).to_numpy()]] |= 1
    vintage[ids[codes.cast(pl.String).is_in(lsoa21.implode()).to_numpy()]] |= 2
    return _Lookup(frozenset(lsoa11.to_list()), frozenset(lsoa21.to_list()), digest, codes, vintage)


def _load_lookup(lookup) -> _Lookup:
    path = Path(lookup) if lookup is not None else default_lookup_path()
    try:
        st = path.stat()
    except OSError:
        raise DataError(
            "LSOA lookup not found; expected the ONS lookup_lsoa11_lsoa21_ltla22.csv.gz "
            "(pass lookup=)",
            path=path,
        ) from None
    return _read_lookup(str(path.resolve()), st.st_size, st.st_mtime_ns)


def lsoa_code_lists(lookup: str | os.PathLike | None = None) -> tuple[frozenset, frozenset]:
    """The sets of 2011 and 2021 LSOA codes in the ONS lookup.

    Parameters
    ----------
    lookup : path, optional
        A CSV (optionally gzipped) with columns ``lsoa11_code`` and ``lsoa21_code``;
        default :func:`default_lookup_path`.

    Returns
    -------
    tuple of frozenset
        ``(lsoa11_codes, lsoa21_codes)``.

    Examples
    --------
    >>> lsoa11, lsoa21 = lsoa_code_lists()
    >>> len(lsoa11), len(lsoa21)
    (34753, 35672)
    >>> "E01013810" in lsoa11, "E01013810" in lsoa21   # unchanged: in both
    (True, True)
    """
    found = _load_lookup(lookup)
    return found.lsoa11, found.lsoa21


def _vintage(codes: pl.Series, lookup: _Lookup, entry: _Entry) -> dict:
    """Decide a file's LSOA vintage from its distinct codes (see the module docstring)."""
    codes = codes.cast(pl.Categorical)
    flags = lookup.flags(codes)
    only11 = codes.filter(pl.Series(flags == 1)).cast(pl.String).to_list()
    only21 = codes.filter(pl.Series(flags == 2)).cast(pl.String).to_list()
    unknown = int((flags == 0).sum())
    if only11 and only21:
        raise DataError(
            f"LSOA codes of both vintages in one file: {len(only11)} codes exist only among "
            f"2011 LSOAs (e.g. {', '.join(sorted(only11)[:3])}) and {len(only21)} only "
            f"among 2021 LSOAs (e.g. {', '.join(sorted(only21)[:3])}). police.uk files "
            "use one vintage each; was this file assembled from different releases?",
            path=entry.source_file,
        )
    if only11:
        vintage, basis = "2011", "codes"
    elif only21:
        vintage, basis = "2021", "codes"
    else:
        vintage = "2021" if entry.month >= _FIRST_2021_MONTH else "2011"
        basis = "month"
    return {
        "lsoa_vintage": vintage,
        "vintage_basis": basis,
        "lsoa_codes": len(codes),
        "only_2011": len(only11),
        "only_2021": len(only21),
        "unknown_codes": unknown,
    }


# ----------------------------------------------------------------------------- discovery


@dataclass
class _Entry:
    """One police.uk CSV: a loose file or a zip member."""

    kind: str
    month: dt.date
    force: str
    source_file: str
    container: Path
    member: str | None
    digest: str | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.month, self.kind, self.force, self.source_file)


@dataclass
class _Inputs:
    entries: list[_Entry]
    containers: list[tuple[str, Path]]
    notes: list[str]


def _classify(name: str, display: str, container: Path, member: str | None, inputs: _Inputs):
    base = name.rsplit("/", 1)[-1]
    m = _NAME_RE.match(base)
    if m is None:
        raise DataError(
            "file name does not match the police.uk pattern YYYY-MM-<force>-street.csv "
            "(or -outcomes.csv, -stop-and-search.csv); rename the file or remove it",
            path=display,
        )
    year, month = int(m["year"]), int(m["month"])
    if not 1 <= month <= 12:
        raise DataError(f"file name month {m['year']}-{m['month']} is not a month", path=display)
    kind = m["kind"].lower()
    if kind == "stop-and-search":
        inputs.notes.append(f"{display}: stop-and-search file ignored")
        return
    inputs.entries.append(
        _Entry(kind, dt.date(year, month, 1), m["force"].lower(), display, container, member)
    )


def _scan_zip(path: Path, display: str, inputs: _Inputs) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = sorted(zf.infolist(), key=lambda i: i.filename)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(
            f"not a readable zip archive ({exc}); the file may be truncated or corrupt, "
            "download it again",
            path=path,
        ) from None
    inputs.containers.append((display, path))
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        base = name.rsplit("/", 1)[-1]
        where = f"{display}:{name}"
        if name.startswith("__MACOSX/") or base.startswith("."):
            inputs.notes.append(f"{where}: skipped (hidden or macOS metadata file)")
        elif base.lower().endswith(".csv"):
            _classify(name, where, path, name, inputs)
        else:
            inputs.notes.append(f"{where}: skipped (not a CSV file)")


def _discover(sources) -> _Inputs:
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = list(sources)
    if not sources:
        raise DataError("no police.uk sources given; expected zips, folders or CSV files")
    inputs = _Inputs([], [], [])
    for src in sources:
        path = Path(src)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if not p.is_file():
                    continue
                rel = p.relative_to(path)
                display = f"{path.name}/{rel.as_posix()}"
                if any(part.startswith(".") for part in rel.parts):
                    inputs.notes.append(f"{display}: skipped (hidden file)")
                elif p.suffix.lower() == ".zip":
                    _scan_zip(p, display, inputs)
                elif p.suffix.lower() == ".csv":
                    inputs.containers.append((display, p))
                    _classify(p.name, display, p, None, inputs)
                else:
                    inputs.notes.append(f"{display}: skipped (not a CSV or zip file)")
        elif path.is_file():
            if path.suffix.lower() == ".zip":
                _scan_zip(path, path.name, inputs)
            elif path.suffix.lower() == ".csv":
                inputs.containers.append((path.name, path))
                _classify(path.name, path.name, path, None, inputs)
            else:
                raise DataError("expected a police.uk .zip, a .csv file or a folder", path=path)
        else:
            raise DataError("no such file or folder", path=path)
    names = [d for d, _ in inputs.containers]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"two inputs have the same name {twice}; give distinct files")
    inputs.entries.sort(key=lambda e: e.sort_key)
    return inputs


# ----------------------------------------------------------------------------- hashing


def _hash_inputs(inputs: _Inputs, lookup_digest: str) -> str:
    """The cache key; also fills in the BLAKE3 digest of each loose CSV."""
    paths = [p for _, p in inputs.containers]
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:  # blake3 releases the GIL
        digests = list(pool.map(blake3_file, paths))
    by_path = dict(zip(paths, digests, strict=True))
    for e in inputs.entries:
        if e.member is None:
            e.digest = by_path[e.container]
    payload = {
        "version": CACHE_VERSION,
        "lookup": lookup_digest,
        "inputs": sorted([d, h] for (d, _), h in zip(inputs.containers, digests, strict=True)),
    }
    return blake3_hex(json.dumps(payload, sort_keys=True).encode())


# ----------------------------------------------------------------------------- parsing


def _read_bytes(entry: _Entry, zips: dict) -> bytes:
    if entry.member is None:
        return entry.container.read_bytes()
    zf = zips.get(entry.container)
    if zf is None:
        zf = zips[entry.container] = zipfile.ZipFile(entry.container)
    try:
        return zf.read(entry.member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise DataError(
            f"cannot extract from the zip ({exc}); the archive is corrupt, download it again",
            path=entry.source_file,
        ) from None


# ----------------------------------------------------------------------------- validation


@dataclass
class _FileResult:
    kept: pl.DataFrame | None  # None when the kept rows are in ``part``
    rejected: pl.DataFrame
    info: dict
    tally: tuple | None = None  # street files: kept rows by category and LSOA (_tally)
    hashes: tuple | None = None  # street files: 64-bit hashes and rows of kept Crime IDs
    part: Path | None = None  # street files, with a file store: the kept rows' parquet
    stored: bool = False  # whether the result is in the file store


@dataclass(frozen=True)
class _Checks:
    """Row-check expressions of one file (see the module docstring for the rules).

    ``sound`` is the cheap test every row gets: the right number of fields, the file's own
    month and valid coordinates. ``malformed`` and ``detail`` tell the failures apart and
    are only evaluated on the few rows that are not sound. The reason of a row depends on
    ``sound == ~malformed & month_ok``: a row that is not sound is malformed or, if not,
    outside the file's month.
    """

    month_ok: pl.Expr
    sound: pl.Expr
    malformed: pl.Expr
    detail: pl.Expr


def _row_checks(file_month: str, ncols: int, n_fields) -> _Checks:
    month_ok = (pl.col("Month") == file_month).fill_null(False)
    month_valid = pl.col("Month").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$").fill_null(False)
    bad_lon = pl.col("Longitude").is_not_null() & (
        pl.col("longitude").is_null()
        | ~pl.col("longitude").is_finite()
        | (pl.col("longitude").abs() > 180)
    )
    bad_lat = pl.col("Latitude").is_not_null() & (
        pl.col("latitude").is_null()
        | ~pl.col("latitude").is_finite()
        | (pl.col("latitude").abs() > 90)
    )
    fields = pl.lit(ncols) if n_fields is None else pl.col("n_fields")
    bad_fields = fields != ncols
    detail = (
        pl.when(bad_fields)
        .then(pl.format(f"expected {ncols} fields, found {{}}", fields))
        .when(~month_valid)
        .then(pl.format("Month '{}' is not YYYY-MM", pl.col("Month").fill_null("")))
        .when(bad_lon)
        .then(pl.format("Longitude '{}' is not a valid coordinate", pl.col("Longitude")))
        .otherwise(pl.format("Latitude '{}' is not a valid coordinate", pl.col("Latitude")))
    )
    return _Checks(
        month_ok=month_ok,
        sound=~bad_fields & month_ok & ~bad_lon & ~bad_lat,
        malformed=bad_fields | (~month_ok & ~month_valid) | bad_lon | bad_lat,
        detail=detail,
    )


def _with_details(bad: pl.DataFrame, malformed_detail: pl.Expr, file_month: str, other: str):
    detail = (
        pl.when(pl.col("reason") == "malformed")
        .then(malformed_detail)
        .when(pl.col("reason") == "month_outside_file")
        .then(pl.format("Month {} in a file for {}", pl.col("Month"), pl.lit(file_month)))
    )
    if "Crime type" in bad.columns:
        detail = detail.when(pl.col("reason") == "unknown_category").then(
            pl.format(
                "Crime type '{}' is not in the harmonisation table",
                pl.col("Crime type").fill_null(""),
            )
        )
    return bad.with_columns(detail=detail.otherwise(pl.lit(other)))


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy owning its text: a filtered text column keeps its parent's buffers (the
    whole file) alive, and ``shrink_to_fit`` does not release them."""
    return pl.from_arrow(frame.to_arrow())


def _raw_rejected(frame: pl.DataFrame, source: str, kind: str) -> pl.DataFrame:
    cols = [
        pl.lit(source).alias("source_file"),
        pl.lit(kind).alias("kind"),
        pl.col("row").cast(pl.UInt32),
        pl.col("reason").cast(pl.String),
        pl.col("detail").cast(pl.String),
    ]
    cols += [
        (pl.col(c) if c in frame.columns else pl.lit(None, dtype=pl.String)).alias(c)
        for c in _RAW_COLUMNS
    ]
    return frame.select(cols)


def _harmonised(names: pl.Series) -> pl.Series:
    """``Crime type`` as the current category (null when blank or unknown).

    Current names cast straight to the category enum; only a file with other names
    (historic or differently spelled) goes through the harmonisation table.
    """
    fast = names.cast(_CATEGORY_DTYPE, strict=False)
    if fast.null_count() == names.null_count():
        return fast
    mapping = category_mapping()
    cat_map = {n: mapping.get(normalise_name(n)) for n in names.unique().drop_nulls()}
    return names.replace_strict(cat_map, default=None, return_dtype=_CATEGORY_DTYPE)


def _process_street(data, entry: _Entry, lookup: _Lookup, *, path=None) -> _FileResult:
    """Check one street file's rows; return its kept rows, rejected rows and facts.

    Every row gets the cheap checks; reasons and details are worked out only for the rows
    that fail. Repeated Crime IDs are found in two steps: rows whose 64-bit hash of the
    ID occurs more than once are candidates (a superset of the real repeats), and the
    candidates are then compared on the IDs themselves, so a hash collision cannot make a
    false repeat.
    """
    source = entry.source_file
    offset = check_header(data, STREET_COLUMNS, source)
    raw, n_fields = parse_body(data, offset, STREET_COLUMNS, source, path)
    if n_fields is not None:
        raw = raw.with_columns(n_fields)
    file_month = entry.month.strftime("%Y-%m")
    checks = _row_checks(file_month, len(STREET_COLUMNS), n_fields)
    has_id = pl.col("Crime ID").is_not_null()
    frame = raw.with_columns(
        category=_harmonised(raw["Crime type"]),
        longitude=pl.col("Longitude").cast(pl.Float64, strict=False),
        latitude=pl.col("Latitude").cast(pl.Float64, strict=False),
        lsoa=pl.col("LSOA code").cast(pl.Categorical),
        h1=pl.col("Crime ID").hash(seed=0),
    ).with_columns(
        passed=checks.sound & pl.col("category").is_not_null() & pl.col("lsoa").is_not_null(),
        candidate=has_id & pl.col("h1").is_duplicated(),
    )
    # Repeats, confirmed on the Crime IDs of the few candidate rows.
    group = frame.filter("candidate").select("Crime ID", "row", "passed")
    repeats = int((~group["Crime ID"].is_first_distinct()).sum())
    valid = group.filter("passed")
    first = valid["Crime ID"].is_first_distinct()
    dups = valid.filter(~first).join(
        valid.filter(first).select("Crime ID", first_row="row"), on="Crime ID"
    )
    keep = pl.col("passed")
    if dups.height:
        keep = keep & ~pl.col("row").is_in(dups["row"].implode())
    kept = frame.filter(keep).select(
        month=pl.lit(entry.month, dtype=pl.Date).cast(pl.Datetime("us")),
        category=pl.col("category"),
        lsoa=pl.col("lsoa"),
        lsoa_vintage=pl.lit(None, dtype=_INCIDENT_SCHEMA["lsoa_vintage"]),
        crime_id=pl.col("Crime ID"),
        outcome=pl.col("Last outcome category").cast(pl.Categorical),
        longitude=pl.col("longitude"),
        latitude=pl.col("latitude"),
        location=pl.col("Location"),
        falls_within=pl.col("Falls within").cast(pl.Categorical),
        force=pl.lit(entry.force).cast(pl.Categorical),
        source_file=pl.lit(source).cast(pl.Categorical),
        source_row=pl.col("row").cast(pl.UInt32),
        h1=pl.col("h1"),
    )
    bad = frame.filter(~keep).with_columns(
        reason=pl.when(checks.malformed)
        .then(pl.lit("malformed"))
        .when(~checks.month_ok)
        .then(pl.lit("month_outside_file"))
        .when(pl.col("category").is_null())
        .then(pl.lit("unknown_category"))
        .when(pl.col("LSOA code").is_null())
        .then(pl.lit("no_lsoa"))
        .otherwise(pl.lit("duplicate_crime_id"))
    )
    present = kept["lsoa"].unique()
    # the file's distinct codes, rejected rows' included
    codes = pl.concat([present, bad["lsoa"].drop_nulls()]).unique()
    info = _vintage(codes, lookup, entry)
    info["crime_id_repeats"] = repeats
    vintage = pl.lit(info["lsoa_vintage"], dtype=_INCIDENT_SCHEMA["lsoa_vintage"])
    if bad.height:
        bad = _with_details(bad, checks.detail, file_month, "blank LSOA code")
    if dups.height:
        bad = bad.join(
            dups.select("row", "first_row"), on="row", how="left", maintain_order="left"
        ).with_columns(
            detail=pl.when(pl.col("reason") == "duplicate_crime_id")
            .then(pl.format("Crime ID first kept at row {} of this file", pl.col("first_row")))
            .otherwise(pl.col("detail"))
        )
    rejected = _raw_rejected(
        bad if bad.height else bad.with_columns(detail=pl.lit("")), source, "street"
    )
    rejected = _compact(rejected) if rejected.height else rejected
    info.update(rows_read=raw.height, rows_kept=kept.height, rows_rejected=rejected.height)
    return _FileResult(
        kept.drop("h1").with_columns(lsoa_vintage=vintage),
        rejected,
        info,
        tally=_tally(kept, present),
        hashes=_crime_id_hashes(kept),
    )


def _tally_arrays(tally: tuple) -> tuple[dict[str, np.ndarray], list[str]]:
    """A :func:`_tally` as arrays and a list of LSOA codes, to store. The categorical ids
    it is keyed by belong to this process, so LSOAs are stored as positions in the file's
    own list of codes (kept as text, exactly: numpy's fixed-width strings would drop a
    trailing NUL)."""
    keys, counts, base, ids, codes = tally
    order = np.argsort(ids)
    local = order[np.searchsorted(ids[order], keys % base)]
    arrays = {
        "category": (keys // base).astype(np.uint8),
        "local": local.astype(np.uint32),
        "count": counts.astype(np.int64),
    }
    return arrays, codes.to_list()


def _tally_from_arrays(arrays, codes: list[str]) -> tuple:
    """The :func:`_tally` of stored arrays, keyed by this process's categorical ids."""
    codes = pl.Series(codes, dtype=pl.String)
    ids = codes.cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    base = int(ids.max()) + 1 if len(ids) else 1
    keys = arrays["category"].astype(np.int64) * base + ids[arrays["local"]]
    return keys, arrays["count"], base, ids, codes


def _crime_id_hashes(kept: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit hashes (``h1``) and rows of the kept rows' Crime IDs."""
    ids = kept.filter(pl.col("crime_id").is_not_null())
    return ids["h1"].to_numpy(), ids["source_row"].to_numpy()


def _tally(kept: pl.DataFrame, present: pl.Series | None = None) -> tuple:
    """Kept rows counted by category and LSOA: ``(keys, counts, base, ids, codes)``.

    ``key = category code * base + LSOA id``, where the ids are polars' global categorical
    ids and ``ids``/``codes`` name the file's LSOAs (``present``: the distinct LSOAs of
    ``kept``, when already known). Tallies of the files of one read combine, because the
    read's lookup keeps the category mapping alive (see :class:`_Lookup`).
    """
    cat = kept["category"].to_physical().to_numpy().astype(np.int64)
    lsoa = kept["lsoa"].to_physical().to_numpy().astype(np.int64)
    base = int(lsoa.max()) + 1 if len(lsoa) else 1
    key = cat * base + lsoa
    if len(key) < base:  # few rows: sort them rather than count into 14 x base bins
        keys, counts = np.unique(key, return_counts=True)
    else:
        tally = np.bincount(key, minlength=len(POLICE_UK_CATEGORIES) * base)
        keys = np.flatnonzero(tally)
        counts = tally[keys]
    if present is None:
        present = kept["lsoa"].unique()
    return keys, counts, base, present.to_physical().to_numpy(), present.cast(pl.String)


def _process_outcomes(data, entry: _Entry, lookup: _Lookup, *, path=None) -> _FileResult:
    source = entry.source_file
    offset = check_header(data, OUTCOME_COLUMNS, source)
    raw, n_fields = parse_body(data, offset, OUTCOME_COLUMNS, source, path)
    if n_fields is not None:
        raw = raw.with_columns(n_fields)
    file_month = entry.month.strftime("%Y-%m")
    checks = _row_checks(file_month, len(OUTCOME_COLUMNS), n_fields)
    reason = (
        pl.when(checks.malformed)
        .then(pl.lit("malformed"))
        .when(~checks.month_ok)
        .then(pl.lit("month_outside_file"))
        .when(pl.col("Crime ID").is_null())
        .then(pl.lit("no_crime_id"))
    )
    frame = raw.with_columns(
        longitude=pl.col("Longitude").cast(pl.Float64, strict=False),
        latitude=pl.col("Latitude").cast(pl.Float64, strict=False),
    ).with_columns(reason=reason)
    info = _vintage(frame["LSOA code"].drop_nulls().unique(), lookup, entry)
    ids = frame["Crime ID"].drop_nulls()
    info["crime_id_repeats"] = len(ids) - ids.n_unique()
    bad = frame.filter(pl.col("reason").is_not_null())
    bad = _with_details(bad, checks.detail, file_month, "blank Crime ID")
    kept = frame.filter(pl.col("reason").is_null()).select(
        crime_id=pl.col("Crime ID"),
        month=pl.lit(entry.month, dtype=pl.Date).cast(pl.Datetime("us")),
        outcome=pl.col("Outcome type"),
        lsoa=pl.col("LSOA code"),
        falls_within=pl.col("Falls within"),
        source_file=pl.lit(source),
        source_row=pl.col("row").cast(pl.UInt32),
    )
    rejected = _compact(_raw_rejected(bad, source, "outcomes"))
    info.update(rows_read=raw.height, rows_kept=kept.height, rows_rejected=rejected.height)
    return _FileResult(kept, rejected, info)


# ----------------------------------------------------------------------------- the read


class _Sink:
    """Each file's kept rows (in memory, or written as parquet parts) and their tallies."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.frames: dict[int, pl.DataFrame] = {}
        self.tallies: dict[int, tuple] = {}
        if folder is not None:
            folder.mkdir(parents=True)

    def _path(self, idx: int) -> Path:
        return self.folder / f"part-{idx:05d}.parquet"

    def put(self, idx: int, month: dt.date, frame: pl.DataFrame, tally=None) -> None:
        self.tallies[idx] = (month, _tally(frame) if tally is None else tally)
        if self.folder is None:
            self.frames[idx] = frame
        else:
            # unlink first: the part may be a hard link into the file store (put_part)
            self._path(idx).unlink(missing_ok=True)
            _write_part(frame, self._path(idx))

    def put_part(self, idx: int, month: dt.date, part: Path, tally: tuple) -> None:
        """Take a file's kept rows from the file store: hard-linked, not copied."""
        self.tallies[idx] = (month, tally)
        try:
            os.link(part, self._path(idx))
        except OSError:  # another file system, or no hard links: copy
            shutil.copyfile(part, self._path(idx))

    def get(self, idx: int) -> pl.DataFrame:
        return self.frames[idx] if self.folder is None else pl.read_parquet(self._path(idx))

    def counts(self) -> pl.DataFrame:
        """Kept rows counted by month, category and LSOA, sorted (LSOA codes as text).

        The per-file tallies are added up with ``numpy.bincount`` on integer keys
        (category code x LSOA rank), month by month: much faster at national scale than
        a group-by and a sort on text.
        """
        tallies = list(self.tallies.values())
        if not tallies:
            return _empty(_COUNTS_SCHEMA)
        names: dict[int, str] = {}
        for _, (*_, ids, texts) in tallies:
            names.update(zip(ids.tolist(), texts.to_list(), strict=True))
        codes = sorted(names, key=names.__getitem__)
        rank = np.zeros(max(codes, default=0) + 1, dtype=np.int64)
        rank[codes] = np.arange(len(codes))
        texts = pl.Series([names[c] for c in codes], dtype=pl.String)
        n_lsoa, n_cat = max(len(codes), 1), len(POLICE_UK_CATEGORIES)
        categories = pl.Series(POLICE_UK_CATEGORIES, dtype=_CATEGORY_DTYPE)
        out = [_empty(_COUNTS_SCHEMA)]
        for month in sorted({m for m, _ in tallies}):
            keys, weights = [], []
            for m, (key, count, base, _, _) in tallies:
                if m == month:
                    keys.append((key // base) * n_lsoa + rank[key % base])
                    weights.append(count)
            tally = np.bincount(
                np.concatenate(keys), np.concatenate(weights), minlength=n_cat * n_lsoa
            )
            cell = np.flatnonzero(tally)
            out.append(
                pl.DataFrame(
                    {
                        "category": categories.gather(cell // n_lsoa),
                        "lsoa": texts.gather(cell % n_lsoa),
                        "count": tally[cell].astype(np.int64),
                    }
                )
                .with_columns(month=pl.lit(month, dtype=pl.Date))
                .select(list(_COUNTS_SCHEMA))
                .cast(_COUNTS_SCHEMA)
            )
        return pl.concat(out)


def _empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _file_info(entry: _Entry, result: _FileResult, digest: str, size: int) -> dict:
    i = result.info
    return {
        "source_file": entry.source_file,
        "container": str(entry.container),
        "member": entry.member,
        "kind": entry.kind,
        "month": entry.month,
        "force": entry.force,
        "rows_read": i["rows_read"],
        "rows_kept": i["rows_kept"],
        "rows_rejected": i["rows_rejected"],
        "crime_id_repeats": i["crime_id_repeats"],
        "blake3": digest,
        "bytes": size,
        **{
            k: i[k]
            for k in (
                "lsoa_vintage",
                "vintage_basis",
                "lsoa_codes",
                "only_2011",
                "only_2021",
                "unknown_codes",
            )
        },
    }


def _write_part(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path, compression="uncompressed", statistics=False)


class _FileStore:
    """Each file's checked rows, kept for the next read (``cache_dir/policeuk_files/``).

    An entry is keyed by the file's name, kind, month and force, its BLAKE3 digest, the
    lookup and the parsing rules, and holds what one file gives on its own: the kept rows
    (before repeats across files are removed, which depends on the other files), the
    rejected rows and the file's facts. A read whose inputs are not all cached together
    (a new month's file or zip given next to the earlier ones, one file replaced) parses
    only the files it has not seen; the rest come from here, their kept rows hard-linked
    into the new read's cache. The name includes the folder or zip a file was given in
    (its rows record it), so a whole new download under a new zip name is parsed afresh.
    """

    #: Version of the store's layout. Every key includes it, with ``CACHE_VERSION`` (the
    #: parsing rules) and the polars version (its hash of the Crime IDs).
    VERSION = "files-1"

    def __init__(self, folder: Path, lookup_digest: str):
        self.folder = folder
        self.salt = [self.VERSION, CACHE_VERSION, pl.__version__, lookup_digest]
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, entry: _Entry, digest: str) -> Path:
        key = [*self.salt, entry.kind, entry.source_file, str(entry.month), entry.force, digest]
        return self.folder / blake3_hex(json.dumps(key).encode())[:32]

    def load(self, entry: _Entry, digest: str) -> _FileResult | None:
        """The stored result, or None when there is none (or it cannot be read: the file
        is then parsed again and the entry replaced)."""
        folder = self.path(entry, digest)
        if not (folder / "info.json").exists():
            return None
        try:
            return self._load(entry, folder)
        except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def _load(self, entry: _Entry, folder: Path) -> _FileResult:
        info = json.loads((folder / "info.json").read_text())
        rejected = pl.read_ipc(folder / "rejected.arrow")
        if entry.kind != "street":
            kept = pl.read_parquet(folder / "kept.parquet")
            return _FileResult(kept, rejected, info, stored=True)
        codes = json.loads((folder / "codes.json").read_text())
        with np.load(folder / "arrays.npz") as npz:
            hashes = (npz["h1"], npz["rows"])
            tally = _tally_from_arrays(npz, codes)
        part = folder / "kept.parquet"
        return _FileResult(None, rejected, info, tally, hashes, part, stored=True)

    def save(self, entry: _Entry, digest: str, result: _FileResult) -> _FileResult:
        """Store ``result``; street rows then live in the store (``part``), not in memory."""
        final = self.path(entry, digest)
        tmp = final.with_name(f".tmp-{final.name}-{uuid.uuid4().hex[:8]}")
        try:
            tmp.mkdir()
            _write_part(result.kept, tmp / "kept.parquet")
            result.rejected.write_ipc(tmp / "rejected.arrow")
            if entry.kind == "street":
                h1, rows = result.hashes
                arrays, codes = _tally_arrays(result.tally)
                np.savez(tmp / "arrays.npz", h1=h1, rows=rows, **arrays)
                (tmp / "codes.json").write_text(json.dumps(codes))
            (tmp / "info.json").write_text(json.dumps(result.info))  # last: marks it whole
            try:
                os.replace(tmp, final)
            except OSError:
                if not (final / "info.json").exists():
                    raise
                # stored by another read meanwhile: theirs is the same
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if entry.kind != "street":
            return result
        part = final / "kept.parquet"
        return _FileResult(None, result.rejected, result.info, result.tally, result.hashes, part)


def _work(entry: _Entry, zips: dict, lookup: _Lookup, store: _FileStore | None = None):
    """Read, hash, parse and check one file (run in a worker thread).

    A loose file is mapped into memory rather than copied, and polars parses it from its
    path; a zip member is extracted to bytes. With a file ``store``, a file read before is
    taken from it (a loose file, already hashed, is not even opened), and a new one is
    stored.
    """
    if store is not None and entry.digest is not None:
        result = store.load(entry, entry.digest)
        if result is not None:
            return entry.digest, entry.container.stat().st_size, result
    process = _process_street if entry.kind == "street" else _process_outcomes
    if entry.member is not None or entry.container.stat().st_size == 0:
        data = _read_bytes(entry, zips)
        digest = entry.digest or blake3_hex(data)
        result = None if store is None else store.load(entry, digest)
        if result is None:
            result = process(data, entry, lookup)
        size = len(data)
    else:
        with (
            open(entry.container, "rb") as fh,
            mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            digest = entry.digest or blake3_hex(data)
            result = process(data, entry, lookup, path=entry.container)
            size = len(data)
    if store is not None and not result.stored:
        result = store.save(entry, digest, result)
    return digest, size, result


def _results(entries: list[_Entry], zips: dict, lookup: _Lookup, store: _FileStore | None):
    """Yield ``(entry, digest, bytes, result)`` in order, ``_WORKERS`` files in parallel.

    polars and numpy release the GIL, so the worker threads keep the cores busy while the
    caller writes the previous file's parquet; at most ``_WORKERS + 1`` files are in flight,
    which bounds the memory used.
    """
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        pending: deque = deque()
        todo = iter(entries)
        try:
            for entry in todo:
                pending.append((entry, pool.submit(_work, entry, zips, lookup, store)))
                if len(pending) > _WORKERS:
                    entry, fut = pending.popleft()
                    yield (entry, *fut.result())
            while pending:
                entry, fut = pending.popleft()
                yield (entry, *fut.result())
        finally:
            for _, fut in pending:
                fut.cancel()


def _ingest(
    inputs: _Inputs, lookup: _Lookup, stage: Path | None, store: _FileStore | None = None
) -> dict:
    """Parse every file (or take it from the file ``store``); return the tables (the
    incidents in a sink of parts)."""
    sink = _Sink(None if stage is None else stage / "incidents")
    infos: list[dict] = []
    rejected: list[pl.DataFrame] = []
    outcomes: list[pl.DataFrame] = []
    hashes: list[tuple[np.ndarray, np.ndarray]] = []
    seen: dict[tuple, tuple[str, str]] = {}
    street: list[_Entry] = []
    zips = {}
    results = None
    try:
        for e in inputs.entries:  # opened here: workers share them (reads are locked)
            if e.member is not None and e.container not in zips:
                zips[e.container] = zipfile.ZipFile(e.container)
        results = _results(inputs.entries, zips, lookup, store)
        for entry, digest, size, result in results:
            key = (entry.kind, entry.month, entry.force)
            if key in seen:
                other, other_digest = seen[key]
                if other_digest == digest:
                    inputs.notes.append(f"{entry.source_file}: identical to {other}; read once")
                    continue
                raise DataError(
                    f"{entry.kind} file for {entry.force} {entry.month:%Y-%m} given twice "
                    f"with different contents (also {other}); keep one of them",
                    path=entry.source_file,
                )
            seen[key] = (entry.source_file, digest)
            if entry.kind == "street":
                idx = len(street)
                street.append(entry)
                if result.part is not None:
                    sink.put_part(idx, entry.month, result.part, result.tally)
                else:
                    sink.put(idx, entry.month, result.kept, result.tally)
                hashes.append(result.hashes)
            else:
                outcomes.append(result.kept)
            rejected.append(result.rejected)
            if result.info["rows_read"] == 0:
                inputs.notes.append(f"{entry.source_file}: header only, no rows")
            if result.info["unknown_codes"]:
                inputs.notes.append(
                    f"{entry.source_file}: {result.info['unknown_codes']} LSOA codes are in "
                    "neither the 2011 nor the 2021 list (kept as they are)"
                )
            infos.append(_file_info(entry, result, digest, size))
        if not street:
            raise DataError(
                "no police.uk street files (YYYY-MM-<force>-street.csv) among "
                + (", ".join(d for d, _ in inputs.containers) or "the sources")
            )
        # Tally the counts while looking for Crime IDs repeated across files (numpy
        # releases the GIL); the rare repeats change a few files, so count those again.
        with ThreadPoolExecutor(max_workers=1) as pool:
            counting = pool.submit(sink.counts)
            repeated = _repeated_hashes(hashes)
            counts = counting.result()
        if len(repeated):
            rejected.append(_reject_cross_file(repeated, hashes, street, sink, zips, infos))
            counts = sink.counts()
    finally:
        if results is not None:
            results.close()  # on an error: cancel queued files, wait for running ones
        for zf in zips.values():
            zf.close()
    files = pl.DataFrame(infos, schema_overrides={"member": pl.String}).with_columns(
        pl.col("month").cast(pl.Datetime("us"))
    )
    rejected_df = pl.concat(
        [_empty(_REJECTED_SCHEMA), *[r.cast(_REJECTED_SCHEMA) for r in rejected]]
    )
    return {
        "sink": sink,
        "n_parts": len(street),
        "files": files,
        "rejected": rejected_df,
        "outcomes": _latest_outcomes(outcomes),
        "counts": counts,
    }


def _repeated_hashes(hashes) -> np.ndarray:
    """The 64-bit Crime ID hashes kept in more than one file.

    ``hashes[i]`` holds the hashes and rows of file ``i``'s kept Crime IDs, each distinct
    within its file, so a hash seen twice is in two files (or two IDs share a hash).
    """
    if not hashes:
        return np.empty(0, dtype=np.uint64)
    every = np.sort(np.concatenate([h for h, _ in hashes]))
    return np.unique(every[1:][every[1:] == every[:-1]])


def _reject_cross_file(repeated, hashes, street, sink, zips, infos) -> pl.DataFrame:
    """Remove kept rows repeated from an earlier file; return them as rejected rows.

    ``repeated`` holds the hashes kept in more than one file (:func:`_repeated_hashes`);
    rows with one of them are candidates, which are confirmed on the Crime IDs themselves;
    the first occurrence (file order) is kept.
    """
    cand = []
    for i, (h, rows) in enumerate(hashes):
        hit = np.isin(h, repeated)
        if hit.any():
            cand.append(
                sink.get(i)
                .filter(pl.col("source_row").is_in(pl.Series(rows[hit]).implode()))
                .select(file=pl.lit(i, dtype=pl.UInt32), row="source_row", crime_id="crime_id")
            )
    ids = pl.concat(cand).sort("file", "row")
    first = ids["crime_id"].is_first_distinct()
    cross = (
        ids.filter(~first)
        .join(
            ids.filter(first).select("crime_id", first_file="file", first_row="row"),
            on="crime_id",
        )
        .select("file", "row", "first_file", "first_row")
    )
    out = [_empty(_REJECTED_SCHEMA)]
    by_name = {i["source_file"]: i for i in infos}
    for (idx,), rows in cross.group_by(["file"], maintain_order=True):
        entry = street[idx]
        kept = sink.get(idx).filter(~pl.col("source_row").is_in(rows["row"].implode()))
        sink.put(idx, entry.month, kept)
        # exact raw fields: parse the file again (cross-file repeats are rare)
        data = _read_bytes(entry, zips)
        raw, _ = parse_body(
            data,
            check_header(data, STREET_COLUMNS, entry.source_file),
            STREET_COLUMNS,
            entry.source_file,
        )
        raw = raw.join(rows, on="row", how="inner").sort("row")
        first_names = pl.Series([street[i].source_file for i in raw["first_file"]])
        raw = raw.with_columns(
            reason=pl.lit("duplicate_crime_id"),
            detail=pl.format(
                "Crime ID first kept at row {} of {}", pl.col("first_row"), pl.lit(first_names)
            ),
        )
        out.append(_raw_rejected(raw, entry.source_file, "street").cast(_REJECTED_SCHEMA))
        info = by_name[entry.source_file]
        info["rows_kept"] -= len(rows)
        info["rows_rejected"] += len(rows)
    return pl.concat(out)


def _latest_outcomes(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return _empty(_OUTCOMES_SCHEMA)
    allo = pl.concat(frames)  # in month, file, row order
    return (
        allo.group_by("crime_id", maintain_order=True)
        .agg(pl.all().last(), n_outcomes=pl.len().cast(pl.UInt32))
        .select(list(_OUTCOMES_SCHEMA))
        .cast(_OUTCOMES_SCHEMA)
    )


# ----------------------------------------------------------------------------- result


class PoliceUkRead:
    """The result of :func:`read_policeuk`.

    Attributes
    ----------
    files : pandas.DataFrame
        One row per file read: ``source_file``, ``container``, ``member``, ``kind``
        (street/outcomes), ``month`` and ``force`` (from the file name), ``rows_read``,
        ``rows_kept``, ``rows_rejected``, ``crime_id_repeats``, ``blake3`` (of the CSV's
        bytes), ``bytes``, ``lsoa_vintage``, ``vintage_basis`` (``codes`` or ``month``),
        ``lsoa_codes`` (distinct), ``only_2011``, ``only_2021``, ``unknown_codes``.
    rejected : pandas.DataFrame
        Built on first use. One row per rejected row: ``source_file``, ``kind``, ``row``
        (1-based, header excluded), ``reason``, ``detail`` and the raw fields (police.uk
        column names).
    outcomes : pandas.DataFrame
        Built on first use. From outcomes files, the latest outcome per Crime ID:
        ``crime_id``, ``month``, ``outcome``, ``lsoa``, ``falls_within``, ``source_file``,
        ``source_row``, ``n_outcomes`` (outcome rows seen for the crime). Empty without
        outcomes files.
    notes : tuple of str
        Files skipped or ignored, header-only files, unknown LSOA codes.
    cache_key : str
        BLAKE3 digest identifying the inputs and the parsing rules.
    from_cache : bool
        Whether the tables were read from the cache instead of the CSV files.
    cache_path : pathlib.Path or None
        The cache folder holding the parquet tables, when a ``cache_dir`` was given.
    """

    def __init__(
        self,
        *,
        files: pl.DataFrame,
        rejected: pl.DataFrame,
        outcomes: pl.DataFrame,
        notes: tuple[str, ...],
        cache_key: str,
        from_cache: bool,
        cache_path: Path | None,
        frame: pl.DataFrame | None = None,
        counts: pl.DataFrame | None = None,
    ):
        self.files = files.to_pandas()
        self._tables = {"rejected": rejected, "outcomes": outcomes}
        self.notes = tuple(notes)
        self.cache_key = cache_key
        self.from_cache = from_cache
        self.cache_path = cache_path
        self._frame = frame
        self._counts = counts
        self._incidents: pd.DataFrame | None = None

    @functools.cached_property
    def rejected(self) -> pd.DataFrame:
        """The rejected rows (see the class docstring), built on first use."""
        return self._tables["rejected"].to_pandas()

    @functools.cached_property
    def outcomes(self) -> pd.DataFrame:
        """The latest outcome per Crime ID (see the class docstring), built on first use."""
        return self._tables["outcomes"].to_pandas()

    def _street(self) -> pd.DataFrame:
        return self.files[self.files["kind"] == "street"]

    @property
    def rows_read(self) -> int:
        """Rows read from street files."""
        return int(self._street()["rows_read"].sum())

    @property
    def rows_kept(self) -> int:
        """Rows kept (the rows of ``incidents``)."""
        return int(self._street()["rows_kept"].sum())

    @property
    def rows_rejected(self) -> int:
        """Street rows rejected (``rejected`` rows with ``kind == "street"``)."""
        return int(self._street()["rows_rejected"].sum())

    def lazy(self) -> pl.LazyFrame:
        """The incidents as a polars LazyFrame (scanning the parquet cache if there is one)."""
        if self._frame is not None:
            return self._frame.lazy()
        return pl.scan_parquet(self.cache_path / "incidents" / "*.parquet")

    @property
    def incidents(self) -> pd.DataFrame:
        """The kept rows, one per incident (built on first use).

        Columns: ``month`` (datetime64, first of month), ``category`` (categorical,
        harmonised), ``lsoa`` (the code as in the file; never missing, as rows without one
        are rejected), ``lsoa_vintage`` ("2011"/"2021", per file), ``crime_id`` (missing
        for ASB), ``outcome`` (last outcome category), ``longitude``, ``latitude``,
        ``location``, ``falls_within``, ``force`` (from the file name), ``source_file``,
        ``source_row``. ``category``, ``lsoa_vintage``, ``outcome``, ``falls_within``,
        ``force`` and ``source_file`` are categorical; the other text columns are ``str``.
        """
        if self._incidents is None:
            frame = self.lazy().with_columns(pl.col("lsoa").cast(pl.String)).collect()
            self._incidents = frame.to_pandas()
        return self._incidents

    def monthly_counts(self, by: str | list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
        """Incidents counted by month, category and optional further columns.

        Computed by polars (by LSOA: stored at ingest) without building the pandas
        incidents table.

        Parameters
        ----------
        by : str or list of str, optional
            Further incidents columns to count by, e.g. ``"lsoa"`` or ``"force"``.

        Returns
        -------
        pandas.DataFrame
            Columns ``month``, ``category``, the ``by`` columns and ``count``, sorted; only
            combinations with at least one incident appear.
        """
        by = [by] if isinstance(by, str) else list(by or [])
        unknown = [k for k in by if k not in _INCIDENT_SCHEMA or k in ("month", "category")]
        if unknown:
            raise ValueError(
                f"cannot count by {unknown}; expected other columns of {list(_INCIDENT_SCHEMA)}"
            )
        keys = ["month", "category", *by]
        if by == ["lsoa"]:  # stored at ingest, sorted
            return self._stored_counts().to_pandas()
        if not by:
            counts = self._stored_counts().lazy().group_by(keys).agg(pl.col("count").sum())
        else:
            counts = self.lazy().group_by(keys).agg(count=pl.len().cast(pl.Int64))
        return counts.sort(keys).collect().to_pandas()

    def _stored_counts(self) -> pl.DataFrame:
        if self._counts is None:
            self._counts = pl.read_parquet(self.cache_path / "counts.parquet")
        return self._counts

    def __repr__(self) -> str:
        src = "cache" if self.from_cache else "CSV"
        return (
            f"<PoliceUkRead: {len(self._street())} street files, {self.rows_read:,} rows read, "
            f"{self.rows_kept:,} kept, {self.rows_rejected:,} rejected (from {src})>"
        )


def _check_invariant(files: pl.DataFrame, rejected: pl.DataFrame, kept_rows: int) -> None:
    """Rows read = kept + rejected, per file and in total (a failure is a bug)."""
    bad = files.filter(pl.col("rows_read") != pl.col("rows_kept") + pl.col("rows_rejected"))
    street = files.filter(pl.col("kind") == "street")
    n_rej = rejected.filter(pl.col("kind") == "street").height
    if (
        not bad.is_empty()
        or street["rows_rejected"].sum() != n_rej
        or street["rows_kept"].sum() != kept_rows
    ):  # pragma: no cover
        raise AssertionError("police.uk ingest: rows read != kept + rejected")


def read_policeuk(
    sources,
    *,
    cache_dir: str | os.PathLike | None = None,
    lookup: str | os.PathLike | None = None,
) -> PoliceUkRead:
    """Read police.uk street (and outcomes) files into validated, typed tables.

    Parameters
    ----------
    sources : path or list of paths
        police.uk download zips, folders (searched recursively; zips inside are read) or
        loose ``YYYY-MM-<force>-street.csv`` files, in any combination.
    cache_dir : path, optional
        Folder for the parquet cache (created when missing). Without it nothing is written
        and the tables are held in memory.
    lookup : path, optional
        ONS LSOA 2011/2021 lookup used to detect each file's LSOA vintage; default
        :func:`default_lookup_path`.

    Returns
    -------
    PoliceUkRead
        ``incidents``, ``rejected``, ``files``, ``outcomes``, ``notes`` and counts; see the
        module docstring for the rules.

    Raises
    ------
    csplib.errors.DataError
        For a file that cannot be used at all (corrupt zip, empty file, wrong header,
        invalid UTF-8, bad file name, mixed LSOA vintages), naming the file and row.

    Examples
    --------
    >>> import pathlib, shutil, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> folder = tmp / "2019-01"
    >>> folder.mkdir()
    >>> header = ",".join(STREET_COLUMNS)
    >>> crime = ("ab12,2019-01,Notts,Notts,-1.15,52.95,On or near X,E01013810,"
    ...          "Nottingham 039A,Burglary,Under investigation,")
    >>> asb = ",2019-01,Notts,Notts,,,No Location,,,Anti-social behaviour,,"
    >>> _ = (folder / "2019-01-nottinghamshire-street.csv").write_text(
    ...     "\\n".join([header, crime, asb]) + "\\n")
    >>> read = read_policeuk(tmp)
    >>> read.rows_read, read.rows_kept, read.rejected["reason"].tolist()
    (2, 1, ['no_lsoa'])
    >>> read.incidents[["category", "lsoa", "lsoa_vintage"]].iloc[0].tolist()
    ['Burglary', 'E01013810', '2011']
    >>> shutil.rmtree(tmp)
    """
    inputs = _discover(sources)
    lookup_ = _load_lookup(lookup)
    key = _hash_inputs(inputs, lookup_.digest)

    final = None
    if cache_dir is not None:
        cache_dir = Path(cache_dir)
        final = cache_dir / f"policeuk-{key[:32]}"
        if (final / "meta.json").exists():
            return _load_cached(final, key)
        cache_dir.mkdir(parents=True, exist_ok=True)

    stage = None if final is None else cache_dir / f".tmp-{key[:16]}-{uuid.uuid4().hex[:8]}"
    try:
        store = None if final is None else _FileStore(cache_dir / "policeuk_files", lookup_.digest)
        tables = _ingest(inputs, lookup_, stage, store)
        sink: _Sink = tables["sink"]
        frame = None
        if stage is None:
            parts = [sink.frames[i] for i in range(tables["n_parts"])]
            frame = pl.concat([_empty(_INCIDENT_SCHEMA), *parts])
            kept_rows = frame.height
        else:
            scan = pl.scan_parquet(stage / "incidents" / "*.parquet")
            kept_rows = scan.select(pl.len()).collect().item()
        _check_invariant(tables["files"], tables["rejected"], kept_rows)
        notes = tuple(inputs.notes)
        if stage is not None:
            for name in ("files", "rejected", "outcomes", "counts"):
                tables[name].write_parquet(stage / f"{name}.parquet")
            meta = {"version": CACHE_VERSION, "key": key, "notes": list(notes)}
            (stage / "meta.json").write_text(json.dumps(meta, indent=1))
            try:
                os.replace(stage, final)
            except OSError:  # another process cached the same inputs first: use theirs
                shutil.rmtree(stage, ignore_errors=True)
            stage = None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return PoliceUkRead(
        files=tables["files"],
        rejected=tables["rejected"],
        outcomes=tables["outcomes"],
        notes=notes,
        cache_key=key,
        from_cache=False,
        cache_path=final,
        frame=frame,
        counts=tables["counts"],
    )


def _load_cached(folder: Path, key: str) -> PoliceUkRead:
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("key") != key or meta.get("version") != CACHE_VERSION:  # pragma: no cover
        raise DataError("cache folder does not match its inputs; delete it", path=folder)
    return PoliceUkRead(
        files=pl.read_parquet(folder / "files.parquet"),
        rejected=pl.read_parquet(folder / "rejected.parquet"),
        outcomes=pl.read_parquet(folder / "outcomes.parquet"),
        notes=tuple(meta["notes"]),
        cache_key=key,
        from_cache=True,
        cache_path=folder,
    )
