"""Caches that heal themselves: a damaged cache entry is rebuilt from the raw files.

Every on-disk cache of the ingest is covered with real data (the 2024 Nottinghamshire zip of
``tests/fixtures/params/small.yaml``): the tidy store's frames (``cache/store``), the police.uk
read (``cache/policeuk/policeuk-<key>``) and the per-file cache (``cache/policeuk/
policeuk_files``). A truncated, garbled or missing file never fails a run: the tables equal
a clean read's, the quality report says what was rebuilt, and the entry is replaced. Killing
a cold read, or running three at once, leaves a cache that reads the same as a clean one.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import csplib.ingest.policeuk as policeuk
import csplib.ingest.policeuk_pipeline as pipeline
import csplib.ingest.store as store_module
from csplib.ingest.store import load_store
from csplib.params import load_params

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "fixtures" / "params" / "small.yaml"
ZIP = "data/police_uk/nottinghamshire_2024-01_2024-03.zip"
NOTE = "was unreadable and was rebuilt from the raw files."


def overrides(cache: Path) -> dict:
    return {"data": {"police_uk": [ZIP], "cache_dir": str(cache)}}


def read_store(cache: Path):
    """``load_store`` with its cache in ``cache``, not reusing the in-process memo."""
    store_module._MEMO.clear()
    return load_store(load_params(SMALL, overrides=overrides(cache)))


def assert_same_tables(got, want) -> None:
    pd.testing.assert_frame_equal(got.incidents, want.incidents)
    pd.testing.assert_frame_equal(got.conversion, want.conversion)
    pd.testing.assert_index_equal(got.months_present, want.months_present)
    for name, table in want.quality.tables().items():
        pd.testing.assert_frame_equal(got.quality.tables()[name], table)


def copy_cache(src: Path, dst: Path) -> None:
    """Copy a cache folder, keeping files that are hard links of each other linked."""
    first: dict[tuple[int, int], Path] = {}
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True)
            continue
        inode = (path.stat().st_dev, path.stat().st_ino)
        if inode in first:
            os.link(first[inode], target)
        else:
            shutil.copyfile(path, target)
            first[inode] = target


def truncate(path: Path) -> None:
    """Keep the first half of the file, in place (hard links see it too)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garble(path: Path) -> None:
    """Overwrite the file with as many bytes of garbage, in place."""
    size = path.stat().st_size
    path.write_bytes((bytes(range(7, 256)) * (size // 249 + 1))[:size])


def remove(path: Path) -> None:
    path.unlink()


@pytest.fixture(autouse=True)
def own_memo(monkeypatch):
    """Each test's ``load_store`` memo is its own (``read_store`` clears it)."""
    monkeypatch.setattr(store_module, "_MEMO", {})


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A clean cold read, and its cache folder (the template of the damaged copies)."""
    cache = tmp_path_factory.mktemp("clean") / "cache"
    store_module._MEMO.clear()
    clean_store = load_store(load_params(SMALL, overrides=overrides(cache)))
    store_module._MEMO.clear()
    return clean_store, cache


# ----------------------------------------------------------------------------- damaged entries

#: (cache, file damaged (a glob under the cache folder), damage, notes expected). An entry
#: of the file cache is read only when the read's own cache misses; so for those the read's
#: cache is deleted first. A read's incidents part is a hard link to a file cache entry's
#: kept rows: truncating it damages both, and both are rebuilt.
CASES = [
    ("store", "store/area-*/incidents.parquet", truncate, ["the area's police.uk incidents"]),
    ("store", "store/area-*/conversion.parquet", garble, ["the area's police.uk incidents"]),
    ("store", "store/area-*/rejected.parquet", remove, ["the area's police.uk incidents"]),
    ("store", "store/area-*/complete", garble, ["the area's police.uk incidents"]),
    ("read", "policeuk/policeuk-*/rejected.parquet", truncate, ["the police.uk read"]),
    ("read", "policeuk/policeuk-*/counts.parquet", garble, ["the police.uk read"]),
    ("read", "policeuk/policeuk-*/incidents/part-00002.parquet", remove, ["the police.uk read"]),
    ("read", "policeuk/policeuk-*/meta.json", truncate, ["the police.uk read"]),
    (
        "read",
        "policeuk/policeuk-*/incidents/part-00001.parquet",
        truncate,
        ["the police.uk read", "nottinghamshire_2024-01_2024-03.zip:2024-0"],
    ),
    ("files", "policeuk/policeuk_files/*/kept.parquet", truncate, ["nottinghamshire_2024"]),
    ("files", "policeuk/policeuk_files/*/arrays.npz", garble, ["nottinghamshire_2024"]),
    ("files", "policeuk/policeuk_files/*/rejected.arrow", remove, ["nottinghamshire_2024"]),
    ("files", "policeuk/policeuk_files/*/info.json", remove, ["nottinghamshire_2024"]),
]


def _forbid_rebuilding(monkeypatch, kind: str) -> None:
    """Make building the ``kind`` of cache entry fail: a read that needs it is no hit."""

    def fail(*args, **kwargs):
        raise AssertionError(f"the {kind} cache was built again")

    if kind == "store":
        monkeypatch.setattr(store_module, "_assign", fail)
    elif kind == "read":
        monkeypatch.setattr(policeuk, "ingest", fail)
    else:
        monkeypatch.setattr(pipeline, "process_street", fail)
        monkeypatch.setattr(pipeline, "process_outcomes", fail)


@pytest.mark.parametrize(
    ("kind", "pattern", "damage", "named"),
    CASES,
    ids=[f"{c[0]}-{c[1].rsplit('/', 1)[-1]}-{c[2].__name__}" for c in CASES],
)
def test_a_damaged_entry_is_rebuilt_with_a_note(
    tmp_path, monkeypatch, clean, kind, pattern, damage, named
):
    clean_store, template = clean
    cache = tmp_path / "cache"
    copy_cache(template, cache)
    if kind == "files":
        (read_cache,) = cache.glob("policeuk/policeuk-*")
        shutil.rmtree(read_cache)
    damaged = sorted(cache.glob(pattern))[0]
    damage(damaged)

    healed = read_store(cache)  # no exception
    assert_same_tables(healed, clean_store)
    notes = [n for n in healed.quality.notes if n not in clean_store.quality.notes]
    assert len(notes) == len(named)
    for note, name in zip(notes, named, strict=True):
        assert note.startswith(f"A cached copy of {name}") and note.endswith(NOTE), note
    assert not list(cache.rglob(".trash-*"))  # the damaged entry is gone

    # the entry was replaced: a third read finds it whole and builds nothing
    if kind == "files":
        (read_cache,) = cache.glob("policeuk/policeuk-*")
        shutil.rmtree(read_cache)
    _forbid_rebuilding(monkeypatch, kind)
    again = read_store(cache)
    assert_same_tables(again, clean_store)
    assert again.quality.notes == clean_store.quality.notes


# ----------------------------------------------------------------------------- killed reads

#: A cold ``load_store`` in a child process: it imports, says "ready", waits for a line on
#: stdin, reads, says "done".
CHILD = """
import json, sys
from csplib.ingest.store import load_store
from csplib.params import load_params
params = load_params(sys.argv[1], overrides=json.loads(sys.argv[2]))
print("ready", flush=True)
sys.stdin.readline()
load_store(params)
print("done", flush=True)
"""


def _start(cache: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(SMALL), json.dumps(overrides(cache))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _kill_when(child: subprocess.Popen, cache: Path, pattern: str | None, delay: float) -> bool:
    """Let ``child`` read, then SIGKILL it: when ``pattern`` (a glob of a temporary folder
    being written) first appears under ``cache``, or after ``delay`` seconds. Whether it was
    killed before it finished."""
    child.stdin.write("go\n")
    child.stdin.flush()
    start = time.monotonic()
    while time.monotonic() - start < delay and child.poll() is None:
        if pattern is not None and any(cache.glob(pattern)):
            break
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=60)
    return child.returncode == -signal.SIGKILL and "done" not in out


def test_a_killed_cold_read_then_a_read_gives_a_clean_reads_tables(tmp_path, clean):
    clean_store, _ = clean
    # kill while the file cache, the read's cache and the store's frames are being written,
    # and after a fixed delay
    triggers = [
        ("policeuk/policeuk_files/.tmp-*", 30.0),
        ("policeuk/.tmp-*", 30.0),
        ("store/*.tmp-*", 30.0),
        (None, 0.5),
    ]
    caches = [tmp_path / f"cache{i}" for i in range(len(triggers))]
    children = [_start(cache) for cache in caches]  # they import side by side
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        killed_mid_write = 0
        for child, cache, (pattern, delay) in zip(children, caches, triggers, strict=True):
            killed = _kill_when(child, cache, pattern, delay)
            if killed and [p for p in cache.rglob("*") if ".tmp-" in p.name]:
                killed_mid_write += 1  # a temporary folder was left half written
            store = read_store(cache)
            assert_same_tables(store, clean_store)
            assert store.quality.notes == clean_store.quality.notes  # nothing was damaged
        assert killed_mid_write >= 1
        # what the killed reads left half written is swept once it is stale, and only then
        left = [p for c in caches for p in c.rglob("*") if ".tmp-" in p.name]
        assert left
        read_store(caches[0])
        assert [p for p in left if p.exists()] == left  # fresh: perhaps still being written
        for path in left:
            os.utime(path, (0, 0))
        for cache in caches:
            assert_same_tables(read_store(cache), clean_store)
        assert not [p for c in caches for p in c.rglob("*") if ".tmp-" in p.name]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()


# ----------------------------------------------------------------------------- concurrent reads

_BARRIER = None


def _wait_at(barrier) -> None:
    global _BARRIER
    _BARRIER = barrier


def _cold_read(cache: str) -> dict:
    """A ``load_store`` started with the other workers' (in a spawned worker)."""
    _BARRIER.wait(timeout=120)
    store = read_store(Path(cache))
    return {
        "incidents": store.incidents,
        "conversion": store.conversion,
        "months": store.months_present,
        "notes": store.quality.notes,
        **store.quality.tables(),
    }


def test_three_concurrent_cold_reads_give_the_same_tables(tmp_path, clean):
    clean_store, _ = clean
    cache = tmp_path / "cache"
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(3)
    with ctx.Pool(3, initializer=_wait_at, initargs=(barrier,)) as pool:
        results = pool.map(_cold_read, [str(cache)] * 3, chunksize=1)
    for got in results:
        pd.testing.assert_frame_equal(got.pop("incidents"), clean_store.incidents)
        pd.testing.assert_frame_equal(got.pop("conversion"), clean_store.conversion)
        pd.testing.assert_index_equal(got.pop("months"), clean_store.months_present)
        assert got.pop("notes") == clean_store.quality.notes
        for name, table in clean_store.quality.tables().items():
            pd.testing.assert_frame_equal(got[name], table)
    # one entry of each, and no temporary copies left
    assert sorted(p.name.split("-")[0] for p in (cache / "store").iterdir()) == ["area"]
    assert len(list((cache / "policeuk").glob("policeuk-*"))) == 1
    assert not [p for p in cache.rglob("*") if ".tmp-" in p.name or ".trash-" in p.name]
    # and the cache they left reads the same
    assert_same_tables(read_store(cache), clean_store)


def test_a_machine_short_of_memory_or_files_keeps_its_cache(tmp_path):
    """Out of memory, file handles or permission: the entry is not known to be bad, so it is
    kept and the error shown, never a rebuild that could discard a healthy cache."""
    import errno

    from csplib.ingest.filecache import read_entry

    folder = tmp_path / "entry"
    folder.mkdir()
    (folder / "meta.json").write_text("{}")
    notes = []
    for exc in (MemoryError(), OSError(errno.EMFILE, "Too many open files"), PermissionError()):

        def load(_folder, exc=exc):
            raise exc

        with pytest.raises(type(exc)):
            read_entry(folder, "meta.json", load, what="x", notes=notes)
        assert folder.is_dir() and not notes
