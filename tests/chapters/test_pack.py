"""The theme pack's key findings (csplib/chapters/pack.py), on Mansfield's LSOAs and wards:
what the findings state is worked out here from the simulated records, not from the pack."""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csplib.chapters import pack
from csplib.core.schema import ASB
from csplib.ingest.geography import Geography
from csplib.methods.models import CountTrend
from csplib.params import ThemeSpec, Window

MANSFIELD = "E07000174"


@pytest.fixture(scope="module")
def geo():
    return Geography("data/reference", la_codes=[MANSFIELD])


def simulate(geo, months, mean, *, seed=3):
    """Monthly Poisson counts of ASB, each record in a random LSOA of the area;
    ``mean`` maps a month to its expected count."""
    rng = np.random.default_rng(seed)
    codes = geo.lsoa_table.index.to_numpy()
    parts = []
    for month in months:
        n = int(rng.poisson(mean(month)))
        parts.append(pd.DataFrame({"month": month, "category": ASB, "lsoa": rng.choice(codes, n)}))
    return pd.concat(parts, ignore_index=True)


def assess(geo, inc, period):
    theme = ThemeSpec(name="Anti-social behaviour", categories=[ASB])
    params = SimpleNamespace(
        themes={"t": theme},
        assessment=SimpleNamespace(period=Window.parse(period)),
        thresholds=SimpleNamespace(suppress_below=5),
    )
    store = SimpleNamespace(
        incidents=inc, partner=None, months_present=sorted(inc["month"].unique()), geography=geo
    )
    return pack.assess(SimpleNamespace(params=params, store=store), "t")


def test_a_rising_theme_is_said_to_rise_with_its_count_rate_and_top_ward(geo):
    months = pd.date_range("2021-07-01", "2024-03-01", freq="MS")  # after the restrictions
    inc = simulate(geo, months, lambda m: 90 * 1.25 ** ((m - months[0]).days / 365.25))
    result = assess(geo, inc, "2023/24")
    texts = [f.text for f in result.findings]
    assert [f.evidence for f in result.findings] == [
        "01_volume",
        "02_threat",
        "02_threat",
        "05_places",
    ]

    now = inc[inc["month"] >= "2023-04-01"]
    then = inc[(inc["month"] >= "2022-04-01") & (inc["month"] < "2023-04-01")]
    residents = geo.population(2023)["population"].sum()
    assert stats.binomtest(len(now), len(now) + len(then)).pvalue < 0.001
    pct = 100 * (len(now) - len(then)) / len(then)
    assert texts[0] == (
        f"Anti-social behaviour: {len(now):,} incidents in 2023/24 "
        f"({len(now) / residents * 1000:,.1f} per 1,000 residents), {pct:.1f}% more than a "
        "year earlier, a significant rise."
    )
    # 25% a year planted: the stated rise and its interval
    rise = re.search(r"rose by about ([\d.]+)% a year \(95% CI ([\d.]+)% to ([\d.]+)%\)", texts[1])
    assert rise and float(rise[2]) <= 25 <= float(rise[3]) and 15 <= float(rise[1]) <= 35
    assert texts[1].startswith("Over the last 33 months with data (Jul 2021 to Mar 2024), ")
    assert texts[2].startswith("Latest month on the chart (Mar 2024): ")

    wards = now["lsoa"].map(geo.lsoa_table["ward_name"]).value_counts()
    top = wards.index[0]
    assert texts[3].startswith(
        f"{top} had the most: {wards.iloc[0]:,} incidents, "
        f"{wards.iloc[0] / len(now):.0%} of the theme"
    )


def test_a_window_starting_in_the_lockdowns_leaves_them_out_of_the_trend(geo):
    # flat at 100 a month, but at 40 in the restrictions (to Jun 2021): fitted with the
    # lockdown low at its start, the trend would be a steep rise
    months = pd.date_range("2020-04-01", "2023-03-01", freq="MS")
    low = months <= "2021-06-01"
    inc = simulate(geo, months, lambda m: 40 if m <= pd.Timestamp("2021-06-01") else 100, seed=8)
    result = assess(geo, inc, "2022/23")
    trend = next(f.text for f in result.findings if f.text.startswith("Over"))
    assert "without the Covid-19 restrictions" in trend
    assert "no significant trend" in trend
    assert result.headline["trend_months"] == int((~low).sum()) == 21
    assert "15 months of Covid-19 restrictions" in result.notes["trend"][0]
    naive = CountTrend(pack.theme_monthly(inc, months)).fit()
    assert naive.annual_change > 0.3 and naive.p_value < 0.001


def test_small_counts_are_said_as_fewer_than_with_no_rate_or_change(geo):
    months = pd.date_range("2022-04-01", "2024-03-01", freq="MS")
    rng = np.random.default_rng(1)
    inc = simulate(geo, months, lambda m: 8)
    few = inc[inc["month"] >= "2023-04-01"].sample(3, random_state=rng.integers(1_000))
    inc = pd.concat([inc[inc["month"] < "2023-04-01"], few])
    result = assess(geo, inc, "2023/24")
    assert result.findings[0].text == "Anti-social behaviour: fewer than 5 incidents in 2023/24."
    assert not any(f.evidence == "05_places" for f in result.findings)  # no ward reaches 5


def shipped_weights():
    """The shipped harm weights (Nottinghamshire's offence mix, Mansfield's force)."""
    from csplib.ingest.harm_weights import harm_weights_of
    from csplib.params import load_params

    return harm_weights_of(load_params("parameters/default.yaml"))


def partner_rows(geo, n, *, seed=5, **columns):
    """``n`` partner records in 2023/24, each in a random LSOA, with the given columns."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2023-04-01", "2024-03-01", freq="MS")
    rows = pd.DataFrame(
        {
            "month": rng.choice(months, n),
            "lsoa": rng.choice(geo.lsoa_table.index.to_numpy(), n),
            "category": "Violence and sexual offences",
            "hate": False,
            "domestic": False,
            "weapon": False,
            "hate_strand": None,
        }
    )
    for name, values in columns.items():
        rows[name] = values
    return rows


def assess_theme(geo, theme, partner):
    params = SimpleNamespace(
        themes={"t": theme},
        assessment=SimpleNamespace(period=Window.parse("2023/24")),
        thresholds=SimpleNamespace(suppress_below=5),
        harm=None,
    )
    inc = partner[["month", "lsoa", "category"]]
    store = SimpleNamespace(
        incidents=inc,
        partner=partner,
        months_present=sorted(partner["month"].unique()),
        geography=geo,
    )
    return pack.assess(SimpleNamespace(params=params, store=store), "t")


def test_a_hate_crime_pack_counts_each_strand_and_names_the_largest(geo, monkeypatch):
    monkeypatch.setattr(pack, "harm_weights_of", lambda params: shipped_weights())
    strands = ["race"] * 40 + ["religion"] * 12 + ["race;religion"] * 6 + [None] * 3
    partner = partner_rows(geo, len(strands), hate=True, hate_strand=strands)
    result = assess_theme(geo, ThemeSpec(name="Hate crime", flags={"hate": True}), partner)
    table = result.table("strands")
    assert table.frame["count"].to_dict() == {
        "race": 46,
        "religion": 18,
        "not recorded": 3,
    }
    # a crime with two strands counts under both: the rows are not a partition
    assert table.cells.partition is False
    assert table.frame.loc["race", "share"] == pytest.approx(100 * 46 / 61)
    said = [f.text for f in result.findings if "strand" in f.text]
    assert said == ["The strand recorded most often for hate crime in 2023/24 was race: 46 crimes, "
                    "75% of the total."]  # fmt: skip
    assert "weapon" not in result.tables


def test_a_weapons_pack_splits_flagged_crime_from_possession(geo, monkeypatch):
    monkeypatch.setattr(pack, "harm_weights_of", lambda params: shipped_weights())
    flag = [True] * 30 + [False] * 10 + [False] * 50
    category = (
        ["Violence and sexual offences"] * 30
        + ["Possession of weapons"] * 10
        + ["Violence and sexual offences"] * 50
    )
    partner = partner_rows(geo, len(flag), weapon=flag, category=category)
    theme = ThemeSpec(
        name="Serious violence", categories=["Possession of weapons"], flags={"weapon": True}
    )
    result = assess_theme(geo, theme, partner)
    table = result.table("weapon")
    # the 50 unflagged violent crimes are not in the theme
    assert table.frame["count"].tolist() == [30, 10]
    assert table.cells.partition is True
    said = [f.text for f in result.findings if "weapon flag" in f.text]
    assert said == ["30 of the serious violence crimes in 2023/24 carried a weapon flag (75%)."]
    assert "strands" not in result.tables
