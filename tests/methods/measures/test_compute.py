"""Computing measures: every measure (the library's and the worked example's own) against a
hand count on a small fixture, period coverage (refusal of windows past the data or over a
missing month), indicators, rates, and measures an analyst adds in YAML."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.schema import ASB, CRIME_CATEGORIES, INDICATOR_COLUMNS, PARTNER_COLUMNS
from csplib.methods.measures import compute, get_measure, load_framework, load_registry

#: The worked example's framework: the library and its own measures (MARAC, fires, treatment).
PLAN = load_framework(Path(__file__).parents[3] / "parameters" / "nottingham" / "framework.yaml")
FY = pd.date_range("2019-04-01", "2020-03-01", freq="MS")  # financial year 2019/20
POPULATION = 50_000

# rows of each crime category inside 2019/20 (ASB: one a month, so every month has data)
CATEGORY_COUNTS = {
    "Bicycle theft": 1,
    "Burglary": 2,
    "Criminal damage and arson": 3,
    "Drugs": 4,
    "Other crime": 5,
    "Other theft": 6,
    "Possession of weapons": 7,
    "Public order": 8,
    "Robbery": 9,
    "Shoplifting": 10,
    "Theft from the person": 11,
    "Vehicle crime": 12,
    "Violence and sexual offences": 13,
    ASB: 12,
}


def make_incidents():
    rows = []
    for category, n in CATEGORY_COUNTS.items():
        for k in range(n):
            rows.append((FY[k % 12], category))
    # just outside the year on both sides: must not be counted
    rows += [
        (pd.Timestamp("2019-03-01"), "Burglary"),
        (pd.Timestamp("2019-03-01"), ASB),
        (pd.Timestamp("2020-04-01"), "Robbery"),
        (pd.Timestamp("2020-04-01"), ASB),
    ]
    df = pd.DataFrame(rows, columns=["month", "category"])
    df["lsoa"] = "E01013810"
    df["ward"] = "E05012277"
    df["source"] = "police.uk"
    df["crime_id"] = [None if c == ASB else f"c{i}" for i, c in enumerate(df["category"])]
    df["outcome"] = None
    return df


def partner_row(month, code, category, victim, *, hate=False, strand=None, dom=False, wpn=False):
    month = pd.Timestamp(month)
    return {
        "date": month + pd.Timedelta(days=9),
        "month": month,
        "offence_code": code,
        "category": category,
        "lsoa": "E01013810",
        "victim_id": victim,
        "hate": hate,
        "hate_strand": strand,
        "domestic": dom,
        "weapon": wpn,
    }


VSO = "Violence and sexual offences"


def make_partner():
    r = partner_row
    rows = [r(m, "46", "Shoplifting", f"F{i}") for i, m in enumerate(FY)]  # filler, every month
    rows += [
        # hate crime: V1 x3, V2 x2, V3, V4, V5 (+1 outside the year), one with no victim id
        r("2019-04-01", "8M", VSO, "V1", hate=True, strand="Race"),
        r("2019-06-01", "105B", VSO, "V1", hate=True, strand="Race"),
        r("2019-09-01", "9B", "Public order", "V1", hate=True, strand="Race"),
        r("2019-05-01", "8M", VSO, "V2", hate=True, strand="Religion"),
        r("2020-01-01", "58J", "Criminal damage and arson", "V2", hate=True, strand="Religion"),
        r("2019-07-01", "9B", "Public order", "V3", hate=True, strand="Sexual orientation"),
        r("2019-08-01", "105B", VSO, "V4", hate=True, strand="Race"),
        r("2019-10-01", "8M", VSO, "V5", hate=True, strand="Disability"),
        r("2019-03-01", "8M", VSO, "V5", hate=True, strand="Disability"),  # outside
        r("2019-11-01", "9B", "Public order", None, hate=True, strand="Race"),
        # domestic abuse: D1 x2, D2, D3 x3 (one with a weapon, GBH with intent), D4 (+1 outside)
        r("2019-04-01", "8N", VSO, "D1", dom=True),
        r("2019-12-01", "105A", VSO, "D1", dom=True),
        r("2019-05-01", "8L", VSO, "D2", dom=True),
        r("2019-06-01", "105A", VSO, "D3", dom=True),
        r("2019-08-01", "8Q", VSO, "D3", dom=True),
        r("2020-02-01", "5D", VSO, "D3", dom=True, wpn=True),
        r("2019-09-01", "105A", VSO, "D4", dom=True),
        r("2020-04-01", "105A", VSO, "D4", dom=True),  # outside
        # weapons and serious violence
        r("2019-07-01", "34B", "Robbery", "W1", wpn=True),  # robbery with a weapon: SV
        r("2019-07-01", "34A", "Robbery", "W2"),  # robbery without a weapon: not SV
        r("2019-10-01", "8N", VSO, "W3", wpn=True),  # assault with injury, weapon: not SV
        r("2019-11-01", "1/4.1/4.10/4.2", VSO, "W4"),  # homicide: SV
        r("2019-12-01", "4.10", VSO, "W5"),  # corporate manslaughter: SV
        r("2020-01-01", "5E", VSO, "W6"),  # endangering life: SV
        r("2020-02-01", "4.4", VSO, "W7"),  # death by dangerous driving: not SV
        r("2020-03-01", "10D", "Possession of weapons", "W8", wpn=True),  # bladed article
    ]
    df = pd.DataFrame(rows, columns=list(PARTNER_COLUMNS))
    return df


def ind(indicator, start, end, numerator, denominator=np.nan, area="E06000018"):
    return {
        "indicator": indicator,
        "area": area,
        "period_start": pd.Timestamp(start),
        "period_end": pd.Timestamp(end),
        "numerator": numerator,
        "denominator": denominator,
        "value": np.nan,
        "source": "test",
    }


def make_indicators():
    rows = [
        ind("survey_experience_asb", "2019-01-01", "2019-12-31", 184, 2000),
        ind("survey_experience_asb", "2018-01-01", "2018-12-31", 170, 2000),
        ind("treatment_numbers_adult", "2019-04-01", "2020-03-31", 1850),
        ind("treatment_numbers_adult", "2018-04-01", "2019-03-31", 1900),
        ind("treatment_numbers_young_people", "2019-04-01", "2020-03-31", 95),
        ind("treatment_successful_completions", "2019-04-01", "2020-03-31", 420, 1850),
        ind("treatment_successful_completions", "2018-04-01", "2019-03-31", 416, 1900),
    ]
    rows += [
        ind("marac_referrals", m, m + pd.offsets.MonthEnd(0), 30 + i) for i, m in enumerate(FY)
    ]
    quarters = pd.date_range("2019-04-01", "2020-01-01", freq="3MS")
    for q, n in zip(quarters, (120, 95, 80, 105), strict=True):
        rows.append(ind("secondary_fires", q, q + pd.offsets.MonthEnd(3), n))
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


@pytest.fixture(scope="module")
def data():
    return {
        "incidents": make_incidents(),
        "partner": make_partner(),
        "indicators": make_indicators(),
    }


# Hand counts from the fixture above: (period, expected value, extra arguments)
EXPECTED = {
    # victim-based: VSO 13 + robbery 9 + burglary 2 + vehicle 12 + theft from person 11
    #               + bicycle 1 + shoplifting 10 + other theft 6 + criminal damage 3
    "victim_based_crime": ("2019/20", 67, {}),
    "victim_based_crime_rate": ("2019/20", 67 / 50, {"population": POPULATION}),
    "all_crime": ("2019/20", 91, {}),  # 1 + 2 + ... + 13
    "all_crime_rate": ("2019/20", 91 / 50, {"population": POPULATION}),
    "bicycle_theft": ("2019/20", 1, {}),
    "burglary": ("2019/20", 2, {}),
    "criminal_damage_and_arson": ("2019/20", 3, {}),
    "drugs": ("2019/20", 4, {}),
    "other_crime": ("2019/20", 5, {}),
    "other_theft": ("2019/20", 6, {}),
    "possession_of_weapons": ("2019/20", 7, {}),
    "public_order": ("2019/20", 8, {}),
    "robbery": ("2019/20", 9, {}),
    "shoplifting": ("2019/20", 10, {}),
    "theft_from_the_person": ("2019/20", 11, {}),
    "vehicle_crime": ("2019/20", 12, {}),
    "violence_and_sexual_offences": ("2019/20", 13, {}),
    "asb_police_recorded": ("2019/20", 12, {}),
    "asb_rate": ("2019/20", 12 / 50, {"population": POPULATION}),
    # hate: V1 3 + V2 2 + V3 + V4 + V5 + one without victim id = 9 (V5's 2nd is outside)
    "hate_crime_volume": ("2019/20", 9, {}),
    "hate_crime_repeat_victims": ("2019/20", 2, {}),  # V1, V2
    "hate_crime_repeat_victim_share": ("2019/20", 40.0, {}),  # 2 of 5 identified victims
    "domestic_abuse_repeat_victims": ("2019/20", 2, {}),  # D1, D3 (D4's 2nd is outside)
    # robbery with weapon, 5D, homicide, 4.10, 5E
    "serious_violence": ("2019/20", 5, {}),
    "knife_weapon_crime": ("2019/20", 4, {}),  # 34B, 5D, 8N, 10D
    "experience_of_asb": ("2019", 9.2, {}),  # 184 / 2000
    "numbers_in_treatment_adult": ("2019/20", 1850, {}),
    "numbers_in_treatment_young_people": ("2019/20", 95, {}),
    "successful_completions": ("2019/20", 100 * 420 / 1850, {}),  # 22.70%
    "marac_referrals": ("2019/20", 426, {}),  # 30 + 31 + ... + 41
    "secondary_fires": ("2019/20", 400, {}),  # 120 + 95 + 80 + 105
}


@pytest.mark.parametrize("measure_id", sorted(PLAN.registry))
def test_every_registry_measure_matches_a_hand_count(measure_id, data):
    if measure_id not in EXPECTED:
        pytest.fail(f"measure '{measure_id}' has no hand-computed expectation in EXPECTED")
    period, expected, kwargs = EXPECTED[measure_id]
    value = compute(measure_id, data, period, registry=PLAN.registry, **kwargs)
    assert value.value == pytest.approx(expected, rel=1e-12)
    assert value.complete
    assert value.measure == measure_id
    assert value.period.label == period


def test_expectations_name_only_registry_measures():
    assert set(EXPECTED) == set(PLAN.registry)
    assert set(load_registry()) < set(PLAN.registry)  # the library, and the plan's own


def test_previous_year_counts_outside_rows(data):
    # rows just outside 2019/20 belong to the neighbouring years (which are incomplete)
    v = compute("asb_police_recorded", data, "2018/19", allow_incomplete=True)
    assert v.value == 1 and v.n_months == 1 and not v.complete
    assert v.coverage.describe().startswith("1 of 12 months")


def test_repeat_share_numerator_and_denominator(data):
    v = compute("hate_crime_repeat_victim_share", data, "2019/20")
    assert (v.numerator, v.denominator) == (2, 5)
    assert v.unit == "percentage" and v.test == "two_proportion"


def test_rate_needs_population(data):
    with pytest.raises(ParamsError, match="rate per 1,000 residents: pass population="):
        compute("asb_rate", data, "2019/20")
    v = compute("asb_rate", data, "2019/20", population={"2019/20": 40_000, "2018/19": 1})
    assert v.value == pytest.approx(12 / 40)
    assert v.numerator == 12 and v.population == 40_000
    with pytest.raises(ParamsError, match="no population given for 2020/21"):
        compute("asb_rate", data, "2020/21", population={"2019/20": 40_000})
    with pytest.raises(ParamsError, match="population must be positive"):
        compute("asb_rate", data, "2019/20", population=0)


# -- coverage: refusal or explicit marking -----------------------------------------------


def test_window_past_the_data_is_refused_naming_period_and_month(data):
    with pytest.raises(DataError) as err:
        compute("victim_based_crime", data, "Sep 19 - Aug 20")
    msg = str(err.value)
    assert "victim_based_crime" in msg and "Sep 19 - Aug 20" in msg
    assert "runs past the end" in msg and "May 2020" in msg


def test_missing_month_is_refused_but_zero_of_a_category_is_not():
    incidents = make_incidents()
    # November 2019 keeps only its ASB row: no burglary that month is not a missing month
    nov = incidents["month"] == pd.Timestamp("2019-11-01")
    trimmed = incidents[~nov | (incidents["category"] == ASB)]
    assert compute("bicycle_theft", trimmed, "2019/20").value == 1
    # with no rows at all in November the year is refused
    gap = incidents[~nov]
    with pytest.raises(DataError, match=r"period 2019/20: .*no rows at all for Nov 2019"):
        compute("bicycle_theft", gap, "2019/20")


def test_allow_incomplete_returns_a_flagged_value():
    incidents = make_incidents()
    gap = incidents[incidents["month"] != pd.Timestamp("2019-11-01")]
    v = compute("asb_police_recorded", gap, "2019/20", allow_incomplete=True)
    assert v.value == 11  # one ASB row in each of the 11 months left
    assert not v.complete and v.n_months == 11
    assert [f"{m:%Y-%m}" for m in v.coverage.missing] == ["2019-11"]


def test_months_present_argument_overrides_the_table():
    incidents = make_incidents()
    only_asb = incidents[incidents["category"] == ASB]
    # a source known to cover every month of the year, though these rows skip none
    v = compute("burglary", only_asb, "2019/20", months_present=FY)
    assert v.value == 0 and v.complete
    with pytest.raises(DataError, match="Mar 2020"):
        compute("burglary", only_asb, "2019/20", months_present=FY[:-1])


# -- indicators ---------------------------------------------------------------------------


def test_additive_indicator_refuses_a_missing_month(data):
    ind_df = data["indicators"]
    drop = (ind_df["indicator"] == "marac_referrals") & (
        ind_df["period_start"] == pd.Timestamp("2019-07-01")
    )
    with pytest.raises(DataError, match=r"marac_referrals.*Jul 2019"):
        compute(PLAN["marac_referrals"], ind_df[~drop], "2019/20")
    v = compute(PLAN["marac_referrals"], ind_df[~drop], "2019/20", allow_incomplete=True)
    assert v.value == 426 - 33 and v.n_months == 11


def test_additive_indicator_sums_inside_windows(data):
    assert compute(PLAN["marac_referrals"], data, "Q1 2019/20").value == 30 + 31 + 32
    assert compute(PLAN["secondary_fires"], data, "Q2 2019/20").value == 95


def test_indicator_row_straddling_the_period_is_named(data):
    with pytest.raises(DataError) as err:
        compute(PLAN["secondary_fires"], data, "Jun 19 - Aug 19")
    assert "cross the period's boundary" in str(err.value)
    assert "Apr 19 - Jun 19" in str(err.value)


def test_non_additive_indicator_needs_an_exact_row(data):
    with pytest.raises(DataError) as err:
        compute(PLAN["numbers_in_treatment_adult"], data, "Q1 2019/20")
    msg = str(err.value)
    assert "cannot be added up over time" in msg and "Q1 2019/20" in msg and "2019/20" in msg
    assert compute(PLAN["numbers_in_treatment_adult"], data, "2018/19").value == 1900
    assert compute(PLAN["successful_completions"], data, "2018/19").value == pytest.approx(
        100 * 416 / 1900
    )


def test_overlapping_additive_rows_are_refused(data):
    extra = pd.DataFrame([ind("marac_referrals", "2019-04-01", "2020-03-31", 999)])
    both = pd.concat([data["indicators"], extra], ignore_index=True)
    with pytest.raises(DataError, match="overlapping rows covering Apr 2019"):
        compute(PLAN["marac_referrals"], both, "2019/20")


def test_indicator_with_several_areas_needs_area(data):
    other = data["indicators"].assign(area="E06000015", numerator=lambda d: d["numerator"] * 2)
    both = pd.concat([data["indicators"], other], ignore_index=True)
    with pytest.raises(DataError, match=r"several areas \(E06000015, E06000018\); pass area="):
        compute(PLAN["secondary_fires"], both, "2019/20")
    assert compute(PLAN["secondary_fires"], both, "2019/20", area="E06000015").value == 800
    with pytest.raises(DataError, match="no rows for indicator 'secondary_fires' for area 'X'"):
        compute(PLAN["secondary_fires"], both, "2019/20", area="X")


def test_survey_value_carries_its_sample_size(data):
    v = compute("experience_of_asb", data, "2019")
    assert v.denominator == 2000 and v.test == "survey" and v.design_effect == 1.0


# -- data problems ------------------------------------------------------------------------


def test_missing_column_and_missing_table(data):
    partner = data["partner"].drop(columns=["victim_id"])
    with pytest.raises(DataError, match=r"hate_crime_repeat_victims' needs column\(s\) victim_id"):
        compute("hate_crime_repeat_victims", partner, "2019/20")
    with pytest.raises(ParamsError, match="reads the 'partner' table, but data has only incidents"):
        compute("hate_crime_volume", {"incidents": data["incidents"]}, "2019/20")


def test_flags_given_as_text(data):
    partner = data["partner"].copy()
    partner["hate"] = partner["hate"].map({True: "Y", False: "N"}).astype("str")
    assert compute("hate_crime_volume", partner, "2019/20").value == 9
    partner.loc[0, "hate"] = "maybe"
    with pytest.raises(DataError, match="column 'hate' should hold true/false flags"):
        compute("hate_crime_volume", partner, "2019/20")


def test_month_as_text_is_read(data):
    incidents = data["incidents"].assign(month=lambda d: d["month"].dt.strftime("%Y-%m"))
    assert compute("robbery", incidents, "2019/20").value == 9


def test_unknown_measure_suggests_close_ids():
    with pytest.raises(DefinitionError, match="unknown measure 'burglery'; did you mean burglary"):
        get_measure("burglery")


# -- measures added in YAML by an analyst ------------------------------------------------

ANALYST_YAML = """
measures:
  - id: race_hate_crime
    name: Race Hate Crime
    theme: Hate Crime
    source: partner
    unit: count
    polarity: neutral
    filter:
      flags: {hate: true}
      where: {hate_strand: Race}
    aggregation: count

  - id: domestic_share_of_violence
    name: "% of Violence that is Domestic"
    theme: Domestic & Sexual Violence & Abuse
    source: partner
    unit: percentage
    polarity: neutral
    filter: {flags: {domestic: true}}
    denominator: {categories: [Violence and sexual offences]}
    aggregation: share

  - id: hate_crime_victims
    name: Hate Crime Victims
    theme: Hate Crime
    source: partner
    unit: count
    polarity: neutral
    filter: {flags: {hate: true}}
    aggregation: distinct_victims

  - id: hate_victims_three_plus
    name: Hate Crime Victims with 3+ Crimes
    theme: Hate Crime
    source: partner
    unit: count
    polarity: lower_is_better
    filter: {flags: {hate: true}}
    aggregation: {kind: repeat_victims, min_crimes: 3}

  - id: violence_harm
    name: Violence Harm Score
    theme: Crime
    source: partner
    unit: harm_score
    polarity: lower_is_better
    filter: {categories: [Violence and sexual offences], flags: {domestic: true}}
    aggregation: harm_score

  - id: non_violent_crime
    name: Crime other than Violence
    theme: Crime
    source: incidents
    unit: count
    polarity: lower_is_better
    filter:
      category_group: all_crime
      exclude_categories: [Violence and sexual offences]
    aggregation: count

  - id: asb_police_recorded
    override: true
    name: Police Recorded ASB (local definition)
    theme: Anti-Social Behaviour
    source: incidents
    unit: count
    polarity: lower_is_better
    filter: {categories: [Anti-social behaviour], where: {source: police.uk}}
    aggregation: count
"""


@pytest.fixture(scope="module")
def analyst_registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("measures") / "my_measures.yaml"
    path.write_text(ANALYST_YAML, encoding="utf-8")
    return load_registry(path)


def test_analyst_yaml_measures_compute_by_hand(analyst_registry, data):
    reg = analyst_registry

    def value(mid, **kw):
        return compute(mid, data, "2019/20", registry=reg, **kw).value

    # race: V1 x3, V4, and the row without a victim id
    assert value("race_hate_crime") == 5
    # domestic violence rows 7 (all D* rows in the year are VSO) / VSO rows in the partner
    # extract: 5 hate VSO + 7 domestic + 8N, homicide, 4.10, 5E, 4.4 = 17
    assert value("domestic_share_of_violence") == pytest.approx(100 * 7 / 17)
    assert value("hate_crime_victims") == 5
    assert value("hate_victims_three_plus") == 1
    weights = {"8N": 10.0, "105A": 2.0, "8L": 3.0, "8Q": 4.0, "5D": 100.0}
    # D1: 8N + 105A, D2: 8L, D3: 105A + 8Q + 5D, D4: 105A
    harm = compute("violence_harm", data, "2019/20", registry=reg, weights=weights)
    assert harm.value == 10 + 2 + 3 + 2 + 4 + 100 + 2
    assert harm.variance == 100 + 4 + 9 + 4 + 16 + 10_000 + 4
    assert value("non_violent_crime") == 91 - 13
    # the override replaced the shipped definition, the other shipped measures remain
    assert reg["asb_police_recorded"].name == "Police Recorded ASB (local definition)"
    assert value("asb_police_recorded") == 12
    assert "victim_based_crime" in reg and len(reg) == len(load_registry()) + 6


def test_harm_score_needs_weights_for_every_code(analyst_registry, data):
    with pytest.raises(ParamsError, match="pass weights="):
        compute("violence_harm", data, "2019/20", registry=analyst_registry)
    with pytest.raises(DataError, match="no harm weight for offence code\\(s\\) 5D"):
        compute(
            "violence_harm",
            data,
            "2019/20",
            registry=analyst_registry,
            weights={"8N": 1, "105A": 1, "8L": 1, "8Q": 1},
        )


def test_share_with_empty_denominator_is_nan(analyst_registry, data):
    partner = data["partner"]
    no_violence = partner[partner["category"] != VSO]
    v = compute("domestic_share_of_violence", no_violence, "2019/20", registry=analyst_registry)
    assert math.isnan(v.value) and v.denominator == 0


def test_only_the_analyst_file(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(ANALYST_YAML.split("  - id: asb_police_recorded")[0], encoding="utf-8")
    reg = load_registry(path, include_shipped=False)
    assert sorted(reg) == sorted(
        [
            "race_hate_crime",
            "domestic_share_of_violence",
            "hate_crime_victims",
            "hate_victims_three_plus",
            "violence_harm",
            "non_violent_crime",
        ]
    )


def test_shipped_categories_cover_the_police_uk_list():
    reg = load_registry()
    singles = {
        m.filter.categories[0]
        for m in reg.values()
        if m.filter.categories is not None and len(m.filter.categories) == 1
    }
    assert singles == set(CRIME_CATEGORIES) | {ASB}
