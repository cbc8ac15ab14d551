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
    The file's facts (rows read, kept and rejected, LSOA vintage). Written last, just
    before the entry is renamed into place: an entry without it is damaged and replaced.

An entry is written under a temporary name and renamed when complete; a temporary folder
left behind by a process that was killed is swept away by the next read
(:func:`sweep_leftovers`). One that cannot be
read (a file missing, truncated or corrupt, or not what the entry's ``info.json`` says) is
moved aside and deleted, the file parsed again and the entry replaced, with a note
(:attr:`FileCache.repairs`). Nothing is ever evicted: entries for files no longer read stay
until ``cache_dir`` (or ``cache_dir/policeuk_files``) is deleted.

Cache entries that heal themselves
----------------------------------
Every on-disk cache of the ingest (this one, the whole read's cache of
:func:`csplib.ingest.read_policeuk` and the tidy store's frames, :mod:`csplib.ingest.store`)
is a folder written under a temporary name and renamed into place when complete, with a
marker file that a complete entry always has. They share two helpers:

* :func:`read_entry` reads an entry and checks it; an entry that cannot be used (its
  marker missing, a file missing, truncated or corrupt: any of :data:`UNREADABLE` raised
  while reading it) is moved aside and deleted, a note saying so
  (:func:`rebuilt_note`) is added to the caller's list, and the caller builds it again
  from the raw files. A damaged cache never fails a run.
* :func:`install_entry` renames a finished temporary folder into place, or discards it
  when another process put a complete copy there first.

The checks are of structure, not of every byte: files present, parquet footers readable,
columns and row counts as recorded. Crashes, full disks and interrupted copies truncate or
drop files, which these find; a file whose bytes were altered in place while keeping its
size and structure is found only when it is read whole.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from csplib.core.provenance import blake3_hex
from csplib.ingest.policeuk_parts import tally_arrays, tally_from_arrays, write_part
from csplib.ingest.policeuk_rows import FileResult
from csplib.ingest.policeuk_schema import (
    CACHE_VERSION,
    INCIDENT_SCHEMA,
    REJECTED_SCHEMA,
    VINTAGE_FACTS,
)
from csplib.ingest.policeuk_sources import SourceFile

__all__ = [
    "FileCache",
    "UNREADABLE",
    "UnreadableEntry",
    "install_entry",
    "parquet_rows",
    "read_entry",
    "read_json",
    "rebuilt_note",
    "sweep_leftovers",
]

T = TypeVar("T")

#: The facts ``info.json`` must hold (see :attr:`FileResult.info`).
_INFO_KEYS = frozenset(
    {"rows_read", "rows_kept", "rows_rejected", "crime_id_repeats", *VINTAGE_FACTS}
)
#: The arrays of a street entry's ``arrays.npz``.
_ARRAYS = ("h1", "rows", "category", "local", "count")


class UnreadableEntry(Exception):
    """A cache entry that reads without error but is not what it should be.

    Raised by the checks of a cache's reader (a file missing from the entry, columns or
    row counts other than recorded); one of :data:`UNREADABLE`.
    """


#: What reading a damaged cache entry raises: a file missing or unreadable (``OSError``),
#: truncated or corrupt (Arrow's and polars' errors, ``ValueError`` from ``numpy.load``
#: and ``json``, ``EOFError``, ``zipfile.BadZipFile``), or failing the reader's own
#: checks (:class:`UnreadableEntry`). Other errors are bugs and are not caught.
UNREADABLE: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    ValueError,
    zipfile.BadZipFile,
    pa.ArrowException,
    pl.exceptions.PolarsError,
    UnreadableEntry,
)


def rebuilt_note(what: str) -> str:
    """The quality report's note on a cache entry rebuilt because it could not be read.

    Examples
    --------
    >>> rebuilt_note("a.csv")
    'A cached copy of a.csv was unreadable and was rebuilt from the raw files.'
    """
    return f"A cached copy of {what} was unreadable and was rebuilt from the raw files."


def read_json(path: Path) -> dict:
    """A cache entry's JSON object (its metadata), or :class:`UnreadableEntry`.

    Raises
    ------
    UnreadableEntry
        When the file holds JSON that is not an object.
    OSError, ValueError
        When the file is missing or not JSON (``json.JSONDecodeError``,
        ``UnicodeDecodeError``).
    """
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise UnreadableEntry(f"{path.name} does not hold a JSON object")
    return value


def parquet_rows(path: Path, schema: dict | None = None) -> int:
    """The rows of a parquet file, read from its footer; its columns checked.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    schema : dict, optional
        Column name to polars type the file must have, in order.

    Raises
    ------
    UnreadableEntry
        When the columns are not ``schema``'s.
    OSError, pyarrow.ArrowInvalid, polars.exceptions.ComputeError
        When the file is missing, truncated or not parquet.
    """
    rows = pq.read_metadata(path).num_rows
    if schema is not None and list(pl.read_parquet_schema(path).items()) != list(schema.items()):
        raise UnreadableEntry(f"{path.name} does not have the expected columns")
    return rows


def _discard(folder: Path, identity: os.stat_result) -> None:
    """Move ``folder`` aside and delete it, unless it is no longer the folder ``identity``.

    A folder renamed into place by another process meanwhile (a fresh copy) is left alone.
    """
    try:
        now = folder.stat()
        if (now.st_dev, now.st_ino) != (identity.st_dev, identity.st_ino):
            return
        trash = folder.with_name(f".trash-{folder.name}-{uuid.uuid4().hex[:8]}")
        os.rename(folder, trash)
    except OSError:  # gone already: another process discarded it
        return
    shutil.rmtree(trash, ignore_errors=True)


def read_entry(
    folder: Path, marker: str, load: Callable[[Path], T], *, what: str, notes: list[str]
) -> T | None:
    """The cache entry in ``folder`` read by ``load``, or None when it must be built.

    Parameters
    ----------
    folder : pathlib.Path
        The entry. Entries are only ever renamed into place whole
        (:func:`install_entry`), so a folder without its ``marker`` is damaged, not
        being written.
    marker : str
        The file every complete entry has.
    load : callable
        Reads the entry's folder and checks it, raising one of :data:`UNREADABLE` when it
        cannot be used.
    what : str
        What the entry holds, for the note (:func:`rebuilt_note`).
    notes : list of str
        Where the note on a damaged entry is added.

    Returns
    -------
    object or None
        What ``load`` returned; None when there is no entry, or when it could not be read:
        it is then moved aside and deleted (so it can be built again and renamed into
        place) and a note added to ``notes``.

    Examples
    --------
    >>> import pathlib, shutil, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> folder = tmp / "entry"
    >>> notes = []
    >>> read_entry(folder, "meta.json", read_json, what="x", notes=notes) is None  # none
    True
    >>> folder.mkdir()
    >>> _ = (folder / "meta.json").write_text('{"rows": 3}')
    >>> read_entry(folder, "meta.json", lambda f: read_json(f / "meta.json"),
    ...            what="x", notes=notes)
    {'rows': 3}
    >>> _ = (folder / "meta.json").write_text('{"rows": 3')  # truncated
    >>> read_entry(folder, "meta.json", lambda f: read_json(f / "meta.json"),
    ...            what="x", notes=notes), folder.exists(), len(notes)
    (None, False, 1)
    >>> shutil.rmtree(tmp)
    """
    try:
        identity = folder.stat()
    except FileNotFoundError:
        return None
    try:
        if not (folder / marker).is_file():
            raise UnreadableEntry(f"{marker} is missing")
        return load(folder)
    except UNREADABLE as exc:
        if _trouble_of_the_machine(exc):
            raise  # the entry may be fine: never discard it for this
        _discard(folder, identity)
        notes.append(rebuilt_note(what))
        return None


#: ``errno`` values that say the machine is short of something, not that a file is bad.
_MACHINE_ERRNOS = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOSPC, errno.ENOMEM, errno.EACCES, errno.EPERM}
)


def _trouble_of_the_machine(exc: BaseException) -> bool:
    """Whether a read failed for want of memory, file handles, disk or permission: then the
    entry is not known to be damaged, and the error is the user's to see.

    Examples
    --------
    >>> _trouble_of_the_machine(OSError(errno.EMFILE, "Too many open files"))
    True
    >>> _trouble_of_the_machine(OSError(errno.ENOENT, "No such file"))
    False
    """
    if isinstance(exc, MemoryError | PermissionError):  # ArrowMemoryError is a MemoryError
        return True
    return isinstance(exc, OSError) and exc.errno in _MACHINE_ERRNOS


#: A temporary or discarded folder untouched this long (seconds) is a killed process's.
STALE_AFTER = 6 * 3600


def sweep_leftovers(folder: Path, *, older_than: float = STALE_AFTER) -> list[str]:
    """Delete the temporary and discarded entries a killed process left in ``folder``.

    An entry is written under a temporary name (``.tmp-…`` or ``<name>.tmp-…``) and a
    damaged one is moved aside (``.trash-…``) before deletion; a process that finishes,
    fails or is interrupted removes its own, but one killed outright (``kill -9``, power
    loss) cannot. A leftover is deleted once it has not changed for ``older_than``
    seconds, so a process still writing one is never disturbed.

    Parameters
    ----------
    folder : pathlib.Path
        A cache folder (it need not exist).
    older_than : float
        Age in seconds, by modification time, after which a leftover is deleted.

    Returns
    -------
    list of str
        The names deleted, sorted.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in (".tmp-ab12-cd34", "x.tmp-99-ef", "policeuk-ab12", ".trash-y-12"):
    ...     (d / name).mkdir()
    >>> os.utime(d / "x.tmp-99-ef", (0, 0)); os.utime(d / "policeuk-ab12", (0, 0))
    >>> sweep_leftovers(d)
    ['x.tmp-99-ef']
    >>> for name in (".tmp-ab12-cd34", ".trash-y-12"):
    ...     os.utime(d / name, (0, 0))
    >>> sweep_leftovers(d)
    ['.tmp-ab12-cd34', '.trash-y-12']
    >>> sorted(p.name for p in d.iterdir())
    ['policeuk-ab12']
    """
    folder = Path(folder)
    try:
        entries = list(folder.iterdir())
    except OSError:  # no cache yet
        return []
    now = time.time()
    swept = []
    for path in entries:
        name = path.name
        if not (name.startswith((".tmp-", ".trash-")) or ".tmp-" in name):
            continue
        try:
            if now - path.lstat().st_mtime < older_than:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:  # removed meanwhile by another process, or not ours to remove
            continue
        swept.append(name)
    return sorted(swept)


def install_entry(tmp: Path, final: Path) -> bool:
    """Rename the complete entry ``tmp`` to ``final``.

    Returns
    -------
    bool
        True when renamed; False when another process put a complete copy at ``final``
        first (``tmp`` is then deleted and theirs used: it holds the same).

    Raises
    ------
    OSError
        When the rename fails and there is no entry at ``final``.
    """
    try:
        os.replace(tmp, final)
        return True
    except OSError:
        if not final.is_dir():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        return False


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

    Attributes
    ----------
    repairs : list of str
        A note (:func:`rebuilt_note`) for each entry that could not be read and was
        deleted, to be parsed again (see :meth:`load`).

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
        self.repairs: list[str] = []
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

        An entry that cannot be read (a file missing, truncated or corrupt, or not what
        ``info.json`` says) is deleted, a note added to :attr:`repairs` and None returned:
        the file is then parsed again and the entry replaced. A street file's kept rows
        stay on disk (:attr:`FileResult.part`); their parquet footer is checked here.
        """
        return read_entry(
            self.path(entry, digest),
            "info.json",
            lambda folder: self._load(entry, folder),
            what=entry.source_file,
            notes=self.repairs,
        )

    @staticmethod
    def _load(entry: SourceFile, folder: Path) -> FileResult:
        info = read_json(folder / "info.json")
        missing = _INFO_KEYS - info.keys()
        if missing:
            raise UnreadableEntry(f"info.json lacks {sorted(missing)}")
        rejected = pl.read_ipc((folder / "rejected.arrow").read_bytes())
        if rejected.columns != list(REJECTED_SCHEMA) or rejected.height != info["rows_rejected"]:
            raise UnreadableEntry("rejected.arrow does not hold the file's rejected rows")
        if entry.kind != "street":
            kept = pl.read_parquet(folder / "kept.parquet")
            if kept.height != info["rows_kept"]:
                raise UnreadableEntry("kept.parquet does not hold the file's kept rows")
            return FileResult(kept, rejected, info, stored=True)
        part = folder / "kept.parquet"
        if parquet_rows(part, INCIDENT_SCHEMA) != info["rows_kept"]:
            raise UnreadableEntry("kept.parquet does not hold the file's kept rows")
        codes = json.loads((folder / "codes.json").read_text(encoding="utf-8"))
        if not (isinstance(codes, list) and all(isinstance(c, str) for c in codes)):
            raise UnreadableEntry("codes.json does not hold a list of LSOA codes")
        with np.load(folder / "arrays.npz") as npz:
            arrays = {name: npz[name] for name in _ARRAYS if name in npz.files}
        if (
            len(arrays) != len(_ARRAYS)
            or len(arrays["h1"]) != len(arrays["rows"])
            or len({len(arrays[name]) for name in ("category", "local", "count")}) != 1
            or (len(arrays["local"]) and int(arrays["local"].max()) >= len(codes))
            or int(arrays["count"].sum()) != info["rows_kept"]
        ):
            raise UnreadableEntry("arrays.npz does not hold the file's tally and Crime IDs")
        tallied = tally_from_arrays(arrays, codes)
        return FileResult(
            None, rejected, info, tallied, (arrays["h1"], arrays["rows"]), part, stored=True
        )

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
            install_entry(tmp, final)  # or stored by another read meanwhile: the same
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if entry.kind != "street":
            return result
        part = final / "kept.parquet"
        return FileResult(None, result.rejected, result.info, result.tally, result.hashes, part)
