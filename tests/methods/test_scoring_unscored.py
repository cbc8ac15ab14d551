"""Robustness over the scales that were not scored: a ranking is robust only if it survives
their whole range.

Checked against an independent brute force: every assignment of scores (1 to 5) to every
theme's blank scales, scored by hand from the scheme's weights. With the weights and
breakpoints held fixed, a theme is robust exactly when its top-k membership is the same under
every assignment; the share of random draws in the top k estimates the share of assignments.
"""

import itertools

import numpy as np
import pandas as pd

from csplib.chapters.priorities import chapter_result, prioritise, rank_range_title
from csplib.methods.scoring import (
    load_priority_config,
    score_themes,
    sensitivity_analysis,
    unscored_scales,
)

#: Threat, risk (vulnerability and public concern are the analyst's judgements; the share
#: of incidents in the top 10% of LSOAs is computed) and volume, equally weighted.
SCHEME = {
    "weights": {"threat": 1.0, "risk": 1.0, "volume": 1.0},
    "criteria": {
        "threat": {"pct_change": {"breakpoints": [-10, -2.5, 2.5, 10]}},
        "risk": {
            "vulnerability": {"breakpoints": [1.5, 2.5, 3.5, 4.5]},
            "public_concern": {"breakpoints": [10, 20, 30, 40]},
            "top10_share": {"breakpoints": [20, 30, 40, 50]},
        },
        "volume": {"rate": {"breakpoints": [2, 5, 10, 20]}},
    },
    "sensitivity": {"draws": 2000, "top_k": 2, "seed": 11},
}
BLANK = ["vulnerability", "public_concern"]


def _themes(b_threat: float) -> pd.DataFrame:
    """A clearly first; B and C near the top-2 line (B's threat decides how near); D last.
    Vulnerability and public concern are blank for every theme."""
    return pd.DataFrame(
        {
            "pct_change": [20.0, b_threat, 0.0, -20.0],  # scores 5, ?, 3, 1
            "vulnerability": np.nan,
            "public_concern": np.nan,
            "top10_share": [45.0, 35.0, 25.0, 10.0],  # 4, 3, 2, 1
            "rate": [25.0, 12.0, 12.0, 1.0],  # 5, 4, 4, 1
        },
        index=pd.Index(["A", "B", "C", "D"], name="theme"),
    )


def _brute_force(ind: pd.DataFrame, k: int) -> pd.DataFrame:
    """Share of all 5^(2T) assignments of the blank scales' scores in which each theme is in
    the top k, scored by hand: indicator score from the breakpoints, criterion score the mean
    of its indicators' scores (equal weights), total the mean of the criteria."""
    bands = {
        "pct_change": [-10, -2.5, 2.5, 10],
        "top10_share": [20, 30, 40, 50],
        "rate": [2, 5, 10, 20],
    }
    score = {
        c: 1 + (ind[c].to_numpy()[:, None] >= np.array(b)).sum(axis=1) for c, b in bands.items()
    }
    T = len(ind)
    grid = np.array(list(itertools.product(range(1, 6), repeat=2 * T)), dtype=float)
    vuln, concern = grid[:, :T], grid[:, T:]
    risk = (vuln + concern + score["top10_share"]) / 3
    total = (score["pct_change"] + risk + score["rate"]) / 3
    rank = 1 + (total[:, None, :] > total[:, :, None]).sum(axis=-1)  # ties share the lower rank
    return pd.DataFrame({"top_k_share": (rank <= k).mean(axis=0)}, index=ind.index)


def test_blank_scales_are_found_and_only_those():
    cfg = load_priority_config(SCHEME, use_defaults=False)
    ind = _themes(5.0)
    assert [
        cfg.indicators[i].name
        for i in unscored_scales(ind[[s.name for s in cfg.indicators]].to_numpy(), cfg)
    ] == BLANK
    # a scale with a value for one theme is scored (the others follow the missing rule)
    partly = ind.assign(vulnerability=[4.0, np.nan, np.nan, np.nan])
    assert sensitivity_analysis(partly, cfg, draws=10).unscored == ("public_concern",)
    # a scale of weight 0 cannot change the ranking, so it is not ranged
    zero = load_priority_config(
        {
            **SCHEME,
            "criteria": {
                **SCHEME["criteria"],
                "risk": {
                    **SCHEME["criteria"]["risk"],
                    "public_concern": {"breakpoints": [10, 20, 30, 40], "weight": 0},
                },
            },
        },
        use_defaults=False,
    )
    assert sensitivity_analysis(ind, zero, draws=10).unscored == ("vulnerability",)


def test_a_ranking_is_robust_only_if_it_survives_the_whole_range_of_the_blank_scales():
    """B's total is 4.0 against C's 3.0 with the blank scales left out; at worst (B's blank
    scales 1, C's 5) B's risk is 5/3 and C's 4, totals 3.56 and 3.67, so C can pass B."""
    robust = {"A": True, "B": False, "C": False, "D": True}
    cfg = load_priority_config(SCHEME, use_defaults=False)
    ind = _themes(20.0)
    base = score_themes(ind, cfg)
    assert base["rank"].to_dict() == {"A": 1, "B": 2, "C": 3, "D": 4}
    fixed = dict(weight_spread=0.0, breakpoint_shift=0.0)  # only the blank scales vary
    res = sensitivity_analysis(ind, cfg, **fixed)
    assert res.unscored == tuple(BLANK)
    truth = _brute_force(ind, k=2)
    survives = truth["top_k_share"].isin([0.0, 1.0])  # same membership under every assignment
    assert res.summary["robust"].to_dict() == robust == survives.to_dict()
    # the random draws estimate the share of assignments in the top 2 (2,000 draws: the
    # standard error is at most 1.1 points)
    np.testing.assert_allclose(
        res.summary["top_k_share"], truth["top_k_share"].reindex(res.summary.index), atol=0.04
    )
    # scored at their middle, the same blank scales leave every place robust to the weights:
    # the verdict above comes from their range, not from the weights
    scored = ind.assign(vulnerability=3.0, public_concern=25.0)
    plain = sensitivity_analysis(scored, cfg, weight_spread=0.1, breakpoint_shift=0.0)
    assert plain.unscored == () and plain.summary["robust"].all()


def test_a_ranking_that_survives_the_whole_range_is_still_robust():
    """B's lead is wide enough: at worst (its blank scales 1, C's 5) B's total is
    (5 + 5/3 + 5) / 3 = 3.89, C's at best (3 + 4 + 4) / 3 = 3.67."""
    cfg = load_priority_config(SCHEME, use_defaults=False)
    ind = _themes(20.0).assign(rate=[25.0, 25.0, 12.0, 1.0])
    res = sensitivity_analysis(ind, cfg, weight_spread=0.0, breakpoint_shift=0.0)
    truth = _brute_force(ind, k=2)
    assert (truth["top_k_share"] == [1.0, 1.0, 0.0, 0.0]).all()
    assert res.summary["robust"].all()
    assert res.summary["agreement"].tolist() == [1.0] * 4
    # the 90% range of ranks spans the best and worst cases over the blank scales
    assert res.summary.loc["B", ["rank_low", "rank_high"]].tolist() == [1, 2]
    # with the weights perturbed too, a place must survive both: here it does in most draws
    both = sensitivity_analysis(ind, cfg, weight_spread=0.2)
    assert both.summary.loc[["A", "D"], "robust"].all()


def test_with_nothing_blank_the_analysis_is_unchanged():
    """The blank scales are drawn after the weights and breakpoints, so a scheme with every
    scale scored gets exactly the draws it got before, and agreement is the plain share."""
    cfg = load_priority_config(
        {
            **SCHEME,
            "criteria": {
                **SCHEME["criteria"],
                "risk": {"top10_share": {"breakpoints": [20, 30, 40, 50]}},
            },
        },
        use_defaults=False,
    )
    ind = _themes(5.0).drop(columns=BLANK)
    res = sensitivity_analysis(ind, cfg, draws=500)
    k = 2
    in_top = res.ranks.to_numpy() <= k
    base_in = (res.summary["base_rank"].reindex(res.ranks.columns) <= k).to_numpy()
    plain = pd.Series((in_top == base_in).mean(axis=0), index=res.ranks.columns)
    pd.testing.assert_series_equal(
        res.summary["agreement"], plain.reindex(res.summary.index), check_names=False
    )
    assert res.unscored == ()


def test_the_page_names_the_unscored_scales_before_calling_anything_robust():
    months = pd.date_range("2022-04-01", "2025-03-01", freq="MS")
    rng = np.random.default_rng(5)
    n_b, n_d = rng.poisson(40 * 1.2 ** (np.arange(36) / 12)), rng.poisson(60, 36)
    inc = pd.DataFrame(
        {
            "month": np.concatenate([months.repeat(n_b), months.repeat(n_d)]),
            "category": ["Burglary"] * n_b.sum() + ["Drugs"] * n_d.sum(),
        }
    )
    themes = {
        "b": {"name": "Burglary", "categories": ["Burglary"]},
        "d": {"name": "Drugs", "categories": ["Drugs"]},
    }
    config = {"sensitivity": {"top_k": 1, "draws": 300}}
    res = prioritise(themes, inc, period="2024/25", population=1e5, config=config)
    assert {"vulnerability", "public_concern", "partnership_response"} <= set(
        res.sensitivity.unscored
    )
    result = chapter_result(res)
    texts = [f.text for f in result.findings]
    # the blank scales are named first; the recommendation, which they leave not robust
    assert texts[0].startswith(
        "Recommended priorities for 2024/25: with vulnerability, repeat victims, concentration "
        "beyond chance, public concern, harm per offence, share of harm and partnership "
        "response not scored for any theme, Burglary (score 4.0 of 5) (not robust: it could "
        "leave the top 1 under some values of the unscored scales or the weights"
    )
    assert not res.sensitivity.robust
    assert "vulnerability" in texts[0] and "public concern" in texts[0]
    sens = result.notes["sensitivity"][0]
    assert sens.startswith("Not scored for any theme: ")
    assert sens.index("public concern") < sens.index("A theme is robust")
    assert "whatever the unscored scales' values" in sens
    assert result.figures["rank_range"].startswith("With ")
    assert result.figures["rank_range"] == rank_range_title(
        res.robustness, 1, res.sensitivity.unscored
    )
    assert result.headline["unscored_scales"] == list(res.sensitivity.unscored)
    assert "Not scored for any theme" in result.notes["scored"][0]
    # judged for every theme, they are scored and no longer named
    judged = {
        **config,
        "judgements": {
            "vulnerability": {"b": 3, "d": 4},
            "public_concern": {"b": 20, "d": 35},
            "partnership_response": {"b": 3, "d": 3},
        },
    }
    res2 = prioritise(themes, inc, period="2024/25", population=1e5, config=judged)
    assert not {"vulnerability", "public_concern", "partnership_response"} & set(
        res2.sensitivity.unscored
    )
    first = chapter_result(res2).findings[0].text
    assert first.startswith("Recommended priorities for 2024/25: with repeat victims")
    assert "vulnerability" not in first
