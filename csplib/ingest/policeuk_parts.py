"""The kept street rows of a read, file by file, and the monthly counts built from them.

:class:`KeptRows` holds each street file's kept rows, in memory or written as an
uncompressed parquet part (:func:`write_part`) under the read's cache folder, together with
the file's tally: its kept rows counted by category and LSOA (:func:`tally`). The read's
monthly LSOA x category counts (:meth:`KeptRows.counts`) add the tallies up, so they never
need the rows themselves. A tally is keyed by polars' categorical ids, which belong to the
process; :func:`tally_arrays` and :func:`tally_from_arrays` store and restore it
(:class:`csplib.ingest.filecache.FileCache`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.schema import POLICE_UK_CATEGORIES
from csplib.ingest.policeuk_schema import CATEGORY_DTYPE, COUNTS_SCHEMA, empty

__all__ = ["KeptRows", "tally", "tally_arrays", "tally_from_arrays", "write_part"]


def tally(kept: pl.DataFrame, present: pl.Series | None = None) -> tuple:
    """Kept rows counted by category and LSOA: ``(keys, counts, base, ids, codes)``.

    ``key = category code * base + LSOA id``, where the ids are polars' global categorical
    ids and ``ids``/``codes`` name the file's LSOAs (``present``: the distinct LSOAs of
    ``kept``, when already known). Tallies of the files of one read combine, because the
    read's lookup keeps the category mapping alive
    (see :class:`csplib.ingest.policeuk_vintage.Lookup`).
    """
    cat = kept["category"].to_physical().to_numpy().astype(np.int64)
    lsoa = kept["lsoa"].to_physical().to_numpy().astype(np.int64)
    base = int(lsoa.max()) + 1 if len(lsoa) else 1
    key = cat * base + lsoa
    if len(key) < base:  # few rows: sort them rather than count into 14 x base bins
        keys, counts = np.unique(key, return_counts=True)
    else:
        counted = np.bincount(key, minlength=len(POLICE_UK_CATEGORIES) * base)
        keys = np.flatnonzero(counted)
        counts = counted[keys]
    if present is None:
        present = kept["lsoa"].unique()
    return keys, counts, base, present.to_physical().to_numpy(), present.cast(pl.String)


def tally_arrays(tallied: tuple) -> tuple[dict[str, np.ndarray], list[str]]:
    """A :func:`tally` as arrays and a list of LSOA codes, to store.

    The categorical ids it is keyed by belong to this process, so LSOAs are stored as
    positions in the file's own list of codes (kept as text, exactly: numpy's fixed-width
    strings would drop a trailing NUL).
    """
    keys, counts, base, ids, codes = tallied
    order = np.argsort(ids)
    local = order[np.searchsorted(ids[order], keys % base)]
    arrays = {
        "category": (keys // base).astype(np.uint8),
        "local": local.astype(np.uint32),
        "count": counts.astype(np.int64),
    }
    return arrays, codes.to_list()


def tally_from_arrays(arrays, codes: list[str]) -> tuple:
    """The :func:`tally` of stored arrays, keyed by this process's categorical ids."""
    codes = pl.Series(codes, dtype=pl.String)
    ids = codes.cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    base = int(ids.max()) + 1 if len(ids) else 1
    keys = arrays["category"].astype(np.int64) * base + ids[arrays["local"]]
    return keys, arrays["count"], base, ids, codes


def write_part(frame: pl.DataFrame, path: Path) -> None:
    """Write kept rows as a parquet part: uncompressed and without statistics (fastest)."""
    frame.write_parquet(path, compression="uncompressed", statistics=False)


class KeptRows:
    """Each street file's kept rows (in memory, or written as parquet parts) and tallies.

    Parameters
    ----------
    folder : pathlib.Path or None
        Folder for the parts ``part-00000.parquet``, ... (one per street file, in read
        order), created here; None to hold the rows in memory (:attr:`frames`).
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.frames: dict[int, pl.DataFrame] = {}
        self.tallies: dict[int, tuple] = {}
        if folder is not None:
            folder.mkdir(parents=True)

    def _path(self, idx: int) -> Path:
        return self.folder / f"part-{idx:05d}.parquet"

    def put(self, idx: int, month: dt.date, frame: pl.DataFrame, tallied=None) -> None:
        """Keep file ``idx``'s rows, replacing any; tallied here unless ``tallied``."""
        self.tallies[idx] = (month, tally(frame) if tallied is None else tallied)
        if self.folder is None:
            self.frames[idx] = frame
        else:
            # unlink first: the part may be a hard link into the file cache (put_part)
            self._path(idx).unlink(missing_ok=True)
            write_part(frame, self._path(idx))

    def put_part(self, idx: int, month: dt.date, part: Path, tallied: tuple) -> None:
        """Take a file's kept rows from the file cache: hard-linked, not copied."""
        self.tallies[idx] = (month, tallied)
        try:
            os.link(part, self._path(idx))
        except OSError:  # another file system, or no hard links: copy
            shutil.copyfile(part, self._path(idx))

    def get(self, idx: int) -> pl.DataFrame:
        """File ``idx``'s kept rows."""
        return self.frames[idx] if self.folder is None else pl.read_parquet(self._path(idx))

    def counts(self) -> pl.DataFrame:
        """Kept rows counted by month, category and LSOA, sorted (LSOA codes as text).

        The per-file tallies are added up with ``numpy.bincount`` on integer keys
        (category code x LSOA rank), month by month: much faster at national scale than
        a group-by and a sort on text.
        """
        tallies = list(self.tallies.values())
        if not tallies:
            return empty(COUNTS_SCHEMA)
        names: dict[int, str] = {}
        for _, (*_, ids, texts) in tallies:
            names.update(zip(ids.tolist(), texts.to_list(), strict=True))
        codes = sorted(names, key=names.__getitem__)
        rank = np.zeros(max(codes, default=0) + 1, dtype=np.int64)
        rank[codes] = np.arange(len(codes))
        texts = pl.Series([names[c] for c in codes], dtype=pl.String)
        n_lsoa, n_cat = max(len(codes), 1), len(POLICE_UK_CATEGORIES)
        categories = pl.Series(POLICE_UK_CATEGORIES, dtype=CATEGORY_DTYPE)
        out = [empty(COUNTS_SCHEMA)]
        for month in sorted({m for m, _ in tallies}):
            keys, weights = [], []
            for m, (key, count, base, _, _) in tallies:
                if m == month:
                    keys.append((key // base) * n_lsoa + rank[key % base])
                    weights.append(count)
            summed = np.bincount(
                np.concatenate(keys), np.concatenate(weights), minlength=n_cat * n_lsoa
            )
            cell = np.flatnonzero(summed)
            out.append(
                pl.DataFrame(
                    {
                        "category": categories.gather(cell // n_lsoa),
                        "lsoa": texts.gather(cell % n_lsoa),
                        "count": summed[cell].astype(np.int64),
                    }
                )
                .with_columns(month=pl.lit(month, dtype=pl.Date))
                .select(list(COUNTS_SCHEMA))
                .cast(COUNTS_SCHEMA)
            )
        return pl.concat(out)
