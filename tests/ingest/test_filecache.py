"""The per-file cache of the police.uk reader: entries round-trip, keys tell files apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from csplib.core.schema import STREET_COLUMNS
from csplib.ingest.filecache import FileCache
from csplib.ingest.policeuk_rows import process_outcomes, process_street
from csplib.ingest.policeuk_sources import SourceFile
from csplib.ingest.policeuk_vintage import load_lookup

LSOA = "E01013810"
STREET = "\n".join(
    [
        ",".join(STREET_COLUMNS),
        f"a,2019-01,N,N,-1.1,52.9,On or near X,{LSOA},N 029D,Burglary,Under investigation,",
        f"a,2019-01,N,N,-1.1,52.9,On or near X,{LSOA},N 029D,Burglary,Under investigation,",
        ",2019-01,N,N,,,No Location,,,Anti-social behaviour,,",
    ]
).encode()
OUTCOMES = "\n".join(
    [
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Outcome type",
        f"a,2019-01,N,N,-1.1,52.9,On or near X,{LSOA},N 029D,Local resolution",
    ]
).encode()


def entry(kind="street", name="in/2019-01-notts-street.csv") -> SourceFile:
    return SourceFile(kind, dt.date(2019, 1, 1), "notts", name, Path(name), None)


@pytest.fixture
def cache(tmp_path):
    return FileCache(tmp_path / "policeuk_files", load_lookup(None).digest)


def test_street_entry_round_trips(cache):
    street = entry()
    result = process_street(STREET, street, load_lookup(None))
    assert cache.load(street, "d1") is None
    saved = cache.save(street, "d1", result)
    # the kept rows now live in the cache, as the part a read hard-links
    assert saved.kept is None and saved.part.parent == cache.path(street, "d1")
    loaded = cache.load(street, "d1")
    assert loaded.stored and loaded.info == result.info
    assert loaded.rejected.equals(result.rejected)
    assert pl.read_parquet(loaded.part).equals(result.kept)
    for got, want in zip(loaded.hashes, result.hashes, strict=True):
        np.testing.assert_array_equal(got, want)
    keys, counts, base, ids, codes = loaded.tally
    want_keys, want_counts, want_base, want_ids, want_codes = result.tally
    np.testing.assert_array_equal(keys // base, want_keys // want_base)  # categories
    np.testing.assert_array_equal(counts, want_counts)
    assert codes.to_list() == want_codes.to_list() == [LSOA]


def test_outcomes_entry_keeps_its_rows_in_memory(cache):
    outcomes = entry("outcomes", "in/2019-01-notts-outcomes.csv")
    result = process_outcomes(OUTCOMES, outcomes, load_lookup(None))
    assert cache.save(outcomes, "d1", result) is result
    loaded = cache.load(outcomes, "d1")
    assert loaded.stored and loaded.kept.equals(result.kept) and loaded.part is None


def test_keys_tell_files_apart_and_nothing_is_evicted(cache, tmp_path):
    street = entry()
    result = process_street(STREET, street, load_lookup(None))
    cache.save(street, "d1", result)
    # other bytes, another name (a new download) or another lookup: misses
    assert cache.load(street, "d2") is None
    assert cache.load(entry(name="new/2019-01-notts-street.csv"), "d1") is None
    other_lookup = FileCache(cache.folder, "another lookup")
    assert other_lookup.load(street, "d1") is None
    cache.save(street, "d2", result)
    assert len(list(cache.folder.iterdir())) == 2  # both entries kept
    assert cache.load(street, "d1") is not None


def test_a_damaged_entry_is_a_miss_and_is_removed(cache):
    street = entry()
    cache.save(street, "d1", process_street(STREET, street, load_lookup(None)))
    folder = cache.path(street, "d1")
    (folder / "codes.json").write_text("not json")
    assert cache.load(street, "d1") is None
    assert not folder.exists()
