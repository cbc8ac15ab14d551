"""The harm chapter, end to end on the default (synthetic) assessment.

The annex tables of ``03_harm`` are checked against the raw weights and offence-mix files
read here with plain pandas, and against the partner extract counted here independently.
"""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.chapters.result import load_result
from csplib.core.schema import ASB
from csplib.ingest.store import load_store
from csplib.params import load_params

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "parameters" / "default.yaml"
REF = REPO / "data" / "reference"


def _annex(run, name, **kwargs):
    return pd.read_csv(run / "tables" / f"03_harm__{name}.csv", **kwargs)


def _css_weights():
    """Home Office offence code -> CSS weight, read with plain pandas."""
    text = (REF / "harm" / "ons_css_weights_by_offence_code.csv").read_text(encoding="utf-8")
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
    raw = pd.read_csv(io.StringIO(body), dtype=str)
    out = {}
    for code, w in zip(raw["ho_offence_code"], raw["css_weight"].astype(float), strict=True):
        for part in [code, *code.split("/")]:
            out.setdefault(part.strip().upper(), w)
    return out


@pytest.fixture(scope="module")
def store():
    return load_store(load_params(DEFAULT))


def test_category_weights_are_consistent_with_the_code_weights(synthetic_run):
    cats = _annex(synthetic_run, "category_weights", index_col="category")
    codes = _annex(synthetic_run, "code_weights", dtype={"offence_code": str})
    css = _css_weights()
    # every code's weight in the annex is the CSS file's
    assert codes["weight"].to_numpy() == pytest.approx(codes["offence_code"].map(css).to_numpy())
    vso = cats.loc["Violence and sexual offences", "weight"]
    assert css["105A"] < vso < css["5D"]  # common assault < violence < GBH with intent
    # each category weight is the offence-mix average of its codes' weights
    weighted = codes[codes["weight"].notna()]
    for cat, part in weighted.groupby("category"):
        avg = (part["weight"] * part["offences"]).sum() / part["offences"].sum()
        assert cats.loc[cat, "weight"] == pytest.approx(avg, rel=1e-9), cat
    assert np.isnan(cats.loc[ASB, "weight"])  # no CSS weight: not zero


def test_css_equals_sum_of_count_times_weight_over_residents(synthetic_run, store):
    scores = _annex(synthetic_run, "crime_severity_score", index_col=0)
    css = _css_weights()
    partner = store.partner
    for _, row in scores.iterrows():
        fy = int(row["period"][:4])
        in_period = partner[
            (partner["month"] >= f"{fy}-04-01") & (partner["month"] < f"{fy + 1}-04-01")
        ]
        counts = in_period["offence_code"].str.strip().str.upper().value_counts()
        harm = float((counts * counts.index.map(css)).sum())
        assert row["crimes"] == len(in_period)
        assert row["harm"] == pytest.approx(harm, rel=1e-9)
        assert row["css"] == pytest.approx(harm / row["residents"], rel=1e-9)
    # the score is per resident: about 20 for the synthetic city (ONS scale, not per 1,000)
    assert 10 < scores.loc["assessed period", "css"] < 40


def test_harm_table_totals_and_shares(synthetic_run):
    t = _annex(synthetic_run, "harm_by_category", index_col="category")
    body = t.drop(index=["All", ASB])
    assert body["harm_share"].sum() == pytest.approx(100.0)
    assert body["volume_share"].sum() == pytest.approx(100.0)
    assert t.loc["All", "harm"] == pytest.approx(body["harm"].sum())
    assert np.isnan(t.loc[ASB, "harm"]) and t.loc[ASB, "weighted"] == 0
    scores = _annex(synthetic_run, "crime_severity_score", index_col=0)
    assert t.loc["All", "harm"] == pytest.approx(scores.loc["assessed period", "harm"])
    # violence carries far more harm than its volume (serious violence and sexual offences)
    assert t.loc["Violence and sexual offences", "harm_volume_ratio"] > 1.5
    assert t.loc["Shoplifting", "harm_volume_ratio"] < 0.2


def test_top_offence_codes_are_count_times_weight(synthetic_run):
    top = _annex(synthetic_run, "top_offence_codes", dtype={"offence_code": str})
    css = _css_weights()
    assert len(top) == 15 and top["harm"].is_monotonic_decreasing
    assert top["weight"].to_numpy() == pytest.approx(top["offence_code"].map(css).to_numpy())
    assert top["harm"].to_numpy() == pytest.approx((top["count"] * top["weight"]).to_numpy())


def test_css_change_and_yearly_trend(synthetic_run):
    scores = _annex(synthetic_run, "crime_severity_score", index_col=0)
    change = _annex(synthetic_run, "css_change", index_col=0).iloc[0]
    ratio = scores.loc["assessed period", "css"] / scores.loc["baseline", "css"]
    assert float(change["ratio"]) == pytest.approx(ratio)
    assert float(change["ci_low"]) < float(change["pct_change"]) < float(change["ci_high"])
    trend = _annex(synthetic_run, "harm_by_year", index_col="financial_year")
    assert trend.index[0] == "2014/15" and trend.index[-1] == "2024/25"
    # the partner extract has every month (its system does not share police.uk's August 2016
    # gap), so every year is complete
    assert trend["complete"].all()
    assert trend["css"].to_numpy() == pytest.approx((trend["harm"] / trend["residents"]).to_numpy())
    for role in ("assessed period", "baseline"):
        fy = scores.loc[role, "period"]
        assert trend.loc[fy, "css"] == pytest.approx(scores.loc[role, "css"])
    # the Covid-19 dip: crime fell about 37% at lockdown, and harm with it
    assert trend.loc["2020/21", "harm"] < 0.9 * trend.loc[["2019/20", "2021/22"], "harm"].min()


def test_theme_harm_shares_are_of_all_weighted_crime(synthetic_run, truth):
    themes = _annex(synthetic_run, "harm_by_theme", index_col="theme")
    by_cat = _annex(synthetic_run, "harm_by_category", index_col="category")
    vso = by_cat.loc["Violence and sexual offences"]
    assert themes.loc["Violence and sexual offences", "harm"] == pytest.approx(vso["harm"])
    assert themes.loc["Hate crime", "count"] == truth["partner"]["2024/25"]["hate_crimes"]
    assert np.isnan(themes.loc["Anti-social behaviour", "harm"])


def test_the_chapter_result_is_saved_with_its_findings(synthetic_run):
    result = load_result(synthetic_run, "03_harm")
    scores = _annex(synthetic_run, "crime_severity_score", index_col=0)
    assert result.headline["css"] == pytest.approx(scores.loc["assessed period", "css"])
    assert result.headline["css_baseline"] == pytest.approx(scores.loc["baseline", "css"])
    assert result.headline["weighted_by_offence_code"] is True
    assert result.findings and {f.evidence for f in result.findings} == {"03_harm"}
    stated = f"The Crime Severity Score was {result.headline['css']:,.2f} per resident"
    assert any(f.text.startswith(stated) for f in result.findings)
    assert set(result.figures) == {"share", "trend"}
    annex = sorted(p.name for p in (synthetic_run / "tables").glob("03_harm__*.csv"))
    assert sorted(f"03_harm__{name}.csv" for name in result.tables) == annex
