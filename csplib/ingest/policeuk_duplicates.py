"""Repeated Crime IDs in police.uk street files: within a file and across the files of a read.

A street row that passed every other check is rejected as ``duplicate_crime_id`` when an
earlier row that also passed them has the same (non-blank) Crime ID. "Earlier" is in month
order, then file name, then row, so the first valid occurrence is kept. ASB rows have no
Crime ID and are never duplicates. Checking duplicates last means that a repeat without an
LSOA counts as ``no_lsoa`` and does not displace a located copy.

Repeats are found in two steps, so that every row gets only a cheap test and the result is
still exact:

1. a 64-bit hash of each Crime ID (:func:`crime_id_hash`): the rows whose hash occurs more
   than once are candidates (a superset of the real repeats);
2. the candidates are compared on the Crime IDs themselves, so a hash collision cannot make
   a false repeat.

Within a file, :func:`repeat_candidate` and :func:`repeats_in_file` do this while the file's
rows are checked (:func:`csplib.ingest.policeuk_rows.process_street`), which also counts
``crime_id_repeats``: rows whose Crime ID repeats an earlier row of the file before any
other check. Across files, each file keeps the hashes and rows of its kept Crime IDs
(:func:`crime_id_hashes`, also kept in the file cache); :func:`repeated_hashes` finds the
hashes kept in more than one file and :func:`reject_across_files` confirms the repeats on the
IDs and removes them from the later files' kept rows. Repeats across files are rare (none in
the real Nottinghamshire downloads), so their raw fields are read by parsing the file again.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from csplib.ingest._csvparse import parse_file
from csplib.ingest.policeuk_parts import KeptRows
from csplib.ingest.policeuk_schema import REJECTED_SCHEMA, STREET_COLUMNS, empty, raw_rejected
from csplib.ingest.policeuk_sources import SourceFile, read_bytes

__all__ = [
    "crime_id_hash",
    "repeat_candidate",
    "repeats_in_file",
    "describe_repeats_in_file",
    "crime_id_hashes",
    "repeated_hashes",
    "reject_across_files",
]


def crime_id_hash() -> pl.Expr:
    """The 64-bit hash of the raw ``Crime ID`` (column ``h1`` of the checked rows).

    The hash depends on the polars version, which is therefore part of the file cache's
    keys (:class:`csplib.ingest.filecache.FileCache`).
    """
    return pl.col("Crime ID").hash(seed=0)


def repeat_candidate() -> pl.Expr:
    """Rows that may repeat a Crime ID of their file: a Crime ID whose ``h1`` repeats."""
    return pl.col("Crime ID").is_not_null() & pl.col("h1").is_duplicated()


def repeats_in_file(frame: pl.DataFrame) -> tuple[int, pl.DataFrame]:
    """The Crime IDs repeated within one file, confirmed on the IDs of the candidates.

    Parameters
    ----------
    frame : polars.DataFrame
        The file's rows with ``Crime ID``, ``row``, ``passed`` (the row passed every other
        check) and ``candidate`` (:func:`repeat_candidate`).

    Returns
    -------
    repeats : int
        Rows whose Crime ID repeats an earlier row, before any other check
        (``crime_id_repeats`` of the files table).
    duplicates : polars.DataFrame
        The rows to reject as ``duplicate_crime_id``: passed rows repeating an earlier
        passed row, with ``row`` and ``first_row`` (the row kept).
    """
    group = frame.filter("candidate").select("Crime ID", "row", "passed")
    repeats = int((~group["Crime ID"].is_first_distinct()).sum())
    valid = group.filter("passed")
    first = valid["Crime ID"].is_first_distinct()
    duplicates = valid.filter(~first).join(
        valid.filter(first).select("Crime ID", first_row="row"), on="Crime ID"
    )
    return repeats, duplicates


def describe_repeats_in_file(bad: pl.DataFrame, duplicates: pl.DataFrame) -> pl.DataFrame:
    """Set the detail of the ``duplicate_crime_id`` rows of ``bad`` to the row kept.

    ``duplicates`` is the second result of :func:`repeats_in_file`; the other rows of
    ``bad`` keep their ``detail``.
    """
    return bad.join(
        duplicates.select("row", "first_row"), on="row", how="left", maintain_order="left"
    ).with_columns(
        detail=pl.when(pl.col("reason") == "duplicate_crime_id")
        .then(pl.format("Crime ID first kept at row {} of this file", pl.col("first_row")))
        .otherwise(pl.col("detail"))
    )


def crime_id_hashes(kept: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit hashes (``h1``) and rows (``source_row``) of the kept rows' Crime IDs."""
    ids = kept.filter(pl.col("crime_id").is_not_null())
    return ids["h1"].to_numpy(), ids["source_row"].to_numpy()


def repeated_hashes(hashes: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The 64-bit Crime ID hashes kept in more than one file.

    ``hashes[i]`` holds the hashes and rows of file ``i``'s kept Crime IDs
    (:func:`crime_id_hashes`), each distinct within its file, so a hash seen twice is in
    two files (or two IDs share a hash).
    """
    if not hashes:
        return np.empty(0, dtype=np.uint64)
    every = np.sort(np.concatenate([h for h, _ in hashes]))
    return np.unique(every[1:][every[1:] == every[:-1]])


def reject_across_files(
    repeated: np.ndarray,
    hashes: list[tuple[np.ndarray, np.ndarray]],
    street: list[SourceFile],
    kept_rows: KeptRows,
    zips: dict,
    infos: list[dict],
) -> pl.DataFrame:
    """Remove kept rows repeated from an earlier file; return them as rejected rows.

    Parameters
    ----------
    repeated : numpy.ndarray
        The hashes kept in more than one file (:func:`repeated_hashes`). Rows with one of
        them are candidates, which are confirmed on the Crime IDs themselves; the first
        occurrence (file order) is kept.
    hashes : list of (numpy.ndarray, numpy.ndarray)
        Each street file's :func:`crime_id_hashes`, in read order.
    street : list of SourceFile
        The street files, in read order (file ``i`` is part ``i`` of ``kept_rows``).
    kept_rows : KeptRows
        The kept rows; the files with repeats are replaced without them (and tallied
        again).
    zips : dict
        Open zips by path (:func:`csplib.ingest.policeuk_sources.read_bytes`).
    infos : list of dict
        The files table's rows: ``rows_kept`` and ``rows_rejected`` are updated.

    Returns
    -------
    polars.DataFrame
        The rows rejected as ``duplicate_crime_id`` (:data:`REJECTED_SCHEMA`), with their
        raw fields and the file and row of the copy kept.
    """
    cand = []
    for i, (h, rows) in enumerate(hashes):
        hit = np.isin(h, repeated)
        if hit.any():
            cand.append(
                kept_rows.get(i)
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
    out = [empty(REJECTED_SCHEMA)]
    by_name = {i["source_file"]: i for i in infos}
    for (idx,), rows in cross.group_by(["file"], maintain_order=True):
        entry = street[idx]
        kept = kept_rows.get(idx).filter(~pl.col("source_row").is_in(rows["row"].implode()))
        kept_rows.put(idx, entry.month, kept)
        # exact raw fields: parse the file again (cross-file repeats are rare)
        raw, _ = parse_file(read_bytes(entry, zips), STREET_COLUMNS, entry.source_file)
        raw = raw.join(rows, on="row", how="inner").sort("row")
        first_names = pl.Series([street[i].source_file for i in raw["first_file"]])
        raw = raw.with_columns(
            reason=pl.lit("duplicate_crime_id"),
            detail=pl.format(
                "Crime ID first kept at row {} of {}", pl.col("first_row"), pl.lit(first_names)
            ),
        )
        out.append(raw_rejected(raw, entry.source_file, "street").cast(REJECTED_SCHEMA))
        info = by_name[entry.source_file]
        info["rows_kept"] -= len(rows)
        info["rows_rejected"] += len(rows)
    return pl.concat(out)
