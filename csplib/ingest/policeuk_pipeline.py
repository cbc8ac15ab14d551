"""Parse the files of a police.uk read in worker threads and combine them into its tables.

:func:`ingest` runs the read's files through :func:`_work` (extract or memory-map, hash,
check the rows with :mod:`csplib.ingest.policeuk_rows`, or take the result from the
:class:`~csplib.ingest.filecache.FileCache`) and then the steps that span files:

* the same month, kind and force given twice (two overlapping downloads) is read once when
  the two files are identical (a note says so) and raises
  :class:`~csplib.core.errors.DataError` when they differ;
* repeated Crime IDs across files are removed (:mod:`csplib.ingest.policeuk_duplicates`);
* the monthly LSOA x category counts are added up from the files' tallies
  (:meth:`csplib.ingest.policeuk_parts.KeptRows.counts`);
* outcomes are reduced to the latest per Crime ID.

Speed and memory
----------------
Files are parsed in threads, one per core up to four
(:data:`~csplib.ingest.policeuk_sources.WORKERS`; polars and numpy release the GIL), while
the main thread writes the previous file's parquet part. Loose files are memory-mapped, not
copied. Only small per-file results stay in memory (rejected rows, the category x LSOA
tally, a 64-bit hash and row number per kept Crime ID), so memory grows by about 12 bytes
per crime, not with the text read. ``benchmarks/ingest.py`` measures a national-scale
download.
"""

from __future__ import annotations

import mmap
import zipfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.errors import DataError
from csplib.core.provenance import blake3_hex
from csplib.ingest.filecache import FileCache
from csplib.ingest.policeuk_duplicates import reject_across_files, repeated_hashes
from csplib.ingest.policeuk_parts import KeptRows
from csplib.ingest.policeuk_rows import FileResult, process_outcomes, process_street
from csplib.ingest.policeuk_schema import (
    FILES_COLUMNS,
    OUTCOMES_SCHEMA,
    REJECTED_SCHEMA,
    VINTAGE_FACTS,
    empty,
)
from csplib.ingest.policeuk_sources import WORKERS, SourceFile, Sources, read_bytes
from csplib.ingest.policeuk_vintage import Lookup

__all__ = ["IngestedTables", "ingest"]


@dataclass
class IngestedTables:
    """The tables of a read, before they are cached or returned.

    Attributes
    ----------
    kept_rows : KeptRows
        The incidents, one part per street file.
    n_parts : int
        Number of street files (parts ``0 .. n_parts - 1`` of ``kept_rows``).
    files, rejected, outcomes, counts : polars.DataFrame
        The files table, the rejected rows, the latest outcome per Crime ID and the
        monthly LSOA x category counts.
    """

    kept_rows: KeptRows
    n_parts: int
    files: pl.DataFrame
    rejected: pl.DataFrame
    outcomes: pl.DataFrame
    counts: pl.DataFrame


def _file_info(entry: SourceFile, result: FileResult, digest: str, size: int) -> dict:
    """The files table's row of one file."""
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
        **{k: i[k] for k in VINTAGE_FACTS},
    }


def _work(entry: SourceFile, zips: dict, lookup: Lookup, cache: FileCache | None = None):
    """Read, hash, parse and check one file (run in a worker thread).

    A loose file is mapped into memory rather than copied, and polars parses it from its
    path; a zip member is extracted to bytes. With a file ``cache``, a file read before is
    taken from it (a loose file, already hashed, is not even opened), and a new one is
    stored.
    """
    if cache is not None and entry.digest is not None:
        result = cache.load(entry, entry.digest)
        if result is not None:
            return entry.digest, entry.container.stat().st_size, result
    process = process_street if entry.kind == "street" else process_outcomes
    if entry.member is not None or entry.container.stat().st_size == 0:
        data = read_bytes(entry, zips)
        digest = entry.digest or blake3_hex(data)
        result = None if cache is None else cache.load(entry, digest)
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
    if cache is not None and not result.stored:
        result = cache.save(entry, digest, result)
    return digest, size, result


def _results(entries: list[SourceFile], zips: dict, lookup: Lookup, cache: FileCache | None):
    """Yield ``(entry, digest, bytes, result)`` in order, ``WORKERS`` files in parallel.

    polars and numpy release the GIL, so the worker threads keep the cores busy while the
    caller writes the previous file's parquet; at most ``WORKERS + 1`` files are in flight,
    which bounds the memory used.
    """
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: deque = deque()
        todo = iter(entries)
        try:
            for entry in todo:
                pending.append((entry, pool.submit(_work, entry, zips, lookup, cache)))
                if len(pending) > WORKERS:
                    entry, fut = pending.popleft()
                    yield (entry, *fut.result())
            while pending:
                entry, fut = pending.popleft()
                yield (entry, *fut.result())
        finally:
            for _, fut in pending:
                fut.cancel()


def _latest_outcomes(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The latest outcome per Crime ID, with the number of outcome rows seen for it."""
    if not frames:
        return empty(OUTCOMES_SCHEMA)
    allo = pl.concat(frames)  # in month, file, row order
    return (
        allo.group_by("crime_id", maintain_order=True)
        .agg(pl.all().last(), n_outcomes=pl.len().cast(pl.UInt32))
        .select(list(OUTCOMES_SCHEMA))
        .cast(OUTCOMES_SCHEMA)
    )


def ingest(
    inputs: Sources, lookup: Lookup, stage: Path | None, cache: FileCache | None = None
) -> IngestedTables:
    """Parse every file (or take it from the file ``cache``) and build the read's tables.

    Parameters
    ----------
    inputs : Sources
        The read's files, hashed (:func:`csplib.ingest.policeuk_sources.hash_inputs`);
        notes of this step are added to ``inputs.notes``.
    lookup : Lookup
        The LSOA code lists; held for the whole read (see its docstring).
    stage : pathlib.Path or None
        The read's cache folder being written: the incidents go to ``stage/incidents/``
        as parquet parts. None to keep them in memory.
    cache : FileCache, optional
        The per-file cache.

    Returns
    -------
    IngestedTables

    Raises
    ------
    csplib.core.errors.DataError
        For an unusable file, a file given twice with different contents, or no street
        files at all.
    """
    kept_rows = KeptRows(None if stage is None else stage / "incidents")
    infos: list[dict] = []
    rejected: list[pl.DataFrame] = []
    outcomes: list[pl.DataFrame] = []
    hashes: list[tuple[np.ndarray, np.ndarray]] = []
    seen: dict[tuple, tuple[str, str]] = {}
    street: list[SourceFile] = []
    zips = {}
    results = None
    try:
        for e in inputs.entries:  # opened here: workers share them (reads are locked)
            if e.member is not None and e.container not in zips:
                zips[e.container] = zipfile.ZipFile(e.container)
        results = _results(inputs.entries, zips, lookup, cache)
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
                    kept_rows.put_part(idx, entry.month, result.part, result.tally)
                else:
                    kept_rows.put(idx, entry.month, result.kept, result.tally)
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
            counting = pool.submit(kept_rows.counts)
            repeated = repeated_hashes(hashes)
            counts = counting.result()
        if len(repeated):
            rejected.append(reject_across_files(repeated, hashes, street, kept_rows, zips, infos))
            counts = kept_rows.counts()
    finally:
        if results is not None:
            results.close()  # on an error: cancel queued files, wait for running ones
        for zf in zips.values():
            zf.close()
    files = (
        pl.DataFrame(infos, schema_overrides={"member": pl.String})
        .with_columns(pl.col("month").cast(pl.Datetime("us")))
        .select(FILES_COLUMNS)
    )
    rejected_df = pl.concat([empty(REJECTED_SCHEMA), *[r.cast(REJECTED_SCHEMA) for r in rejected]])
    return IngestedTables(
        kept_rows=kept_rows,
        n_parts=len(street),
        files=files,
        rejected=rejected_df,
        outcomes=_latest_outcomes(outcomes),
        counts=counts,
    )
