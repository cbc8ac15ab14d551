"""Find the police.uk CSV files among the sources of a read, and key the read's cache.

:func:`discover` turns the ``sources`` of :func:`csplib.ingest.read_policeuk` (zips, folders
searched recursively with the zips inside them, loose CSV files) into :class:`Sources`: one
:class:`SourceFile` per police.uk CSV, in month, kind, force and name order, and notes on the
files skipped. A CSV is classified by its file name alone (``YYYY-MM-<force>-<kind>.csv``):

* ``-street.csv`` and ``-outcomes.csv`` files are read;
* ``-stop-and-search.csv`` files are ignored, with a note;
* any other ``.csv`` name raises :class:`~csplib.core.errors.DataError` (its month cannot be
  known, so it cannot be checked);
* files that are not CSV (``README.txt``, ``.DS_Store``, macOS ``__MACOSX/`` entries) and
  hidden files are skipped with a note.

:func:`hash_inputs` gives the read's cache key: a BLAKE3 digest over :data:`CACHE_VERSION`,
the LSOA lookup's digest and, for every input zip or loose CSV, its name and the BLAKE3
digest of its bytes. :func:`read_bytes` extracts one file's bytes.

Examples
--------
>>> import pathlib, shutil, tempfile
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = (tmp / "2019-01-notts-street.csv").write_text("x")
>>> _ = (tmp / "README.txt").write_text("x")
>>> found = discover(tmp)
>>> [(f.kind, f.month.isoformat(), f.force) for f in found.entries], len(found.notes)
([('street', '2019-01-01', 'notts')], 1)
>>> shutil.rmtree(tmp)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from csplib.core.errors import DataError
from csplib.core.provenance import blake3_file, blake3_hex
from csplib.ingest.policeuk_schema import CACHE_VERSION

__all__ = ["WORKERS", "SourceFile", "Sources", "discover", "hash_inputs", "read_bytes"]

#: Files hashed or parsed at once, in threads (one per core, at most 4).
WORKERS = max(1, min(4, os.cpu_count() or 1))

_NAME_RE = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<force>.+?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv$",
    re.IGNORECASE,
)


@dataclass
class SourceFile:
    """One police.uk CSV: a loose file or a zip member.

    Attributes
    ----------
    kind : str
        ``"street"`` or ``"outcomes"``.
    month : datetime.date
        The first of the month in the file name.
    force : str
        The force in the file name, in lower case.
    source_file : str
        The name shown in tables and messages: the file's path from the folder it was
        found in (``folder/2019-01/...csv``), or ``zip name:member``.
    container : pathlib.Path
        The loose file, or the zip holding the member.
    member : str or None
        The member's name in the zip; None for a loose file.
    digest : str or None
        BLAKE3 digest of a loose file's bytes (filled in by :func:`hash_inputs`); None for
        a zip member until it is extracted.
    """

    kind: str
    month: dt.date
    force: str
    source_file: str
    container: Path
    member: str | None
    digest: str | None = None

    @property
    def sort_key(self) -> tuple:
        """The order files are read in: month, kind, force, name."""
        return (self.month, self.kind, self.force, self.source_file)


@dataclass
class Sources:
    """The police.uk files of a read (see :func:`discover`).

    Attributes
    ----------
    entries : list of SourceFile
        The street and outcomes files, in :attr:`SourceFile.sort_key` order.
    containers : list of (str, pathlib.Path)
        Every input zip and loose CSV: its name as shown, and its path.
    notes : list of str
        Files skipped or ignored (the read adds its own notes).
    """

    entries: list[SourceFile]
    containers: list[tuple[str, Path]]
    notes: list[str]


def _classify(name: str, display: str, container: Path, member: str | None, inputs: Sources):
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
        SourceFile(kind, dt.date(year, month, 1), m["force"].lower(), display, container, member)
    )


def _scan_zip(path: Path, display: str, inputs: Sources) -> None:
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


def discover(sources) -> Sources:
    """The police.uk files among ``sources`` (see the module docstring).

    Parameters
    ----------
    sources : path or list of paths
        Zips, folders (searched recursively; zips inside are read) or loose CSV files.

    Returns
    -------
    Sources
        The files to read, in order, the inputs and notes on the files skipped.

    Raises
    ------
    csplib.core.errors.DataError
        For no sources, a missing path, a file that is not a zip, CSV or folder, an
        unreadable zip, a CSV name that is not a police.uk name, or two inputs with the
        same name.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = list(sources)
    if not sources:
        raise DataError("no police.uk sources given; expected zips, folders or CSV files")
    inputs = Sources([], [], [])
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


def hash_inputs(inputs: Sources, lookup_digest: str) -> str:
    """The read's cache key; also fills in the BLAKE3 digest of each loose CSV.

    Parameters
    ----------
    inputs : Sources
        The read's files (:func:`discover`); each input zip or loose CSV is hashed, in
        :data:`WORKERS` threads (BLAKE3 releases the GIL).
    lookup_digest : str
        BLAKE3 digest of the LSOA lookup's bytes.

    Returns
    -------
    str
        BLAKE3 hex digest of the version of the rules (:data:`CACHE_VERSION`), the lookup
        and every input's name and digest.
    """
    paths = [p for _, p in inputs.containers]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:  # blake3 releases the GIL
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


def read_bytes(entry: SourceFile, zips: dict) -> bytes:
    """The bytes of one file.

    Parameters
    ----------
    entry : SourceFile
        A loose file or a zip member.
    zips : dict
        Open :class:`zipfile.ZipFile` by path, shared by the read's threads; a zip not in
        it yet is opened and added.

    Returns
    -------
    bytes

    Raises
    ------
    csplib.core.errors.DataError
        For a zip member that cannot be extracted (corrupt archive, failed CRC check).
    """
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
