"""How robust a ranking is: the themes re-scored under perturbed weights and breakpoints, and
over the whole range of every scale that was not scored.

:func:`sensitivity_analysis` re-scores the themes under random perturbations of the weights
(each multiplied by U(1 - s, 1 + s), or Dirichlet draws around them) and of the breakpoints
(each moved by U(-f, f) times its indicator's mean band width), with a fixed seed.

**Unscored scales.** A scale (indicator) that no theme has a value for, such as the
vulnerability or public-concern judgement when the parameters give none, is left out of the
base ranking (or scored at the midpoint, by the ``missing`` rule), but its true values are
unknown: scored, it could reorder the themes. So in each draw every theme's score on every
unscored scale is drawn uniformly from the whole scale (``scale_min`` to ``scale_max``), and
the two extremes are checked: a theme in the base top k keeps its place *whatever* the
unscored scales' values when it stays in the top k with its own unscored scores at the
lowest and every other theme's at the highest; a theme outside keeps it when it stays out
with its own at the highest and the others' at the lowest. Because the total is a weighted
mean with positive weights, these two cases bound every assignment of values.

Per theme it reports the median rank (unscored scales drawn at random), the 90% range of
ranks (from the 5th percentile of its best case to the 95th percentile of its worst case
over the unscored scales' range), the share of draws in the top k (drawn at random), and the
**agreement**: the share of draws in which its top-k membership (in or out) is the same as
in the base ranking whatever values the unscored scales take. A theme is **robust** when its
agreement is at least ``robust_share`` (90%): its place survives small changes to the
weights and breakpoints *and* the whole range of every unscored scale. With every scale
scored, the best and worst cases are the draw itself, and this is the plain share of draws.
The settings are the scheme's ``sensitivity`` (:class:`csplib.params.priorities.SensitivitySpec`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from csplib.methods.scoring_engine import (
    rank_totals,
    score_draws,
    score_themes,
    scoring_inputs,
    weight_arrays,
)
from csplib.params.priorities import SensitivitySpec, priority_config

__all__ = ["SensitivityResult", "sensitivity_analysis", "unscored_scales"]


@dataclass(frozen=True)
class SensitivityResult:
    """Ranks of the themes under perturbed weights and breakpoints.

    Attributes
    ----------
    summary : pandas.DataFrame
        Index ``theme`` (in base rank order): ``base_total``, ``base_rank``,
        ``median_rank``, ``rank_low`` and ``rank_high`` (5th percentile of the best-case and
        95th of the worst-case ranks over the unscored scales' range: the 90% range),
        ``top_k_share`` (fraction of draws in the top k), ``agreement`` (fraction of draws
        whose top-k membership matches the base ranking whatever the unscored scales'
        values) and ``robust`` (agreement >= robust_share).
    ranks : pandas.DataFrame
        One row per draw, one column per theme (unscored scales drawn at random).
    config : dict
        The sensitivity settings used, the scheme and the unscored scales.
    unscored : tuple of str
        The indicators no theme has a value for (with a weight above 0), whose whole range
        the analysis covers, in the scheme's order.
    """

    summary: pd.DataFrame
    ranks: pd.DataFrame
    config: dict
    unscored: tuple = ()

    @property
    def robust(self) -> list:
        """Themes whose top-k membership is robust."""
        return list(self.summary.index[self.summary["robust"]])

    @property
    def not_robust(self) -> list:
        """Themes whose top-k membership changes in too many draws."""
        return list(self.summary.index[~self.summary["robust"]])


def _perturb_weights(w: np.ndarray, groups, sens: SensitivitySpec, rng, n: int) -> np.ndarray:
    """(n, len(w)) perturbed copies of weights ``w``; Dirichlet draws within each group."""
    if sens.method == "uniform":
        s = sens.weight_spread
        return w[None, :] * rng.uniform(1 - s, 1 + s, size=(n, len(w)))
    out = np.tile(w, (n, 1))
    for idx in groups:
        idx = [i for i in idx if w[i] > 0]
        if len(idx) < 2:
            continue
        total = w[idx].sum()
        out[:, idx] = rng.dirichlet(sens.concentration * w[idx] / total, size=n) * total
    return out


def unscored_scales(values: np.ndarray, cfg) -> list[int]:
    """Positions of the indicators that no theme has a value for and that count (the
    indicator's and its criterion's weights are above 0).

    Examples
    --------
    >>> from csplib.params.priorities import load_priority_config
    >>> cfg = load_priority_config({"weights": {"a": 1}, "criteria": {"a": {
    ...     "x": {"breakpoints": [1, 2, 3, 4]}, "y": {"breakpoints": [1, 2, 3, 4]}}}},
    ...     use_defaults=False)
    >>> unscored_scales(np.array([[1.0, np.nan], [2.0, np.nan]]), cfg)
    [1]
    """
    blank = np.isnan(values).all(axis=0)
    return [
        i
        for i, spec in enumerate(cfg.indicators)
        if blank[i] and spec.weight > 0 and cfg.weights[spec.criterion] > 0
    ]


def _extreme_ranks(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst rank of each theme in each draw over the unscored scales' range.

    ``low`` and ``high`` are (D, T) totals with every unscored score at the lowest and the
    highest. A theme's best rank has its own at the highest and the others' at the lowest;
    its worst, the reverse (ties share the lower rank, as in the ranking).
    """
    n = low.shape[1]
    others = ~np.eye(n, dtype=bool)[None, :, :]
    best = 1 + ((low[:, None, :] > high[:, :, None]) & others).sum(axis=-1)
    worst = 1 + ((high[:, None, :] > low[:, :, None]) & others).sum(axis=-1)
    return best, worst


def sensitivity_analysis(indicators: pd.DataFrame, config=None, **settings) -> SensitivityResult:
    """How stable the ranking is under perturbed weights and breakpoints, and over the whole
    range of every unscored scale (see the module notes).

    Parameters
    ----------
    indicators : pandas.DataFrame
        As for :func:`score_themes`.
    config : PriorityConfig or dict, optional
    **settings
        Override the configuration's ``sensitivity`` settings: ``draws``, ``method``
        (``uniform`` or ``dirichlet``), ``weight_spread``, ``concentration``,
        ``breakpoint_shift``, ``top_k``, ``robust_share``, ``seed``. Setting
        ``weight_spread=0`` (uniform) or ``breakpoint_shift=0`` switches that part off.

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> from csplib.params.priorities import load_priority_config
    >>> cfg = load_priority_config({"weights": {"threat": 1, "harm": 1}, "criteria": {
    ...     "threat": {"change": {"breakpoints": [-10, -2.5, 2.5, 10]}},
    ...     "harm": {"severity": {"breakpoints": [20, 50, 150, 400]}}}}, use_defaults=False)
    >>> ind = pd.DataFrame({"change": [30.0, 0.0, -30.0], "severity": [900.0, 100.0, 10.0]},
    ...                    index=["Violence", "Vehicle crime", "Shoplifting"])
    >>> res = sensitivity_analysis(ind, cfg, draws=200, top_k=1)
    >>> res.summary[["base_rank", "median_rank", "robust"]]
                   base_rank  median_rank  robust
    theme
    Violence               1          1.0    True
    Vehicle crime          2          2.0    True
    Shoplifting            3          3.0    True

    With a third criterion that no theme has a value for, scored 1 to 5 it could put any
    theme first, so the top place is no longer robust:

    >>> cfg = load_priority_config({"weights": {"threat": 1, "harm": 1, "risk": 1},
    ...     "criteria": {"threat": {"change": {"breakpoints": [-10, -2.5, 2.5, 10]}},
    ...     "harm": {"severity": {"breakpoints": [20, 50, 150, 400]}},
    ...     "risk": {"vulnerability": {"breakpoints": [1.5, 2.5, 3.5, 4.5]}}}},
    ...     use_defaults=False)
    >>> res = sensitivity_analysis(ind.assign(vulnerability=np.nan), cfg, draws=200, top_k=1)
    >>> res.unscored, res.robust
    (('vulnerability',), ['Shoplifting'])
    """
    cfg = priority_config(config).with_sensitivity(**settings)
    sens = cfg.sensitivity
    base = score_themes(indicators, cfg)
    inp = scoring_inputs(indicators, cfg)
    rng = np.random.default_rng(sens.seed)
    crit_w0, ind_w0, bps0 = weight_arrays(cfg)
    n = sens.draws
    crit_groups = [list(range(len(cfg.criteria)))]
    ind_groups = [
        [i for i, s in enumerate(cfg.indicators) if s.criterion == c] for c in cfg.criteria
    ]
    crit_w = _perturb_weights(crit_w0[0], crit_groups, sens, rng, n)
    ind_w = _perturb_weights(ind_w0[0], ind_groups, sens, rng, n)
    bps = []
    for b in bps0:
        b = b[0]
        width = (b[-1] - b[0]) / (len(b) - 1) if len(b) > 1 else max(abs(b[0]), 1.0)
        shift = rng.uniform(-1, 1, size=(n, len(b))) * sens.breakpoint_shift * width
        bps.append(np.sort(b[None, :] + shift, axis=1))
    themes = inp.themes
    blank = unscored_scales(inp.values, cfg)
    if blank:  # drawn after the weights and breakpoints: the same draws of those as without
        shape = (n, len(themes), len(cfg.indicators))
        fill = np.full(shape, np.nan)
        levels = rng.integers(cfg.scale_min, cfg.scale_max + 1, size=(n, len(themes), len(blank)))
        fill[:, :, blank] = levels
        low, high = np.full(shape[1:], np.nan), np.full(shape[1:], np.nan)
        low[:, blank], high[:, blank] = cfg.scale_min, cfg.scale_max
        total = score_draws(inp.values, cfg, crit_w, ind_w, bps, fill=fill)[2]
        best, worst = _extreme_ranks(
            score_draws(inp.values, cfg, crit_w, ind_w, bps, fill=low)[2],
            score_draws(inp.values, cfg, crit_w, ind_w, bps, fill=high)[2],
        )
        ranks = rank_totals(total)
    else:
        ranks = rank_totals(score_draws(inp.values, cfg, crit_w, ind_w, bps)[2])
        best = worst = ranks
    k = sens.top_k
    base_rank = base["rank"].reindex(themes).to_numpy()
    in_top = ranks <= k
    base_in = (base_rank <= k)[None, :]
    agree = np.where(base_in, worst <= k, best > k).mean(axis=0)
    summary = pd.DataFrame(
        {
            "base_total": base["total"].reindex(themes).to_numpy(),
            "base_rank": base_rank,
            "median_rank": np.median(ranks, axis=0),
            "rank_low": np.quantile(best, 0.05, axis=0, method="inverted_cdf").astype(int),
            "rank_high": np.quantile(worst, 0.95, axis=0, method="inverted_cdf").astype(int),
            "top_k_share": in_top.mean(axis=0),
            "agreement": agree,
            "robust": agree >= sens.robust_share,
        },
        index=pd.Index(themes, name="theme"),
    ).loc[base.index]
    unscored = tuple(cfg.indicators[i].name for i in blank)
    return SensitivityResult(
        summary=summary,
        ranks=pd.DataFrame(ranks, columns=pd.Index(themes, name="theme")).rename_axis("draw"),
        config={"sensitivity": asdict(sens), "scheme": cfg.to_dict(), "unscored": list(unscored)},
        unscored=unscored,
    )
