"""The partnership's tables: the performance table of the Nov 2020 report (section 3.3) and
the TARGETS table of the Partnership Plan 2022-25, as numbers, display strings and HTML.

Their targets and wording are the worked example's framework's
(parameters/nottingham/framework.yaml); the measure library sets none."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import ParamsError
from csplib.methods.measures import (
    PERFORMANCE_COLUMNS,
    PerformanceRow,
    format_performance_table,
    format_targets_table,
    load_framework,
    load_registry,
    performance_frame,
    performance_table,
    performance_table_html,
    targets_table,
    targets_table_html,
    track_target,
)
from csplib.methods.measures.change import compare_counts, compare_proportions, compare_survey

NOTTS = load_framework(Path(__file__).parents[3] / "parameters" / "nottingham" / "framework.yaml")
SEP = "Sep 19 - Aug 20"
SEP_BEFORE = "Sep 18 - Aug 19"


def seed_changes():
    """The rows of the published table, from the numbers it reports."""
    return [
        compare_counts(31206, 37486, measure="victim_based_crime", current_period=SEP,
                       previous_period=SEP_BEFORE),
        compare_counts(18198, 14840, measure="asb_police_recorded", current_period=SEP,
                       previous_period=SEP_BEFORE),
        (
            compare_survey(9.2, 2000, 8.5, 2000, measure="experience_of_asb",
                           current_period="2019", previous_period="2018"),
            PerformanceRow("experience_of_asb", period_label="2019 Survey"),
        ),
        (
            compare_counts(155, 174, measure="hate_crime_repeat_victims", current_period=SEP,
                           previous_period=SEP_BEFORE),
            PerformanceRow("hate_crime_repeat_victims",
                           target="Reduce Repeat Victimisation by 10%"),
        ),
        # the plan's own measure: not in the library, so its polarity is given here
        compare_proportions(426, 2000, 438, 2000, measure="successful_completions",
                            polarity="higher_is_better", current_period="Jun 19 - May 20",
                            previous_period="Jun 18 - May 19"),
    ]  # fmt: skip


PUBLISHED = [
    ["Crime", "Reduce Crime", "Victim-Based Crime Volume", "31,206", SEP, "-16.8%", "-6,280",
     "↓ improving"],
    ["Anti-Social Behaviour", "Reduce ASB by 25%", "Volume of Police Recorded Incidents",
     "18,198", SEP, "+22.6%", "+3,358", "↑ deteriorating"],
    ["", "", "Experience of ASB", "9.2%", "2019 Survey", "+0.7pp", "n/a",
     "↔ no significant change"],
    ["Hate Crime", "Reduce Repeat Victimisation by 10%", "Volume of Repeat Victims", "155", SEP,
     "-10.9%", "-19", "↔ no significant change"],
    ["Substance Misuse", "Maintain Performance", "Successful Completions", "21.3%",
     "Jun 19 - May 20", "-0.6pp", "n/a", "↔ no significant change"],
]  # fmt: skip


def test_performance_table_reproduces_the_published_rows():
    df = performance_frame(seed_changes(), registry=NOTTS.registry)
    shown = format_performance_table(df)
    assert list(shown.columns) == list(PERFORMANCE_COLUMNS)
    assert shown.values.tolist() == PUBLISHED


def test_performance_table_keeps_numbers_numeric():
    df = performance_frame(seed_changes(), registry=NOTTS.registry)
    for col in ("Performance", "% Change", "Vol. Change", "Previous", "p-value"):
        assert pd.api.types.is_float_dtype(df[col]), col
    assert df.loc[0, "Performance"] == 31206 and df.loc[0, "Vol. Change"] == -6280
    assert df.loc[0, "% Change"] == pytest.approx(-6280 / 37486 * 100)
    assert df.loc[2, "% Change"] == pytest.approx(0.7) and np.isnan(df.loc[2, "Vol. Change"])
    assert df["change_unit"].tolist() == ["%", "%", "pp", "%", "pp"]
    assert df["Outcome"].tolist() == ["good", "bad", "no change", "no change", "no change"]
    assert df.loc[1, "Comparison Period"] == SEP_BEFORE
    assert df.index.name == "row"


def test_repeat_labels_option():
    frame = performance_frame(seed_changes(), registry=NOTTS.registry)
    shown = format_performance_table(frame, repeat_labels=True)
    assert shown.loc[2, "Area"] == "Anti-Social Behaviour"


def test_performance_html_is_escaped_and_coloured(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        """
measures:
  - id: scary
    name: "<script>alert('x')</script> & more"
    theme: "Domestic & Sexual Violence"
    source: incidents
    unit: count
    polarity: lower_is_better
    filter: {categories: [Burglary]}
    aggregation: count
""",
        encoding="utf-8",
    )
    reg = load_registry(path)
    changes = [
        compare_counts(31206, 37486, measure="victim_based_crime", current_period=SEP),
        compare_counts(18198, 14840, measure="asb_police_recorded", current_period=SEP),
        (compare_counts(5, 6, measure="scary", polarity="lower_is_better"),
         PerformanceRow(reg["scary"])),
    ]  # fmt: skip
    html = performance_table_html(performance_frame(changes, registry=reg), caption="Q2 <b>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "Domestic &amp; Sexual Violence" in html
    assert "Q2 &lt;b&gt;" in html
    assert "-16.8%" in html and "↓" in html
    # the DOT cells carry the outcome as a class, styled green / red
    assert 'class="data row0 col7 good"' in html
    assert 'class="data row1 col7 bad"' in html
    assert " td.good {\n  color: #1a7f37;" in html


def months_frame(start, end, rows_per_month):
    months = pd.date_range(start, end, freq="MS")
    out = []
    for m in months:
        for category, n in rows_per_month(m).items():
            out += [(m, category)] * n
    return pd.DataFrame(out, columns=["month", "category"])


def test_performance_table_computed_from_data():
    def per_month(m):
        later = m >= pd.Timestamp("2019-09-01")
        return {"Burglary": 30 if later else 40, "Anti-social behaviour": 25 if later else 20}

    incidents = months_frame("2018-04-01", "2020-08-01", per_month)
    survey = pd.DataFrame(
        {
            "indicator": "survey_experience_asb",
            "area": "E06000018",
            "period_start": pd.to_datetime(["2018-01-01", "2019-01-01"]),
            "period_end": pd.to_datetime(["2018-12-31", "2019-12-31"]),
            "numerator": [170.0, 184.0],
            "denominator": [2000.0, 2000.0],
            "value": np.nan,
            "source": "survey",
        }
    )
    data = {"incidents": incidents, "indicators": survey}
    rows = [
        "victim_based_crime",
        "asb_police_recorded",
        PerformanceRow("experience_of_asb", period="2019", period_label="2019 Survey"),
        PerformanceRow("asb_rate", population=330_000),
        PerformanceRow("asb_police_recorded", against="baseline", label="ASB against baseline"),
    ]
    df = performance_table(rows, data, SEP, registry=NOTTS.registry)
    shown = format_performance_table(df)
    # burglary 12 x 30 = 360 against 12 x 40 = 480; ASB 300 against 240
    assert df["Performance"].tolist()[:2] == [360, 300]
    changes = shown[["% Change", "Vol. Change", "DOT"]]
    assert changes.loc[0].tolist() == ["-25.0%", "-120", "↓ improving"]
    assert changes.loc[1].tolist() == ["+25.0%", "+60", "↑ deteriorating"]
    assert shown.loc[2, ["Performance", "Performance Period", "% Change"]].tolist() == [
        "9.2%",
        "2019 Survey",
        "+0.7pp",
    ]
    # rate: 300 / 330,000 x 1,000 = 0.909...
    assert df.loc[3, "Performance"] == pytest.approx(300 / 330)
    assert shown.loc[3, "Performance"] == "0.9" and shown.loc[3, "Vol. Change"] == "+60.0"
    # against the 2018/19 baseline: Apr 18 - Mar 19 = 12 x 20 = 240
    assert df.loc[4, "Comparison Period"] == "2018/19" and df.loc[4, "Previous"] == 240
    assert shown.loc[4, "Indicator"] == "ASB against baseline"


def test_incomplete_period_is_marked():
    incidents = months_frame("2018-09-01", "2020-06-01", lambda m: {"Burglary": 10})
    df = performance_table(["burglary"], {"incidents": incidents}, SEP, allow_incomplete=True)
    assert not df.loc[0, "Complete"]
    assert format_performance_table(df).loc[0, "Performance Period"] == f"{SEP} (incomplete)"


def test_table_errors():
    with pytest.raises(ParamsError, match="must name its measure"):
        performance_frame([compare_counts(1, 2, polarity="neutral")])
    with pytest.raises(ParamsError, match="no period for measure 'burglary'"):
        performance_table(["burglary"], {"incidents": pd.DataFrame()})
    with pytest.raises(ParamsError, match="not a performance table"):
        format_performance_table(pd.DataFrame({"a": [1]}))


# -- targets table -------------------------------------------------------------------------

YEARS = {
    "victim_based_crime": {"2018/19": 37486, "2019/20": 34747, "2020/21": 26009,
                           "2021/22": 32636},
    "hate_crime_repeat_victim_share": {"2018/19": 16.3, "2019/20": 13.5, "2020/21": 17.0,
                                       "2021/22": 14.1},
    "asb_police_recorded": {"2018/19": 14840, "2019/20": 15182, "2020/21": 20680,
                            "2021/22": 15891},
    "successful_completions": {"2018/19": 21.9, "2019/20": 22.7, "2020/21": np.nan,
                               "2021/22": 19.5},
}  # fmt: skip


def test_targets_table_in_the_published_layout():
    statuses = [track_target(NOTTS[m], values) for m, values in YEARS.items()]
    df = targets_table(statuses)
    shown = format_targets_table(df, status=False)
    assert list(shown.columns) == [
        "Target",
        "Measure",
        "Baseline (2018/19)",
        "2019/20",
        "2020/21",
        "2021/22",
        "2022/23",
    ]
    assert shown.values.tolist() == [
        ["Reduce Crime", "Victim-Based Crime Volume", "37,486", "34,747", "26,009", "32,636",
         "Awaiting data"],
        ["Reduce Repeat Victimisation by 10%", "% of Victims that are Repeats", "16.30%",
         "13.50%", "17.00%", "14.10%", "Awaiting data"],
        ["Reduce ASB by 25%", "Volume of Police Recorded Incidents", "14,840", "15,182",
         "20,680", "15,891", "Awaiting data"],
        ["Maintain Performance", "Successful Completions", "21.90%", "22.70%",
         "Awaiting data", "19.50%", "Awaiting data"],
    ]  # fmt: skip
    # numbers stay numeric
    assert pd.api.types.is_float_dtype(df["2019/20"]) and df.loc[2, "2020/21"] == 20680
    assert df["On Track"].tolist() == [True, True, False, False]
    assert df.loc[2, "Target Value"] == 11130


def test_targets_table_status_columns():
    statuses = [track_target(NOTTS[m], values) for m, values in YEARS.items()]
    shown = format_targets_table(targets_table(statuses))
    assert shown.loc[2, "On Track"] == "Not on track"
    assert shown.loc[2, "Target Value"] == "11,130"
    assert shown.loc[2, "Projected"] == "18,811"
    assert shown.loc[1, "Projected to Meet"] == "Yes"
    assert shown.loc[1, "Target Value"] == "14.67%"


def test_targets_table_with_different_baselines(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        """
measures:
  - id: burglary_target
    name: Burglary
    theme: Crime
    source: incidents
    unit: count
    polarity: lower_is_better
    filter: {categories: [Burglary]}
    aggregation: count
    target: {baseline: 2019/20, change: -10%, assessment: 2020/21 - 2021/22}
""",
        encoding="utf-8",
    )
    reg = load_registry(path)
    a = track_target(reg["burglary_target"], {"2019/20": 100, "2020/21": 95})
    b = track_target(NOTTS["asb_police_recorded"], YEARS["asb_police_recorded"])
    df = targets_table([a, b])
    assert "Baseline" in df.columns and "Baseline Period" in df.columns
    assert df["Baseline Period"].tolist() == ["2019/20", "2018/19"]
    shown = format_targets_table(df, status=False)
    assert shown.loc[0, "2021/22"] == "Awaiting data" and shown.loc[0, "Baseline"] == "100"
    html = targets_table_html(df, caption="Targets & progress")
    assert "Targets &amp; progress" in html and "14,840" in html
