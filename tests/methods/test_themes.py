"""Themes: which rows a theme selects, from which table, and theme volumes."""

import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import DataError, DefinitionError
from csplib.core.schema import ASB
from csplib.methods.measures.change import compare_counts
from csplib.methods.themes import as_themes, in_period, theme_incidents, theme_volumes
from csplib.params import ThemeSpec

APR = pd.Timestamp("2019-04-01")


@pytest.fixture
def incidents():
    return pd.DataFrame(
        {
            "month": [APR] * 5,
            "category": [ASB, ASB, "Violence and sexual offences", "Burglary", "Robbery"],
            "crime_id": [None, None, "c1", "c2", "c3"],
        }
    )


@pytest.fixture
def partner():
    return pd.DataFrame(
        {
            "month": [APR] * 6,
            "category": [
                "Violence and sexual offences",
                "Violence and sexual offences",
                "Public order",
                "Burglary",
                "Criminal damage and arson",
                "Robbery",
            ],
            "hate": [True, False, True, False, pd.NA, False],
            "domestic": [False, True, False, False, True, False],
            "weapon": [True, False, False, False, False, True],
            "victim_id": ["V1", "V2", "V3", None, "V4", "V5"],
        }
    ).astype({"hate": "boolean"})


def test_category_theme_comes_from_incidents_even_with_partner(incidents, partner):
    rows = theme_incidents({"name": "Burglary", "categories": ["Burglary"]}, incidents, partner)
    assert len(rows) == 1 and rows.attrs["sources"] == ["incidents"]
    assert rows.index.tolist() == [3]  # original index kept


def test_flag_theme_comes_from_partner(incidents, partner):
    rows = theme_incidents({"name": "Hate crime", "flags": {"hate": True}}, incidents, partner)
    assert rows["category"].tolist() == ["Violence and sexual offences", "Public order"]
    assert rows.attrs["sources"] == ["partner"]


def test_categories_or_flags_count_each_crime_once(incidents, partner):
    theme = {
        "name": "Violence",
        "categories": ["Violence and sexual offences"],
        "flags": {"weapon": True},
    }
    rows = theme_incidents(theme, incidents, partner)
    # two V&SO crimes (one also weapon-flagged) + the weapon-flagged robbery
    assert rows.index.tolist() == [0, 1, 5]


def test_flags_are_combined_with_and(incidents, partner):
    rows = theme_incidents(
        {"name": "x", "flags": {"hate": True, "weapon": True}}, incidents, partner
    )
    assert rows.index.tolist() == [0]


def test_missing_flag_value_never_matches(incidents, partner):
    rows = theme_incidents({"name": "not hate", "flags": {"hate": False}}, incidents, partner)
    assert rows.index.tolist() == [1, 3, 5]  # row 4 (hate missing) is not "not hate"


def test_asb_in_a_flag_theme_comes_from_incidents(incidents, partner):
    theme = {"name": "ASB and hate", "categories": [ASB], "flags": {"hate": True}}
    rows = theme_incidents(theme, incidents, partner)
    assert rows["table"].tolist() == ["incidents", "incidents", "partner", "partner"]
    assert rows["category"].tolist()[:2] == [ASB, ASB]
    assert rows.index.tolist() == [0, 1, 2, 3]


def test_flags_without_partner(incidents, partner):
    with pytest.raises(DataError, match="'Hate crime' selects by flag\\(s\\) hate.*partner="):
        theme_incidents({"name": "Hate crime", "flags": {"hate": True}}, incidents)
    # a tidy table that carries the flags itself is enough
    rows = theme_incidents({"name": "Hate crime", "flags": {"hate": True}}, partner)
    assert len(rows) == 2


def test_false_flags_with_categories_are_refused():
    with pytest.raises(DefinitionError, match="'x': flags .* are all false"):
        theme_incidents(
            {"name": "x", "categories": ["Burglary"], "flags": {"domestic": False}},
            pd.DataFrame({"category": []}),
        )


def test_theme_definitions_are_checked():
    with pytest.raises(DefinitionError, match="theme 'x'.*categories"):
        as_themes([{"name": "x", "categories": ["Burglry"]}])
    with pytest.raises(DefinitionError, match="two themes are named 'x'"):
        as_themes(
            [{"name": "x", "categories": ["Burglary"]}, ThemeSpec(name="x", categories=["Robbery"])]
        )
    with pytest.raises(DefinitionError, match="at least one of 'categories' or 'flags'"):
        as_themes([{"name": "empty"}])


def test_period_filter(incidents):
    inc = pd.concat(
        [incidents, incidents.assign(month=pd.Timestamp("2020-04-01"))], ignore_index=True
    )
    rows = theme_incidents({"name": "ASB", "categories": [ASB]}, inc, period="2020/21")
    assert len(rows) == 2 and (rows["month"] == pd.Timestamp("2020-04-01")).all()


# ----------------------------------------------------------------------------- volumes
def _two_years(n_prev, n_cur, category="Burglary"):
    months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    base = pd.DataFrame({"month": months, "category": "Drugs"})  # every month has data
    prev = pd.DataFrame({"month": [pd.Timestamp("2018-06-01")] * n_prev, "category": category})
    cur = pd.DataFrame({"month": [pd.Timestamp("2019-06-01")] * n_cur, "category": category})
    out = pd.concat([base, prev, cur], ignore_index=True)
    return out.assign(month=pd.to_datetime(out["month"]))


def test_theme_volumes_change_and_test():
    inc = _two_years(40, 60)
    v = theme_volumes(
        {"b": {"name": "Burglary", "categories": ["Burglary"]}},
        inc,
        period="2019/20",
        population=20000,
    )
    row = v.loc["Burglary"]
    assert (row["count"], row["previous"], row["volume_change"]) == (60, 40, 20)
    assert row["pct_change"] == pytest.approx(50.0)
    assert row["p_value"] == pytest.approx(compare_counts(60, 40).p_value)
    assert row["rate_per_1000"] == pytest.approx(3.0)
    assert row["complete"] and row["source"] == "incidents"
    assert row["direction"] == ("up" if row["p_value"] < 0.05 else "none")


def test_theme_volumes_without_an_earlier_year():
    inc = _two_years(0, 5)
    inc = inc[inc["month"] >= "2019-04-01"]
    v = theme_volumes([{"name": "Burglary", "categories": ["Burglary"]}], inc, period="2019/20")
    assert v.loc["Burglary", "count"] == 5
    assert np.isnan(v.loc["Burglary", "previous"]) and not v.loc["Burglary", "complete"]
    assert np.isnan(v.loc["Burglary", "rate_per_1000"])


def _quarters(per_month: dict, missing=()):
    """Q1 2018 and Q1 2019, ``per_month[month]`` burglaries; ``missing`` months have no rows."""
    rows = []
    for month in pd.date_range("2018-01-01", "2019-03-01", freq="MS"):
        if f"{month:%Y-%m}" in missing:
            continue
        rows += [(month, "Drugs")]  # every month published has data
        rows += [(month, "Burglary")] * per_month.get(f"{month:%Y-%m}", 0)
    return pd.DataFrame(rows, columns=["month", "category"])


BURGLARY = [{"name": "Burglary", "categories": ["Burglary"]}]


def test_theme_volumes_compare_like_for_like_when_a_month_is_missing():
    per_month = {"2018-01": 30, "2018-02": 10, "2018-03": 10, "2019-02": 12, "2019-03": 14}
    v = theme_volumes(BURGLARY, _quarters(per_month, missing=["2019-01"]), period="Q1 2019")
    row = v.loc["Burglary"]
    # the totals keep every month they have, stated with their months
    assert (row["count"], row["months"]) == (26, "2 of 3 months")
    assert (row["previous"], row["previous_months"]) == (50, "all 3 months")
    # the change compares Feb-Mar with Feb-Mar: 26 against 20, not 26 against 50
    assert row["comparison"] == "like-for-like: Feb and Mar (2 of 3 months)"
    assert row["months_compared"] == 2 and not row["complete"]
    assert (row["count_compared"], row["previous_compared"]) == (26, 20)
    assert row["volume_change"] == 6 and row["pct_change"] == pytest.approx(30.0)
    assert row["p_value"] == pytest.approx(compare_counts(26, 20).p_value)
    assert v.attrs == {"period": "Q1 2019", "previous_period": "Q1 2018"}


def test_theme_volumes_drop_a_comparison_with_no_month_in_common():
    per_month = {"2018-01": 30, "2019-02": 12, "2019-03": 14}
    inc = _quarters(per_month, missing=["2018-02", "2018-03", "2019-01"])
    row = theme_volumes(BURGLARY, inc, period="Q1 2019").loc["Burglary"]
    assert (row["count"], row["previous"]) == (26, 30)
    assert row["comparison"] == "not compared: no month has data in both Q1 2019 and Q1 2018"
    assert row["months_compared"] == 0 and np.isnan(row["count_compared"])
    assert np.isnan(row["pct_change"]) and row["direction"] == "none"


def test_theme_volumes_of_complete_periods_compare_every_month():
    per_month = {"2018-01": 30, "2018-02": 10, "2018-03": 10, "2019-01": 5, "2019-02": 12}
    row = theme_volumes(BURGLARY, _quarters(per_month), period="Q1 2019").loc["Burglary"]
    assert row["comparison"] == "all 3 months" and row["complete"]
    assert (row["count"], row["count_compared"]) == (17, 17)
    assert (row["previous"], row["previous_compared"]) == (50, 50)
    assert row["p_value"] == pytest.approx(compare_counts(17, 50).p_value)
    # a month to exclude (flagged implausible) is left out of both years
    row = theme_volumes(BURGLARY, _quarters(per_month), period="Q1 2019", exclude=["2018-01"])
    row = row.loc["Burglary"]
    assert (row["count"], row["count_compared"], row["previous_compared"]) == (17, 12, 20)
    assert row["comparison"] == "like-for-like: Feb and Mar (2 of 3 months)"


def test_in_period_keeps_the_months_of_the_period(incidents):
    rows = pd.concat([incidents, incidents.assign(month=pd.Timestamp("2020-04-01"))])
    assert len(in_period(rows, "2019/20")) == len(incidents)
    assert in_period(rows, None) is rows
    text = rows.assign(month=rows["month"].dt.strftime("%Y-%m-%d"))  # dates as text parse
    assert len(in_period(text, "2020/21")) == len(incidents)
    with pytest.raises(DataError, match="partner have no 'month' column"):
        in_period(rows.drop(columns="month"), "2019/20", "partner")
