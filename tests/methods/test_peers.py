"""Open peer groups: a worked example by hand, missing features, and the shipped table."""

import math

import numpy as np
import pandas as pd
import pytest

from csplib.ingest.geography.partnerships import list_partnerships
from csplib.methods.peers import DEFAULT_WEIGHTS, most_similar, peer_table

FEATURES = "data/reference/peers/csp_features.csv"


def test_a_worked_example_by_hand():
    """Four areas, two features (a share, and population on a log scale)."""
    f = pd.DataFrame(
        {"population": [100_000.0, 200_000.0, 400_000.0, 100_000.0],
         "share_16_24": [10.0, 10.0, 10.0, 16.0]},
        index=["A", "B", "C", "D"],
    )  # fmt: skip
    # log2 population: 0, 1, 2, 0 (+ a constant): mean 0.75, sd sqrt(2.75 / 3) = 0.957
    # (z-scores do not depend on the log's base)
    sd_pop = math.sqrt(((0 - 0.75) ** 2 * 2 + 0.25**2 + 1.25**2) / 3)
    # share: 10, 10, 10, 16: mean 11.5, sd sqrt((3 * 1.5^2 + 4.5^2) / 3) = 3
    sd_share = 3.0
    d_ab = 1 / sd_pop  # one doubling apart, same share
    d_ad = 6 / sd_share  # same population, 6 points apart
    d_ac = 2 / sd_pop
    peers = most_similar(f, "A", n=3, weights={"population": 1.0, "share_16_24": 1.0})
    # B: 1 / 0.957 = 1.045; D: 6 / 3 = 2.0; C: 2 / 0.957 = 2.089
    assert peers["peer"].tolist() == ["B", "D", "C"]
    expected = {"B": d_ab, "C": d_ac, "D": d_ad}
    for row in peers.itertuples():
        assert row.distance == pytest.approx(expected[row.peer], rel=1e-12)
    # weights: doubling the share's weight brings D's difference in twice
    heavy = most_similar(f, "A", n=3, weights={"population": 1.0, "share_16_24": 2.0})
    assert heavy.set_index("peer").loc["D", "distance"] == pytest.approx(math.sqrt(2) * d_ad)
    assert heavy.set_index("peer").loc["D", "d_share_16_24"] == pytest.approx(
        math.sqrt(2) * 6 / sd_share
    )


def test_a_missing_feature_is_left_out_and_the_distance_scaled_up():
    f = pd.DataFrame(
        {"share_16_24": [10.0, 11.0, 14.0, 12.0], "share_most_deprived": [5.0, np.nan, 20.0, 5.0]},
        index=["wales", "w2", "e1", "e2"],
    )
    w = {"share_16_24": 1.0, "share_most_deprived": 1.0}
    peers = most_similar(f, "wales", n=3, weights=w).set_index("peer")
    sd = f["share_16_24"].std(ddof=1)
    # w2 lacks deprivation: only the share counts, scaled by 2 (the weights) / 1 (used)
    assert peers.loc["w2", "distance"] == pytest.approx(math.sqrt(2 * (1 / sd) ** 2))
    assert math.isnan(peers.loc["w2", "d_share_most_deprived"])


def test_the_shipped_features_cover_every_partnership_and_give_plausible_peers():
    f = pd.read_csv(FEATURES, index_col=0)
    partnerships = list_partnerships("data/reference")
    assert set(partnerships.index) <= set(f.index)
    assert f[list(DEFAULT_WEIGHTS)].drop(columns="share_most_deprived").notna().all().all()
    # England's deprivation only: the Welsh partnerships have none, every English one has it
    welsh = f.index.str.startswith("W")
    assert f.loc[welsh, "share_most_deprived"].isna().all()
    assert f.loc[~welsh, "share_most_deprived"].notna().all()
    table = peer_table(f, n=15)
    assert (table.groupby("area").size() == 15).all() and len(table) == 15 * len(f)
    assert (table["area"] != table["peer"]).all()
    # cities are most like cities; a Welsh rural county has peers too
    names = f["csp_name"]
    nottingham = f.index[names == "Nottingham"][0]
    near = set(names[most_similar(f, nottingham, n=10)["peer"]])
    assert {"Leicester", "Newcastle upon Tyne"} <= near
    anglesey = f.index[names == "Isle of Anglesey"][0]
    assert (most_similar(f, anglesey, n=5)["distance"] < 1.5).all()


def test_bad_requests_are_refused():
    f = pd.DataFrame({"population": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    with pytest.raises(KeyError, match="not an area"):
        most_similar(f, "z")
    with pytest.raises(ValueError, match="n must be"):
        most_similar(f, "a", n=0)
    with pytest.raises(ValueError, match="no feature column"):
        most_similar(f, "a", weights={"density": 1.0})
    with pytest.raises(ValueError, match="at least one above zero"):
        most_similar(f, "a", weights={"population": 0.0})
