"""The tidy store's parquet cache: reused when complete, safe when built by two processes."""

import multiprocessing as mp
import time
from pathlib import Path

import pandas as pd
import pytest

from csplib.core.errors import DataError
from csplib.ingest.store import _cached_frames, load_store
from csplib.params import load_params

REPO = Path(__file__).resolve().parents[2]


def _slow_build(folder: str) -> int:
    def build():
        time.sleep(0.5)  # both processes are building at once
        return {"t": pd.DataFrame({"x": [1, 2, 3]})}

    return int(_cached_frames(Path(folder), build)["t"]["x"].sum())


def test_two_processes_build_the_same_entry(tmp_path):
    folder = tmp_path / "entry"
    with mp.get_context("spawn").Pool(2) as pool:
        assert pool.map(_slow_build, [str(folder)] * 2) == [6, 6]
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]  # no temporary copies left
    assert (folder / "complete").is_file()


def test_a_complete_entry_is_reused_without_building(tmp_path):
    folder = tmp_path / "entry"
    _cached_frames(folder, lambda: {"t": pd.DataFrame({"x": [4]})})

    def fail():
        raise AssertionError("built again")

    assert _cached_frames(folder, fail)["t"]["x"].tolist() == [4]


def test_store_accounts_for_every_row(tmp_path):
    params = load_params(
        REPO / "tests" / "fixtures" / "params" / "small.yaml",
        overrides={
            "data": {
                "police_uk": ["data/police_uk/nottinghamshire_2024-01_2024-03.zip"],
                "cache_dir": str(tmp_path / "cache"),
            }
        },
    )
    store = load_store(params)
    rows = store.quality.to_frame()
    read = rows.loc[rows["reason"] == "read", "rows"].item()
    kept = rows.loc[rows["reason"] == "kept", "rows"].item()
    assert read == 28_393 and kept == len(store.incidents) == 11_645
    assert read == kept + rows.loc[~rows["reason"].isin(["read", "kept"]), "rows"].sum()
    assert (
        set(store.incidents["ward_name"].dropna())
        and store.incidents["lsoa"].str.fullmatch(r"E01\d{6}").all()
    )
    assert list(store.months_present.strftime("%Y-%m")) == ["2024-01", "2024-02", "2024-03"]
    # the area's rows by the force file they came from: all Nottinghamshire's, every month
    assert store.forces["force"].unique().tolist() == ["nottinghamshire"]
    assert store.forces["rows"].sum() == len(store.incidents)
    assert store.forces.set_index("month")["rows"].to_dict() == (
        store.incidents.groupby("month").size().to_dict()
    )
    assert store.area_months.equals(store.months_present)


def test_a_synthetic_source_not_yet_generated_is_named(tmp_path):
    params = load_params(REPO / "parameters" / "default.yaml")
    spec = params.data.synthetic.model_copy(update={"dir": tmp_path / "not-made"})
    params = params.model_copy(update={"data": params.data.model_copy(update={"synthetic": spec})})
    with pytest.raises(DataError, match=r"synthetic dataset of seed 2025 is not in .*not-made"):
        load_store(params)
