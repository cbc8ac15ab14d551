"""How robust a ranking is: the themes re-scored under randomly perturbed weights and breakpoints.

:func:`sensitivity_analysis` re-scores the themes under random perturbations of the weights
(each multiplied by U(1 - s, 1 + s), or Dirichlet draws around them) and of the breakpoints
(each moved by U(-f, f) times its indicator's mean band width), with a fixed seed. Per
theme it reports the median rank, the 90% range of ranks and the share of draws in the top
k. A theme is **robust** when its top-k membership (in or out) is the same as in the base
ranking in at least ``robust_share`` (90%) of draws; a theme whose rank flips under small
weight changes is not. The settings are the scheme's ``sensitivity``
(:class:`csplib.params.priorities.SensitivitySpec`).
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

__all__ = ["SensitivityResult", "sensitivity_analysis"]


@dataclass(frozen=True)
class SensitivityResult:
    """Ranks of the themes under perturbed weights and breakpoints.

    Attributes
    ----------
    summary : pandas.DataFrame
        Index ``theme`` (in base rank order): ``base_total``, ``base_rank``,
        ``median_rank``, ``rank_low`` and ``rank_high`` (5th and 95th percentiles: the 90%
        range), ``top_k_share`` (fraction of draws in the top k), ``agreement`` (fraction of
        draws whose top-k membership matches the base ranking) and ``robust``
        (agreement >= robust_share).
    ranks : pandas.DataFrame
        One row per draw, one column per theme.
    config : dict
        The sensitivity settings used and the scheme.
    """

    summary: pd.DataFrame
    ranks: pd.DataFrame
    config: dict

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


def sensitivity_analysis(indicators: pd.DataFrame, config=None, **settings) -> SensitivityResult:
    """How stable the ranking is under perturbed weights and breakpoints.

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
    _, _, total = score_draws(inp.values, cfg, crit_w, ind_w, bps)
    ranks = rank_totals(total)
    themes = inp.themes
    k = sens.top_k
    base_rank = base["rank"].reindex(themes).to_numpy()
    in_top = ranks <= k
    agree = (in_top == (base_rank <= k)[None, :]).mean(axis=0)
    summary = pd.DataFrame(
        {
            "base_total": base["total"].reindex(themes).to_numpy(),
            "base_rank": base_rank,
            "median_rank": np.median(ranks, axis=0),
            "rank_low": np.quantile(ranks, 0.05, axis=0, method="inverted_cdf").astype(int),
            "rank_high": np.quantile(ranks, 0.95, axis=0, method="inverted_cdf").astype(int),
            "top_k_share": in_top.mean(axis=0),
            "agreement": agree,
            "robust": agree >= sens.robust_share,
        },
        index=pd.Index(themes, name="theme"),
    ).loc[base.index]
    used = asdict(sens)
    return SensitivityResult(
        summary=summary,
        ranks=pd.DataFrame(ranks, columns=pd.Index(themes, name="theme")).rename_axis("draw"),
        config={"sensitivity": used, "scheme": cfg.to_dict()},
    )
