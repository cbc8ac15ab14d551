"""Read police.uk street-level crime downloads into a validated, typed incidents table.

A police.uk custom download is a zip of ``YYYY-MM/YYYY-MM-<force>-street.csv`` files, one per
month and force. :func:`read_policeuk` takes any number of such zips, folders (searched
recursively, zips inside them included) or loose CSV files, and returns a
:class:`PoliceUkRead`. This module holds the reader and its result and states the rules;
their parts live in sibling modules:

* :mod:`csplib.ingest.policeuk_sources`: finding the files, and the cache key;
* :mod:`csplib.ingest.policeuk_rows`: checking one file's rows (with
  :mod:`csplib.ingest._csvparse`, the exact CSV parse);
* :mod:`csplib.ingest.policeuk_duplicates`: repeated Crime IDs, within and across files;
* :mod:`csplib.ingest.policeuk_vintage`: each file's LSOA vintage, from the ONS lookup;
* :mod:`csplib.ingest.policeuk_parts`: the kept rows by file, and the monthly counts;
* :mod:`csplib.ingest.filecache`: the per-file cache (:class:`~csplib.ingest.filecache.FileCache`);
* :mod:`csplib.ingest.policeuk_pipeline`: the files parsed in threads and combined;
* :mod:`csplib.ingest.policeuk_schema`: the tables' columns and types, and
  :data:`CACHE_VERSION`.

Files
-----
A CSV is classified by its file name (``YYYY-MM-<force>-<kind>.csv``; the folder it sits in
does not matter):

* ``-street.csv``: crimes and ASB, read into ``incidents``.
* ``-outcomes.csv``: outcomes, read into ``outcomes`` (the latest outcome per Crime ID).
* ``-stop-and-search.csv``: ignored, with a note.

Any other ``.csv`` name raises :class:`~csplib.core.errors.DataError` (its month cannot be known,
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

A cached read is checked before it is used: ``meta.json`` names the same inputs, the
``files``, ``rejected`` and ``outcomes`` tables read, ``counts`` and every incidents part
have readable footers and the expected columns, and there is one part per street file
with that file's kept rows. One that fails (a file truncated by a full disk or a crash, a
part missing from a copied folder) is deleted and the read made again from the raw files
(the file cache below is checked the same way), with a note (:attr:`PoliceUkRead.repairs`,
also among the ``notes``); a damaged cache never fails a read. See
:mod:`csplib.ingest.filecache` for what the checks find.

A miss does not mean parsing everything again. Each file's own result (its kept rows,
before repeats across files are removed, its rejected rows and its facts) is also kept in
``cache_dir/policeuk_files/``, a :class:`~csplib.ingest.filecache.FileCache` keyed by the
file's name (with the folder or zip it was given in), month, force and BLAKE3 digest, the
lookup and the parsing rules. A read with a new month's file or zip added next to the
earlier ones, or one file replaced, parses only the files it has not seen; the others' kept
rows are hard-linked from the file cache, and only the steps that span files (repeats across
files, the counts) run again. A whole new download under a new zip name is parsed afresh.
Nothing is evicted from either cache: delete ``cache_dir`` to clear it.

Speed and memory
----------------
Files are parsed in threads (:mod:`csplib.ingest.policeuk_pipeline`), and every row gets
only the cheap checks; memory grows by about 12 bytes per crime, not with the text read.
The rejected and outcomes tables become pandas only when first used; the incidents are
built as pandas only when asked for (:attr:`PoliceUkRead.incidents`), and
:meth:`PoliceUkRead.monthly_counts` and :meth:`PoliceUkRead.lazy` work without them.
``benchmarks/ingest.py`` measures a national-scale download.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import polars as pl

from csplib.ingest.filecache import (
    FileCache,
    UnreadableEntry,
    install_entry,
    parquet_rows,
    read_entry,
    read_json,
    sweep_leftovers,
)
from csplib.ingest.policeuk_pipeline import ingest
from csplib.ingest.policeuk_schema import (
    CACHE_VERSION,
    COUNTS_SCHEMA,
    FILES_COLUMNS,
    INCIDENT_SCHEMA,
    OUTCOME_COLUMNS,
    OUTCOMES_SCHEMA,
    REJECTED_SCHEMA,
    REJECTION_REASONS,
    STREET_COLUMNS,
    empty,
)
from csplib.ingest.policeuk_sources import discover, hash_inputs
from csplib.ingest.policeuk_vintage import default_lookup_path, load_lookup, lsoa_code_lists

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
        Files skipped or ignored, header-only files, unknown LSOA codes; and the
        :attr:`repairs`.
    repairs : tuple of str
        Cache entries of this read that could not be read and were rebuilt from the raw
        files, one sentence each (not stored in the cache: a later read from the rebuilt
        cache has none).
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
        repairs: tuple[str, ...] = (),
    ):
        self.files = files.to_pandas()
        self._tables = {"rejected": rejected, "outcomes": outcomes}
        self.repairs = tuple(repairs)
        self.notes = (*notes, *self.repairs)
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
        unknown = [k for k in by if k not in INCIDENT_SCHEMA or k in ("month", "category")]
        if unknown:
            raise ValueError(
                f"cannot count by {unknown}; expected other columns of {list(INCIDENT_SCHEMA)}"
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
    csplib.core.errors.DataError
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
    inputs = discover(sources)
    lookup_ = load_lookup(lookup)
    key = hash_inputs(inputs, lookup_.digest)

    final = None
    repairs: list[str] = []
    if cache_dir is not None:
        cache_dir = Path(cache_dir)
        for folder in (cache_dir, cache_dir / "policeuk_files"):
            sweep_leftovers(folder)  # what a killed run left half-written
        final = cache_dir / f"policeuk-{key[:32]}"
        cached = read_entry(
            final,
            "meta.json",
            lambda folder: _load_cached(folder, key),
            what=_what(inputs.containers),
            notes=repairs,
        )
        if cached is not None:
            return cached
        cache_dir.mkdir(parents=True, exist_ok=True)

    stage = None if final is None else cache_dir / f".tmp-{key[:16]}-{uuid.uuid4().hex[:8]}"
    try:
        cache = None if final is None else FileCache(cache_dir / "policeuk_files", lookup_.digest)
        tables = ingest(inputs, lookup_, stage, cache)
        if cache is not None:  # noted from worker threads: in a stable order
            repairs += sorted(cache.repairs)
        frame = None
        if stage is None:
            parts = [tables.kept_rows.frames[i] for i in range(tables.n_parts)]
            frame = pl.concat([empty(INCIDENT_SCHEMA), *parts])
            kept_rows = frame.height
        else:
            scan = pl.scan_parquet(stage / "incidents" / "*.parquet")
            kept_rows = scan.select(pl.len()).collect().item()
        _check_invariant(tables.files, tables.rejected, kept_rows)
        notes = tuple(inputs.notes)
        if stage is not None:
            for name in ("files", "rejected", "outcomes", "counts"):
                getattr(tables, name).write_parquet(stage / f"{name}.parquet")
            meta = {"version": CACHE_VERSION, "key": key, "notes": list(notes)}
            (stage / "meta.json").write_text(json.dumps(meta, indent=1))  # last: marks it whole
            install_entry(stage, final)  # or cached by another process first: use theirs
            stage = None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return PoliceUkRead(
        files=tables.files,
        rejected=tables.rejected,
        outcomes=tables.outcomes,
        notes=notes,
        cache_key=key,
        from_cache=False,
        cache_path=final,
        frame=frame,
        counts=tables.counts,
        repairs=tuple(repairs),
    )


def _what(containers: list[tuple[str, Path]]) -> str:
    """The read's inputs, named for a note: ``the police.uk read of a.zip and b.zip``."""
    names = [name for name, _ in containers]
    if len(names) > 3:
        names = [*names[:2], f"{len(names) - 2} other sources"]
    if not names:
        return "the police.uk read"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"the police.uk read of {listed}"


def _load_cached(folder: Path, key: str) -> PoliceUkRead:
    """The read cached in ``folder`` (written by :func:`read_policeuk` under ``key``), checked.

    Raises
    ------
    csplib.ingest.filecache.UnreadableEntry
        Or another of :data:`csplib.ingest.filecache.UNREADABLE`, when the folder is not
        a complete, readable cache of these inputs.
    """
    meta = read_json(folder / "meta.json")
    notes = meta.get("notes")
    if (
        meta.get("key") != key
        or meta.get("version") != CACHE_VERSION
        or not isinstance(notes, list)
        or not all(isinstance(n, str) for n in notes)
    ):
        raise UnreadableEntry("meta.json does not describe these inputs")
    files = pl.read_parquet(folder / "files.parquet")
    rejected = pl.read_parquet(folder / "rejected.parquet")
    outcomes = pl.read_parquet(folder / "outcomes.parquet")
    if (
        files.columns != list(FILES_COLUMNS)
        or rejected.schema != pl.Schema(REJECTED_SCHEMA)
        or outcomes.schema != pl.Schema(OUTCOMES_SCHEMA)
    ):
        raise UnreadableEntry("a table does not have the expected columns")
    parquet_rows(folder / "counts.parquet", COUNTS_SCHEMA)
    kept = files.filter(pl.col("kind") == "street")["rows_kept"].to_list()
    parts = [f"part-{i:05d}.parquet" for i in range(len(kept))]
    if sorted(p.name for p in (folder / "incidents").iterdir()) != parts:
        raise UnreadableEntry("the incidents parts are not one per street file")
    for name, rows in zip(parts, kept, strict=True):
        if parquet_rows(folder / "incidents" / name, INCIDENT_SCHEMA) != rows:
            raise UnreadableEntry(f"incidents/{name} does not hold its file's kept rows")
    return PoliceUkRead(
        files=files,
        rejected=rejected,
        outcomes=outcomes,
        notes=tuple(notes),
        cache_key=key,
        from_cache=True,
        cache_path=folder,
    )
