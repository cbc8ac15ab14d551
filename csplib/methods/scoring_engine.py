"""The scoring engine: indicator values to scores, criterion scores, totals and ranks.

Each indicator's value is scored on the scale by its breakpoints; a criterion scores the
weighted mean of its indicators' scores; the total is the weighted mean of the criterion
scores; themes are ranked by total (the rule in full: :mod:`csplib.methods.scoring`).
:func:`score_themes` scores the themes under the scheme's own weights;
:func:`score_draws` scores them under many weightings and breakpoints at once, which
:func:`csplib.methods.scoring_sensitivity.sensitivity_analysis` draws at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from csplib.core.errors import DataError
from csplib.params.priorities import IndicatorSpec, PriorityConfig, priority_config

__all__ = [
    "score_indicator",
    "score_themes",
    "ScoringInputs",
    "scoring_inputs",
    "weight_arrays",
    "score_draws",
    "rank_totals",
]


def _levels(values: np.ndarray, bps: np.ndarray) -> np.ndarray:
    """Number of breakpoints <= value: values (T,), breakpoints (D, B) -> (D, T)."""
    return (bps[:, None, :] <= values[None, :, None]).sum(axis=-1)


def score_indicator(values, spec: IndicatorSpec, *, scale=(1, 5)) -> pd.Series:
    """Map indicator values to scores on the scale (NaN stays NaN).

    Examples
    --------
    >>> from csplib.params.priorities import IndicatorSpec
    >>> spec = IndicatorSpec("x", "risk", "x", 1.0, (10, 20, 30, 40))
    >>> score_indicator(pd.Series([5, 10, 25, 99, None]), spec).tolist()
    [1.0, 2.0, 3.0, 5.0, nan]
    """
    s = pd.Series(values, dtype=float)
    bps = np.asarray(spec.breakpoints, dtype=float)[None, :]
    lv = _levels(np.nan_to_num(s.to_numpy(), nan=-np.inf), bps)[0].astype(float)
    score = scale[0] + lv if spec.direction == "higher_is_worse" else scale[1] - lv
    score[s.isna().to_numpy()] = np.nan
    return pd.Series(score, index=s.index, name=f"{spec.name}_score")


@dataclass
class ScoringInputs:
    """The indicator values of the themes, checked, as the engine scores them."""

    themes: pd.Index
    values: np.ndarray  # (T, I) values as scored (significance applied)
    shown: pd.DataFrame  # value columns for the table


def scoring_inputs(indicators: pd.DataFrame, cfg: PriorityConfig) -> ScoringInputs:
    """Check the indicators table against the scheme and apply its significance rules.

    Raises
    ------
    DataError
        No themes, a theme twice, a configured indicator (or its p-values) missing, a value
        that is not a number, or a missing value under ``missing: error``.
    """
    if not isinstance(indicators, pd.DataFrame):
        raise DataError("indicators must be a DataFrame with one row per theme")
    if indicators.index.has_duplicates:
        dup = indicators.index[indicators.index.duplicated()][0]
        raise DataError(f"indicators table has theme {dup!r} twice")
    if len(indicators) == 0:
        raise DataError("indicators table has no themes")
    shown = {}
    used = []
    for spec in cfg.indicators:
        if spec.name not in indicators.columns:
            raise DataError(
                f"indicators table has no column {spec.name!r} (criterion {spec.criterion}): "
                f"add it (NaN where unknown) or remove priorities.criteria.{spec.criterion}."
                f"{spec.name}"
            )
        col = pd.to_numeric(indicators[spec.name], errors="coerce")
        bad = col.isna() & indicators[spec.name].notna()
        if bad.any():
            theme = col.index[bad.to_numpy()][0]
            raise DataError(
                f"indicator {spec.name!r} of theme {theme!r} is not a number: "
                f"{indicators.loc[theme, spec.name]!r}"
            )
        shown[spec.name] = col.astype(float)
        value = col.astype(float)
        if spec.significance:
            if spec.significance not in indicators.columns:
                raise DataError(
                    f"indicators table has no column {spec.significance!r} (the p-values of "
                    f"{spec.name!r}, priorities.criteria.{spec.criterion}.{spec.name}.significance)"
                )
            p = pd.to_numeric(indicators[spec.significance], errors="coerce").astype(float)
            shown[spec.significance] = p
            value = value.where(~(p >= spec.alpha), 0.0)  # NaN p: not tested, value kept
            shown[f"{spec.name}_used"] = value
        used.append(value.to_numpy())
    values = np.column_stack(used)
    if cfg.missing == "error" and np.isnan(values).any():
        t, i = np.argwhere(np.isnan(values))[0]
        raise DataError(
            f"theme {indicators.index[t]!r} has no value for {cfg.indicators[i].name!r} "
            "(priorities.missing is 'error')"
        )
    return ScoringInputs(indicators.index, values, pd.DataFrame(shown, index=indicators.index))


def score_draws(values, cfg: PriorityConfig, crit_w, ind_w, bps_list, fill=None):
    """Scores of T themes under D draws of the weights and breakpoints.

    Parameters
    ----------
    values : numpy.ndarray
        (T, I) indicator values as scored (:attr:`ScoringInputs.values`).
    cfg : PriorityConfig
    crit_w, ind_w : numpy.ndarray
        (D, C) criterion weights and (D, I) indicator weights.
    bps_list : list of numpy.ndarray
        Per indicator, (D, B) breakpoints.
    fill : numpy.ndarray, optional
        Indicator scores (on the scale) to use instead of those of the values, broadcast to
        (D, T, I); NaN keeps the value's score. The sensitivity analysis fills the scales no
        theme has a value for with scores over their whole range.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Indicator scores (D, T, I), criterion scores (D, T, C) and totals (D, T).
    """
    n_draws = crit_w.shape[0]
    T, n_ind = values.shape
    ind_scores = np.empty((n_draws, T, n_ind))
    for i, spec in enumerate(cfg.indicators):
        v = values[:, i]
        lv = _levels(np.nan_to_num(v, nan=-np.inf), bps_list[i]).astype(float)
        s = cfg.scale_min + lv if spec.direction == "higher_is_worse" else cfg.scale_max - lv
        s[:, np.isnan(v)] = cfg.midpoint if cfg.missing == "midpoint" else np.nan
        ind_scores[:, :, i] = s
    if fill is not None:
        fill = np.broadcast_to(np.asarray(fill, dtype=float), ind_scores.shape)
        ind_scores = np.where(np.isnan(fill), ind_scores, fill)
    crit_scores = np.empty((n_draws, T, len(cfg.criteria)))
    for c, crit in enumerate(cfg.criteria):
        idx = [i for i, spec in enumerate(cfg.indicators) if spec.criterion == crit]
        s = ind_scores[:, :, idx]
        w = ind_w[:, None, idx] * ~np.isnan(s)
        den = w.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            crit_scores[:, :, c] = np.where(den > 0, np.nansum(s * w, axis=-1) / den, np.nan)
    w = crit_w[:, None, :] * ~np.isnan(crit_scores)
    den = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(den > 0, np.nansum(crit_scores * w, axis=-1) / den, np.nan)
    return ind_scores, crit_scores, total


def weight_arrays(cfg: PriorityConfig):
    """The scheme's criterion weights (1, C), indicator weights (1, I) and breakpoints (a
    (1, B) array per indicator): one draw, as :func:`score_draws` takes them."""
    crit_w = np.array([[cfg.weights[c] for c in cfg.criteria]], dtype=float)
    ind_w = np.array([[i.weight for i in cfg.indicators]], dtype=float)
    bps = [np.asarray(i.breakpoints, dtype=float)[None, :] for i in cfg.indicators]
    return crit_w, ind_w, bps


def rank_totals(total: np.ndarray) -> np.ndarray:
    """Ranks of the totals along the last axis, highest first; ties share the lower rank."""
    return rankdata(-total, axis=-1, method="min").astype(int)


def score_themes(indicators: pd.DataFrame, config=None) -> pd.DataFrame:
    """Score and rank themes: the table with every component visible.

    Parameters
    ----------
    indicators : pandas.DataFrame
        One row per theme (the index), one column per configured indicator (NaN where
        unknown) plus any ``significance`` columns (e.g. ``p_value``). See
        :func:`theme_indicators` to build it from the data.
    config : PriorityConfig or dict, optional
        Default: the shipped scheme; a dict overrides it (see :func:`load_priority_config`).

    Returns
    -------
    pandas.DataFrame
        Index ``theme``, sorted by rank. Columns: each indicator's value (and its p-value
        and ``<name>_used``, the value scored after the significance rule), each indicator's
        ``<name>_score``, each criterion's score (named after the criterion), ``total``
        (weighted mean of criterion scores), ``rank`` (1 = top priority) and ``missing``
        (indicators without a value). ``attrs["config"]`` records the configuration.

    Examples
    --------
    >>> from csplib.params.priorities import load_priority_config
    >>> cfg = load_priority_config({"weights": {"threat": 1, "harm": 1}, "criteria": {
    ...     "threat": {"change": {"breakpoints": [-10, -2.5, 2.5, 10]}},
    ...     "harm": {"severity": {"breakpoints": [20, 50, 150, 400]}}}}, use_defaults=False)
    >>> ind = pd.DataFrame({"change": [12.0, -5.0], "severity": [300.0, 500.0]},
    ...                    index=["Burglary", "Robbery"])
    >>> score_themes(ind, cfg)[["change_score", "severity_score", "total", "rank"]]
              change_score  severity_score  total  rank
    theme
    Burglary           5.0             4.0    4.5     1
    Robbery            2.0             5.0    3.5     2
    """
    cfg = priority_config(config)
    inp = scoring_inputs(indicators, cfg)
    crit_w, ind_w, bps = weight_arrays(cfg)
    ind_s, crit_s, total = score_draws(inp.values, cfg, crit_w, ind_w, bps)
    if np.isnan(total[0]).any():
        theme = inp.themes[np.isnan(total[0])][0]
        raise DataError(f"theme {theme!r} has no indicator with a value to score")
    out = inp.shown.copy()
    for i, spec in enumerate(cfg.indicators):
        out[f"{spec.name}_score"] = ind_s[0, :, i]
    for c, crit in enumerate(cfg.criteria):
        out[crit] = crit_s[0, :, c]
    out["total"] = total[0]
    out["rank"] = rank_totals(total[0])
    names = [spec.name for spec in cfg.indicators]
    out["missing"] = [
        ", ".join(n for n, v in zip(names, row, strict=True) if np.isnan(v)) for row in inp.values
    ]
    out.index.name = "theme"
    out = out.sort_values(["rank", "total"], ascending=[True, False], kind="stable")
    out.attrs = {"config": cfg.to_dict()}
    return out
