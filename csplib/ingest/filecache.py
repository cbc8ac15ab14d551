"""The per-file cache of the police.uk reader: each file's checked rows, kept for later reads.

Not to be confused with the tidy store (:mod:`csplib.ingest.store`), which holds the area's
incidents, partner data and indicators for the chapters. :func:`csplib.ingest.read_policeuk`
caches at two levels when given a ``cache_dir``:

1. the whole read, ``cache_dir/policeuk-<key>/``, keyed by all its inputs: a read with the
   same inputs parses nothing;
2. each file on its own, in a :class:`FileCache` at ``cache_dir/policeuk_files/``: a read
   whose inputs are not all cached together (a new month's file or zip added next to the
   earlier ones, one file replaced) parses only the files it has not seen.

Layout of one entry, ``cache_dir/policeuk_files/<key>/`` (``<key>``: see
:meth:`FileCache.path`):

``kept.parquet``
    The kept rows, before repeats across files are removed (which depends on the other
    files). Street rows are hard-linked from here into the read's cache, not copied.
``rejected.arrow``
    The rejected rows (Arrow IPC).
``arrays.npz`` and ``codes.json``
    Street files only: the 64-bit hashes and rows of the kept Crime IDs (``h1``, ``rows``)
    and the category x LSOA tally (``category``, ``local``, ``count``, with the file's
    LSOA codes in ``codes.json``).
``info.json``
    The file's facts (rows read, kept and rejected, LSOA vintage). Written last: an entry
    without it is incomplete and ignored.

An entry is written under a temporary name and renamed when complete; one that cannot be
read is deleted and the file parsed again. Nothing is ever evicted: entries for files no
longer read stay until ``cache_dir`` (or ``cache_dir/policeuk_files``) is deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.provenance import blake3_hex
from csplib.ingest.policeuk_parts import tally_arrays, tally_from_arrays, write_part
from csplib.ingest.policeuk_rows import FileResult
from csplib.ingest.policeuk_schema import CACHE_VERSION
from csplib.ingest.policeuk_sources import SourceFile

__all__ = ["FileCache"]


class FileCache:
    """Each police.uk file's checked rows, kept for the next read.

    An entry holds what one file gives on its own: the kept rows (before repeats across
    files are removed), the rejected rows and the file's facts (see the module docstring
    for the layout). Nothing is evicted; delete the folder to clear the cache.

    Parameters
    ----------
    folder : pathlib.Path
        Where the entries live (created when missing); :func:`csplib.ingest.read_policeuk`
        uses ``cache_dir/policeuk_files``.
    lookup_digest : str
        BLAKE3 digest of the LSOA lookup (:attr:`csplib.ingest.policeuk_vintage.Lookup.digest`),
        which decides each file's vintage.

    Notes
    -----
    An entry is keyed (:meth:`path`) by:

    * :attr:`VERSION` (the layout of an entry), :data:`~csplib.ingest.CACHE_VERSION` (the
      parsing rules) and the polars version (its hash of the Crime IDs is stored);
    * the lookup's digest;
    * the file's kind, its name as shown (with the folder or zip it was given in, which its
      rows record), month, force and the BLAKE3 digest of its bytes.

    So a whole new download under a new zip name is parsed afresh, and any change to a
    file's bytes misses.

    Examples
    --------
    >>> import datetime as dt, pathlib, shutil, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> cache = FileCache(tmp / "policeuk_files", lookup_digest="0" * 64)
    >>> entry = SourceFile("street", dt.date(2019, 1, 1), "notts",
    ...                    "in/2019-01-notts-street.csv", tmp / "2019-01-notts-street.csv", None)
    >>> cache.load(entry, "ab" * 32) is None     # nothing stored for this file yet
    True
    >>> cache.path(entry, "ab" * 32).parent == tmp / "policeuk_files"
    True
    >>> shutil.rmtree(tmp)
    """

    #: Version of the cache's layout. Every key includes it, with ``CACHE_VERSION`` (the
    #: parsing rules) and the polars version (its hash of the Crime IDs).
    VERSION = "files-1"

    def __init__(self, folder: Path, lookup_digest: str):
        self.folder = folder
        self.salt = [self.VERSION, CACHE_VERSION, pl.__version__, lookup_digest]
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, entry: SourceFile, digest: str) -> Path:
        """The entry's folder: the first 32 hex digits of the BLAKE3 digest of its key.

        Parameters
        ----------
        entry : SourceFile
            The file (kind, name as shown, month, force).
        digest : str
            BLAKE3 digest of the file's bytes.
        """
        key = [*self.salt, entry.kind, entry.source_file, str(entry.month), entry.force, digest]
        return self.folder / blake3_hex(json.dumps(key).encode())[:32]

    def load(self, entry: SourceFile, digest: str) -> FileResult | None:
        """The stored result of a file, or None when there is none.

        An entry that cannot be read is deleted and None returned: the file is then parsed
        again and the entry replaced. A street file's kept rows stay on disk
        (:attr:`FileResult.part`).
        """
        folder = self.path(entry, digest)
        if not (folder / "info.json").exists():
            return None
        try:
            return self._load(entry, folder)
        except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def _load(self, entry: SourceFile, folder: Path) -> FileResult:
        info = json.loads((folder / "info.json").read_text())
        rejected = pl.read_ipc(folder / "rejected.arrow")
        if entry.kind != "street":
            kept = pl.read_parquet(folder / "kept.parquet")
            return FileResult(kept, rejected, info, stored=True)
        codes = json.loads((folder / "codes.json").read_text())
        with np.load(folder / "arrays.npz") as npz:
            hashes = (npz["h1"], npz["rows"])
            tallied = tally_from_arrays(npz, codes)
        part = folder / "kept.parquet"
        return FileResult(None, rejected, info, tallied, hashes, part, stored=True)

    def save(self, entry: SourceFile, digest: str, result: FileResult) -> FileResult:
        """Store ``result``; street rows then live in the cache (``part``), not in memory.

        If another read stored the same entry meanwhile, theirs is kept (it is the same).
        """
        final = self.path(entry, digest)
        tmp = final.with_name(f".tmp-{final.name}-{uuid.uuid4().hex[:8]}")
        try:
            tmp.mkdir()
            write_part(result.kept, tmp / "kept.parquet")
            result.rejected.write_ipc(tmp / "rejected.arrow")
            if entry.kind == "street":
                h1, rows = result.hashes
                arrays, codes = tally_arrays(result.tally)
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
        return FileResult(None, result.rejected, result.info, result.tally, result.hashes, part)
