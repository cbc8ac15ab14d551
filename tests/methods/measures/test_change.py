"""Change and direction of travel: the partnership's worked examples, the tests against
independent implementations (statsmodels), and simulated data with known truth."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import test_poisson_2indep as sm_poisson_2indep

from csplib.core.errors import DataError, ParamsError
from csplib.methods.measures import compute, load_framework
from csplib.methods.measures.change import (
    compare,
    compare_counts,
    compare_proportions,
    compare_survey,
)
from csplib.methods.measures.compared import compare_periods, compare_values
from csplib.methods.measures.registry import get_measure
from csplib.methods.measures.significance import poisson_test, survey_difference_ci

#: The worked example's framework: its targets (ASB: -25% against 2018/19).
PLAN = load_framework(Path(__file__).parents[3] / "parameters" / "nottingham" / "framework.yaml")

# -- the partnership's own table (report to scrutiny, Nov 2020, section 3.3) ---------------


def test_victim_based_crime_worked_example():
    c = compare_counts(
        31206,
        37486,
        measure="victim_based_crime",
        current_period="Sep 19 - Aug 20",
        previous_period="Sep 18 - Aug 19",
    )
    assert c.volume_change == -6280
    assert round(c.pct_change, 1) == -16.8
    assert c.significant and c.p_value < 1e-100
    assert c.arrow == "↓" and c.direction == "down"
    assert c.polarity == "lower_is_better"  # taken from the registry
    assert c.good is True and c.outcome == "good"
    assert c.test.name == "exact Poisson (conditional binomial)"


def test_asb_worked_example():
    c = compare_counts(18198, 14840, measure="asb_police_recorded")
    assert c.volume_change == 3358
    assert round(c.pct_change, 1) == 22.6
    assert c.arrow == "↑" and c.significant
    assert c.outcome == "bad" and c.good is False


def test_survey_worked_example():
    c = compare_survey(9.2, 2000, 8.5, 2000, measure="experience_of_asb")
    assert round(c.pp_change, 1) == 0.7
    assert c.volume_change is None
    # se = sqrt(.092*.908/2000 + .085*.915/2000) = 0.008981; 1.96 * se = 0.0176 > 0.007
    lo, hi = c.test.ci
    assert lo == pytest.approx(0.7 - 1.959964 * 0.898126, abs=1e-4)
    assert hi == pytest.approx(0.7 + 1.959964 * 0.898126, abs=1e-4)
    assert lo < 0 < hi
    assert not c.significant and c.arrow == "↔" and c.outcome == "no change"


def test_hate_crime_repeat_victims_worked_example():
    c = compare_counts(155, 174, measure="hate_crime_repeat_victims")
    assert c.volume_change == -19
    assert round(c.pct_change, 1) == -10.9
    # exact: P(X <= 155 or X >= 174 | X ~ Bin(329, 0.5)), computed independently below
    assert c.p_value == pytest.approx(0.3210, abs=1e-4)
    assert not c.significant and c.arrow == "↔"
    assert c.good is None and c.outcome == "no change"


def test_exact_poisson_p_value_by_direct_summation():
    from scipy.stats import binom

    n = 155 + 174
    pmf = binom.pmf(np.arange(n + 1), n, 0.5)
    observed = binom.pmf(155, n, 0.5)
    direct = pmf[pmf <= observed * (1 + 1e-7)].sum()
    assert poisson_test(155, 174)[0] == pytest.approx(direct, rel=1e-9)


# -- against independent implementations -------------------------------------------------


@pytest.mark.parametrize(
    "x1, x2, e1, e2",
    [(155, 174, 1, 1), (3, 12, 1, 1), (0, 5, 1, 1), (40, 20, 2.0, 1.0), (310, 290, 12, 11)],
)
def test_exact_test_matches_statsmodels_exact_conditional(x1, x2, e1, e2):
    ours, _ = poisson_test(x1, x2, e1, e2, method="exact")
    theirs = sm_poisson_2indep(x1, e1, x2, e2, method="exact-cond").pvalue
    assert ours == pytest.approx(theirs, rel=1e-9)


@pytest.mark.parametrize("x1, x2, e1, e2", [(155, 174, 1, 1), (1200, 1100, 1, 1), (40, 20, 2, 1)])
def test_normal_approximation_matches_statsmodels_score_test(x1, x2, e1, e2):
    ours, name = poisson_test(x1, x2, e1, e2, method="normal")
    theirs = sm_poisson_2indep(x1, e1, x2, e2, method="score").pvalue
    assert name == "Poisson (normal approximation)"
    assert ours == pytest.approx(theirs, rel=1e-9)


def test_normal_and_exact_agree_for_large_counts():
    exact, _ = poisson_test(10_150, 10_000, method="exact")
    normal, _ = poisson_test(10_150, 10_000, method="normal")
    assert abs(exact - normal) < 0.005  # no continuity correction: within half a percent
    assert poisson_test(10_150, 10_000, method="auto")[1].startswith("exact")


def test_two_proportion_matches_the_pooled_z_formula():
    x1, n1, x2, n2 = 29, 200, 40, 200
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    from scipy.stats import norm

    c = compare_proportions(x1, n1, x2, n2, measure="hate_crime_repeat_victim_share")
    assert c.p_value == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)
    assert c.current == 14.5 and c.previous == 20.0 and c.pp_change == pytest.approx(-5.5)
    assert c.volume_change is None and c.arrow == "↔"
    big = compare_proportions(290, 2000, 400, 2000, measure="hate_crime_repeat_victim_share")
    assert big.significant and big.arrow == "↓" and big.outcome == "good"


def test_survey_ci_matches_statsmodels_wald_difference():
    lo, hi = survey_difference_ci(184 / 2000, 2000, 170 / 2000, 2000)
    sm_lo, sm_hi = confint_proportions_2indep(184, 2000, 170, 2000, method="wald", compare="diff")
    assert (lo, hi) == pytest.approx((sm_lo, sm_hi), rel=1e-9)


def test_design_effect_widens_the_survey_interval():
    plain = compare_survey(9.2, 2000, 7.0, 2000, polarity="lower_is_better")
    weighted = compare_survey(9.2, 2000, 7.0, 2000, polarity="lower_is_better", design_effect=2)
    assert plain.significant and plain.arrow == "↑" and plain.outcome == "bad"
    assert not weighted.significant and weighted.arrow == "↔"
    assert "design effect 2" in weighted.test.name


# -- simulated data with known truth -----------------------------------------------------


def test_exact_poisson_test_keeps_its_size_and_has_power():
    rng = np.random.default_rng(20201104)
    same = rng.poisson(100, size=(2000, 2))
    rejections = np.mean([poisson_test(a, b)[0] < 0.05 for a, b in same])
    assert 0.02 < rejections <= 0.05 + 0.01  # exact conditional test is slightly conservative
    # a 50% rise from 100: z is about 50 / sqrt(250) = 3.2, so power about 0.88
    shifted = np.column_stack([rng.poisson(150, 500), rng.poisson(100, 500)])
    power = np.mean([poisson_test(a, b)[0] < 0.05 for a, b in shifted])
    assert 0.8 < power < 0.95


def test_survey_ci_covers_the_true_difference():
    rng = np.random.default_rng(7)
    p1, p2, n = 0.092, 0.085, 2000
    x1 = rng.binomial(n, p1, size=3000)
    x2 = rng.binomial(n, p2, size=3000)
    covered = [
        lo <= p1 - p2 <= hi
        for lo, hi in (
            survey_difference_ci(a / n, n, b / n, n) for a, b in zip(x1, x2, strict=True)
        )
    ]
    assert 0.935 < np.mean(covered) < 0.965


# -- polarity and outcomes ---------------------------------------------------------------


def test_polarity_decides_good_or_bad():
    up_good = compare_counts(1300, 1000, polarity="higher_is_better")
    assert up_good.arrow == "↑" and up_good.outcome == "good"
    neutral = compare_counts(1300, 1000, polarity="neutral")
    assert neutral.arrow == "↑" and neutral.good is None and neutral.outcome == "neutral"
    assert compare_counts(1300, 1000).polarity == "neutral"  # no measure, no polarity given
    with pytest.raises(ParamsError, match="polarity must be one of"):
        compare_counts(1, 2, polarity="up")


def test_zero_previous_has_no_percent_change():
    c = compare_counts(4, 0, polarity="lower_is_better")
    assert c.pct_change is None and c.volume_change == 4
    empty = compare_counts(0, 0, polarity="lower_is_better")
    assert empty.p_value == 1.0 and empty.arrow == "↔"


def test_bad_inputs_are_refused():
    with pytest.raises(ParamsError, match="whole number"):
        poisson_test(1.5, 2)
    with pytest.raises(ParamsError, match="alpha must be between 0 and 1"):
        compare_counts(1, 2, alpha=5)
    with pytest.raises(ParamsError, match="cannot exceed its denominator"):
        compare_proportions(5, 4, 1, 4)
    with pytest.raises(ParamsError, match="survey proportions must be between 0 and 1"):
        compare_survey(120, 100, 5, 100)


# -- comparing computed values -----------------------------------------------------------


def incidents(burglaries_per_month_a, burglaries_per_month_b):
    """24 months Sep 18 - Aug 20: the first year with a burglaries a month, the second b."""
    months = pd.date_range("2018-09-01", "2020-08-01", freq="MS")
    rows = []
    for i, m in enumerate(months):
        n = burglaries_per_month_a if i < 12 else burglaries_per_month_b
        rows += [(m, "Burglary")] * n + [(m, "Anti-social behaviour")]
    return pd.DataFrame(rows, columns=["month", "category"])


def test_compare_periods_against_previous_year():
    data = {"incidents": incidents(20, 15)}
    c = compare_periods("burglary", data, "Sep 19 - Aug 20")
    assert (c.current, c.previous) == (180, 240)
    assert c.previous_period == "Sep 18 - Aug 19"
    assert c.volume_change == -60 and c.pct_change == pytest.approx(-25.0)
    assert c.p_value == pytest.approx(poisson_test(180, 240)[0])
    assert c.arrow == "↓" and c.outcome == "good" and c.complete


def test_compare_periods_with_a_missing_month_compares_like_for_like():
    data = incidents(20, 15)
    gap = data[data["month"] != "2018-12-01"]  # Dec 2018 not published
    with pytest.raises(DataError, match="no rows at all for Dec 2018"):
        compare_periods("burglary", gap, "Sep 19 - Aug 20")
    c = compare_periods("burglary", gap, "Sep 19 - Aug 20", allow_incomplete=True)
    # Dec 2019 is left out too: 11 months of each year, not 180 against 220
    assert (c.current, c.previous) == (11 * 15, 11 * 20) and not c.complete
    assert c.p_value == pytest.approx(poisson_test(165, 220)[0])
    # a rate: the same months, the same residents
    rate = compare_periods(
        "all_crime_rate", gap, "Sep 19 - Aug 20", population=1000, allow_incomplete=True
    )
    assert rate.volume_change == 11 * 15 - 11 * 20
    # no month in common: refused, saying why
    alone = data[data["month"] >= "2019-09-01"]
    with pytest.raises(DataError, match="no data for Sep 18 - Aug 19"):
        compare_periods("burglary", alone, "Sep 19 - Aug 20", allow_incomplete=True)


def test_compare_values_of_complete_periods_is_compare():
    data = incidents(20, 15)
    m = get_measure("burglary")
    cur, prev = m.compute(data, "Sep 19 - Aug 20"), m.compute(data, "Sep 18 - Aug 19")

    def never(period, months):
        raise AssertionError("complete periods are not recomputed")

    out = compare_values(cur, prev, never, measure=m)
    assert out.comparison.kind == "complete" and out.current is cur and out.previous is prev
    assert out.change == compare(cur, prev, measure=m)


def test_compare_periods_against_an_explicit_period_and_baseline():
    data = {"incidents": incidents(20, 15)}
    c = compare_periods("burglary", data, "Q1 2020/21", against="Q1 2019/20")
    assert (c.current, c.previous) == (45, 60)
    with pytest.raises(ParamsError, match="has no target, so no baseline"):
        compare_periods("burglary", data, "Sep 19 - Aug 20", against="baseline")
    # the library sets no targets: a baseline comes from a framework
    with pytest.raises(ParamsError, match="'asb_police_recorded' has no target"):
        compare_periods("asb_police_recorded", data, "Sep 19 - Aug 20", against="baseline")
    # ASB's baseline in the plan is 2018/19, which starts before these data
    with pytest.raises(DataError, match="starts before the incidents data"):
        compare_periods(
            "asb_police_recorded",
            data,
            "Sep 19 - Aug 20",
            against="baseline",
            registry=PLAN.registry,
        )


def test_rates_use_population_as_exposure():
    data = incidents(20, 20)
    cur = compute("asb_rate", data, "Sep 19 - Aug 20", population=20_000)
    prev = compute("asb_rate", data, "Sep 18 - Aug 19", population=10_000)
    c = compare(cur, prev)
    assert (c.current, c.previous) == (0.6, 1.2)
    assert c.pct_change == pytest.approx(-50.0)
    assert c.volume_change == 0  # same count, the population doubled
    assert c.p_value == pytest.approx(poisson_test(12, 12, 20_000, 10_000)[0])
    assert c.unit == "rate_per_1000"


def test_incomplete_values_mark_the_change():
    data = incidents(20, 15)
    cur = compute("burglary", data, "Jan 20 - Dec 20", allow_incomplete=True)
    prev = compute("burglary", data, "Jan 19 - Dec 19")
    c = compare(cur, prev)
    assert not c.complete
    # exposure is the months with data: 8 months x 15 against 12 months (8 x 20 + 4 x 15)
    assert (c.current, c.previous) == (120, 220)
    assert c.p_value == pytest.approx(poisson_test(120, 220, 8, 12)[0])


def test_compare_refuses_different_measures():
    data = incidents(20, 15)
    a = compute("burglary", data, "Sep 19 - Aug 20")
    b = compute("asb_police_recorded", data, "Sep 18 - Aug 19")
    with pytest.raises(ParamsError, match="cannot compare burglary"):
        compare(a, b)


def test_to_dict_records_the_test():
    d = compare_counts(155, 174, measure="hate_crime_repeat_victims").to_dict()
    assert d["dot"] == "↔" and d["test"].startswith("exact Poisson")
    assert d["volume_change"] == -19 and not d["significant"]
