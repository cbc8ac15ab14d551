"""A partnership against its peers and England and Wales, from a national store."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from csplib.chapters import volume
from csplib.chapters.result import ChapterResult
from csplib.methods.peer_comparison import ALL_CRIME, compare_with_peers, comparison_sentence

FEATURES = pd.read_csv("data/reference/peers/csp_features.csv", index_col=0)
NOTTINGHAM, MANSFIELD = "E22000257", "E22000255"
MONTHS = pd.date_range("2018-10-01", periods=3, freq="MS")


def store(seed=0, *, missing=(), double=NOTTINGHAM):
    """Every partnership: Poisson counts at 6 crimes and 2 ASB incidents per 1,000 a month
    (varying 15% between areas), ``double`` at twice that; ``missing`` areas lack Oct."""
    rng = np.random.default_rng(seed)
    rows, present = [], []
    for area, pop in FEATURES["population"].items():
        level = rng.gamma(1 / 0.15**2, 0.15**2) * (2.0 if area == double else 1.0)
        for month in MONTHS:
            ok = not (area in missing and month == MONTHS[0])
            present.append({"area": area, "month": month, "present": ok})
            if ok:
                for category, rate in (("Burglary", 0.006), ("Anti-social behaviour", 0.002)):
                    rows.append({"area": area, "month": month, "category": category,
                                 "count": int(rng.poisson(level * rate * pop))})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(present)


def test_an_area_at_twice_the_rate_is_above_the_funnel_and_first_among_its_peers():
    counts, present = store()
    r = compare_with_peers(counts, present, FEATURES, NOTTINGHAM)
    row = r.table.loc[ALL_CRIME]
    mine = counts[counts["area"] == NOTTINGHAM]
    crimes = mine.loc[mine["category"] != "Anti-social behaviour", "count"].sum()
    assert row["count"] == crimes
    assert row["rate"] == pytest.approx(1000 * crimes / FEATURES.loc[NOTTINGHAM, "population"])
    crime = counts[counts["category"] != "Anti-social behaviour"]
    assert row["national_rate"] == pytest.approx(
        1000 * crime["count"].sum() / FEATURES["population"].sum()
    )
    peers = r.peers["peer"]
    peer_crime = crime[crime["area"].isin(peers)]["count"].sum()
    assert row["peers_rate"] == pytest.approx(
        1000 * peer_crime / FEATURES.loc[peers, "population"].sum()
    )
    assert row["funnel"] == "above 99.8%" and row["peer_rank"] == 1
    assert r.table.attrs["of"] == 16 and len(r.peers) == 15
    assert comparison_sentence(r).endswith("very unusual for its size), the highest of the 16.")
    # an ordinary area sits within the funnel
    ordinary = compare_with_peers(counts, present, FEATURES, MANSFIELD).table.loc[ALL_CRIME]
    assert ordinary["funnel"] in ("within", "above 95%", "below 95%")


def test_every_area_is_compared_over_the_same_months():
    counts, present = store(missing={MANSFIELD})
    r = compare_with_peers(counts, present, FEATURES, NOTTINGHAM)
    assert list(r.months) == list(MONTHS)
    assert r.left_out == ["Mansfield"]  # it lacks October: left out, not counted short
    assert "Mansfield" not in r.funnel.table.index
    # Mansfield itself is compared over its own two months, with everyone else
    own = compare_with_peers(counts, present, FEATURES, MANSFIELD)
    assert list(own.months) == list(MONTHS[1:]) and own.left_out == []
    with pytest.raises(KeyError, match="no month of data"):
        compare_with_peers(counts, present.assign(present=False), FEATURES, NOTTINGHAM)


def test_the_volume_chapter_shows_the_comparison_or_says_why_not(tmp_path):
    counts, present = store()
    counts.to_parquet(tmp_path / "counts.parquet")
    present.to_parquet(tmp_path / "present.parquet")
    area = SimpleNamespace(csp_code=NOTTINGHAM, la_codes=["E06000018"])
    data = SimpleNamespace(national=tmp_path, reference_dir=Path("data/reference"))
    result = ChapterResult("01_volume")
    volume._comparison(result, SimpleNamespace(area=area, data=data))
    table = result.table("comparison")
    assert table.frame.index[0] == ALL_CRIME and table.counts == ("count",)
    assert result.notes["comparison"][0].startswith("In Oct 2018 to Dec 2018, Nottingham recorded")
    assert "Leicester" in result.notes["comparison"][2]
    assert result.artefacts["comparison"].name == "Nottingham"
    none = ChapterResult("01_volume")
    volume._comparison(none, SimpleNamespace(area=area, data=SimpleNamespace(national=None)))
    assert none.notes["comparison"][0].startswith("No comparison with other partnerships")
    assert "comparison" not in none.tables
