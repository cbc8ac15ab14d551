"""Prioritisation: a transparent threat-risk-harm-volume scoring of themes, and its robustness.

The partnership chooses its priorities "based on an assessment of threat, risk, harm, volume
and the current partnership response". This module makes that assessment explicit and
repeatable, MoRiLE-style: every indicator, breakpoint and weight is a parameter
(``csplib/priorities_default.yaml`` ships the defaults and explains the rule; a parameters
file overrides any part under ``priorities:``).

1. Each **indicator** value is mapped to a score on the scale (default 1-5) by its
   breakpoints: ``min + #(breakpoints <= value)`` when higher is worse, ``max - #(...)``
   when lower is worse (a value on a breakpoint takes the upper band). An indicator may name
   a ``significance`` column of p-values: a change that is not significant at its ``alpha``
   is scored as no change (0); a missing p-value leaves the value as it is.
2. A **criterion** (threat, risk, harm, volume, response, or any the configuration names)
   scores the weighted mean of its indicators' scores.
3. The **total** is the weighted mean of the criterion scores, so it stays on the scale.
4. Themes are **ranked** by total, highest first (rank 1 = top priority; ties share the
   lower rank).

Missing values follow ``missing``: ``exclude`` (leave the indicator, or a criterion with
none, out and re-weight the rest), ``midpoint`` (score the middle of the scale) or
``error``.

**Partnership response**: the analyst's 1-5 judgement of the current response (capacity,
capability, confidence: MoRiLE's "organisational position") enters as a criterion whose
indicator is scored *lower is worse*: a strong response (5) scores 1, so it lowers the
priority; a weak one (1) scores 5.

**Judgements**: values that are not computed from the data (the partnership response,
vulnerability, public concern, or any indicator a configuration adds) are given under
``judgements:`` as ``<indicator>: {<theme id or name>: <value>}``; they are recorded with the
configuration and read by :mod:`csplib.prioritisation`.

**Sensitivity**: :func:`sensitivity_analysis` re-scores the themes under random
perturbations of the weights (each multiplied by U(1 - s, 1 + s), or Dirichlet draws around
them) and of the breakpoints (each moved by U(-f, f) times its indicator's mean band width),
with a fixed seed. Per theme it reports the median rank, the 90% range of ranks and the
share of draws in the top k. A theme is **robust** when its top-k membership (in or out)
is the same as in the base ranking in at least ``robust_share`` (90%) of draws; a theme
whose rank flips under small weight changes is not.

Examples
--------
>>> import pandas as pd
>>> cfg = load_priority_config({"criteria": {"risk": {"public_concern": None}}})
>>> [i.name for i in cfg.indicators if i.criterion == "risk"]
['vulnerability', 'repeat_victim_share', 'top10_share']
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field
from importlib import resources
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import rankdata

from csplib.errors import DataError, DefinitionError, ParamsError
from csplib.harm import theme_harm
from csplib.risk import concentration, repeat_victimisation
from csplib.themes import as_themes, theme_incidents, theme_volumes

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DIRECTIONS",
    "MISSING_RULES",
    "IndicatorSpec",
    "SensitivitySpec",
    "PriorityConfig",
    "load_priority_config",
    "score_indicator",
    "score_themes",
    "SensitivityResult",
    "sensitivity_analysis",
    "theme_indicators",
]

#: The shipped defaults (inside the package).
DEFAULT_CONFIG_FILE = "priorities_default.yaml"
DIRECTIONS = ("higher_is_worse", "lower_is_worse")
MISSING_RULES = ("exclude", "midpoint", "error")
_METHODS = ("uniform", "dirichlet")
_TOP_KEYS = ("scale", "missing", "weights", "criteria", "sensitivity", "judgements")
_INDICATOR_KEYS = ("label", "weight", "breakpoints", "direction", "significance", "alpha")
_SENSITIVITY_KEYS = (
    "draws",
    "method",
    "weight_spread",
    "concentration",
    "breakpoint_shift",
    "top_k",
    "robust_share",
    "seed",
)


# ----------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class IndicatorSpec:
    """One scored indicator: its criterion, weight, breakpoints and direction."""

    name: str
    criterion: str
    label: str
    weight: float
    breakpoints: tuple[float, ...]
    direction: str = "higher_is_worse"
    significance: str | None = None
    alpha: float = 0.05


@dataclass(frozen=True)
class SensitivitySpec:
    """Settings of the sensitivity analysis (see the module notes)."""

    draws: int = 1000
    method: str = "uniform"
    weight_spread: float = 0.2
    concentration: float = 100.0
    breakpoint_shift: float = 0.1
    top_k: int = 3
    robust_share: float = 0.9
    seed: int = 20190401


@dataclass(frozen=True)
class PriorityConfig:
    """A validated prioritisation scheme. Build it with :func:`load_priority_config`.

    Attributes
    ----------
    scale_min, scale_max : int
    missing : str
    weights : dict
        Criterion -> weight (>= 0).
    indicators : tuple of IndicatorSpec
        In criterion order.
    sensitivity : SensitivitySpec
    raw : dict
        The merged configuration as given (recorded with the results).
    judgements : dict
        Indicator -> {theme: value}: the analyst's values for indicators that are not
        computed from the data (e.g. ``partnership_response``, ``vulnerability``), keyed
        by theme id or theme name.
    """

    scale_min: int
    scale_max: int
    missing: str
    weights: dict
    indicators: tuple
    sensitivity: SensitivitySpec
    raw: dict = field(repr=False)
    judgements: dict = field(default_factory=dict)

    @property
    def criteria(self) -> list[str]:
        """Criterion names, in order."""
        return list(self.weights)

    @property
    def midpoint(self) -> float:
        return (self.scale_min + self.scale_max) / 2

    def to_dict(self) -> dict:
        """The configuration as plain data (for provenance)."""
        return copy.deepcopy(self.raw)


@functools.cache
def _default_text() -> str:
    return resources.files("csplib").joinpath(DEFAULT_CONFIG_FILE).read_text("utf-8")


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_number(x) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(float(x))


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


class _Checker:
    """Collects problems as ``<origin>.<key path>: <what was expected>``."""

    def __init__(self, origin: str):
        self.origin = origin
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(
            f"{self.origin}.{path}: {message}" if path else f"{self.origin}: {message}"
        )

    def mapping(self, value, path: str, allowed=None) -> dict:
        if not isinstance(value, dict):
            self.add(path, f"expected a mapping, got {value!r}")
            return {}
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.add(
                        f"{path}.{key}" if path else str(key),
                        f"unknown key; expected one of: {', '.join(allowed)}",
                    )
        return value

    def number(self, value, path: str, *, low=None, high=None, low_open=False) -> float | None:
        ok = _is_number(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value <= high
        if not ok:
            rule = "a number"
            if low is not None and high is not None:
                rule = f"a number {'>' if low_open else '>='} {low:g} and <= {high:g}"
            elif low is not None:
                rule = f"a number {'>' if low_open else '>='} {low:g}"
            self.add(path, f"expected {rule}, got {value!r}")
            return None
        return float(value)


def _validate(raw: dict, origin: str) -> PriorityConfig:
    ck = _Checker(origin)
    raw = ck.mapping(raw, "", _TOP_KEYS)
    for key in ("weights", "criteria"):
        if key not in raw:
            ck.add(key, "required key is missing")

    scale = ck.mapping(raw.get("scale", {"min": 1, "max": 5}), "scale", ("min", "max"))
    smin, smax = scale.get("min"), scale.get("max")
    if not _is_int(smin):
        ck.add("scale.min", f"expected a whole number, got {smin!r}")
    if not _is_int(smax):
        ck.add("scale.max", f"expected a whole number, got {smax!r}")
    scale_ok = _is_int(smin) and _is_int(smax)
    if scale_ok and smax <= smin:
        ck.add("scale.max", f"expected a whole number above scale.min ({smin}), got {smax!r}")
        scale_ok = False
    levels = smax - smin + 1 if scale_ok else None

    missing = raw.get("missing", "exclude")
    if missing not in MISSING_RULES:
        ck.add("missing", f"expected one of {', '.join(MISSING_RULES)}, got {missing!r}")

    weights_raw = ck.mapping(raw.get("weights", {}), "weights")
    criteria_raw = ck.mapping(raw.get("criteria", {}), "criteria")
    weights: dict[str, float] = {}
    for crit, w in weights_raw.items():
        value = ck.number(w, f"weights.{crit}", low=0)
        if value is not None:
            weights[crit] = value
        if crit not in criteria_raw:
            ck.add(f"weights.{crit}", f"no criterion {crit!r} under criteria")
    if weights and not any(v > 0 for v in weights.values()):
        ck.add("weights", "expected at least one weight above 0")

    indicators: list[IndicatorSpec] = []
    seen: dict[str, str] = {}
    for crit, block in criteria_raw.items():
        if crit not in weights_raw:
            ck.add(f"weights.{crit}", f"required key is missing (criterion {crit!r} has no weight)")
        block = ck.mapping(block, f"criteria.{crit}")
        if isinstance(block, dict) and not block:
            ck.add(f"criteria.{crit}", "expected at least one indicator")
        for name, spec in block.items():
            path = f"criteria.{crit}.{name}"
            if name in seen:
                ck.add(
                    path,
                    f"indicator {name!r} is already under criteria.{seen[name]}; "
                    "indicator names must be unique",
                )
                continue
            seen[name] = crit
            if not isinstance(spec, dict):
                ck.add(path, f"expected a mapping with breakpoints (and weight), got {spec!r}")
                continue
            spec = ck.mapping(spec, path, _INDICATOR_KEYS)
            weight = ck.number(spec.get("weight", 1.0), f"{path}.weight", low=0)
            bps = spec.get("breakpoints")
            good_bps = None
            if "breakpoints" not in spec:
                ck.add(f"{path}.breakpoints", "required key is missing")
            elif not isinstance(bps, list) or not all(_is_number(b) for b in bps):
                ck.add(f"{path}.breakpoints", f"expected a list of numbers, got {bps!r}")
            elif any(b2 <= b1 for b1, b2 in zip(bps, bps[1:], strict=False)):
                ck.add(f"{path}.breakpoints", f"expected strictly increasing numbers, got {bps}")
            elif levels is not None and len(bps) != levels - 1:
                ck.add(
                    f"{path}.breakpoints",
                    f"expected {levels - 1} breakpoints for a {smin}-{smax} scale, got {len(bps)}",
                )
            else:
                good_bps = tuple(float(b) for b in bps)
            direction = spec.get("direction", "higher_is_worse")
            if direction not in DIRECTIONS:
                ck.add(
                    f"{path}.direction",
                    f"expected one of {', '.join(DIRECTIONS)}, got {direction!r}",
                )
            sig = spec.get("significance")
            if sig is not None and (not isinstance(sig, str) or not sig.strip()):
                ck.add(f"{path}.significance", f"expected a column name, got {sig!r}")
            alpha = ck.number(
                spec.get("alpha", 0.05), f"{path}.alpha", low=0, high=1, low_open=True
            )
            label = spec.get("label", name)
            if not isinstance(label, str):
                ck.add(f"{path}.label", f"expected text, got {label!r}")
            if weight is not None and good_bps is not None and alpha is not None:
                indicators.append(
                    IndicatorSpec(
                        name,
                        crit,
                        str(label),
                        weight,
                        good_bps,
                        direction,
                        sig if isinstance(sig, str) else None,
                        alpha,
                    )
                )
    for crit in criteria_raw:
        members = [i for i in indicators if i.criterion == crit]
        if members and not any(i.weight > 0 for i in members):
            ck.add(f"criteria.{crit}", "expected at least one indicator weight above 0")

    sens_raw = ck.mapping(raw.get("sensitivity", {}), "sensitivity", _SENSITIVITY_KEYS)
    default = SensitivitySpec()
    s = {k: sens_raw.get(k, getattr(default, k)) for k in _SENSITIVITY_KEYS}
    if not _is_int(s["draws"]) or s["draws"] < 1:
        ck.add("sensitivity.draws", f"expected a whole number >= 1, got {s['draws']!r}")
    if s["method"] not in _METHODS:
        ck.add("sensitivity.method", f"expected one of {', '.join(_METHODS)}, got {s['method']!r}")
    ck.number(s["weight_spread"], "sensitivity.weight_spread", low=0, high=1)
    ck.number(s["concentration"], "sensitivity.concentration", low=0, low_open=True)
    ck.number(s["breakpoint_shift"], "sensitivity.breakpoint_shift", low=0, high=1)
    if not _is_int(s["top_k"]) or s["top_k"] < 1:
        ck.add("sensitivity.top_k", f"expected a whole number >= 1, got {s['top_k']!r}")
    ck.number(s["robust_share"], "sensitivity.robust_share", low=0, high=1, low_open=True)
    if not _is_int(s["seed"]) or s["seed"] < 0:
        ck.add("sensitivity.seed", f"expected a whole number >= 0, got {s['seed']!r}")

    judgements: dict[str, dict[str, float]] = {}
    judg_raw = ck.mapping(raw.get("judgements", {}), "judgements")
    for name, values in judg_raw.items():
        path = f"judgements.{name}"
        if name not in seen:
            ck.add(
                path,
                f"no indicator {name!r} under criteria (indicators: {', '.join(seen) or 'none'})",
            )
        values = ck.mapping(values, path)
        clean = {}
        for theme, value in values.items():
            number = ck.number(value, f"{path}.{theme}")
            if number is not None:
                clean[str(theme)] = number
        judgements[str(name)] = clean

    if ck.problems:
        raise ParamsError("\n".join(ck.problems))
    return PriorityConfig(
        scale_min=smin,
        scale_max=smax,
        missing=missing,
        weights=weights,
        indicators=tuple(sorted(indicators, key=lambda i: list(weights).index(i.criterion))),
        sensitivity=SensitivitySpec(**{k: s[k] for k in _SENSITIVITY_KEYS}),
        raw=copy.deepcopy(raw),
        judgements=judgements,
    )


def load_priority_config(
    overrides: dict | None = None,
    *,
    path=None,
    use_defaults: bool = True,
    origin: str = "priorities",
) -> PriorityConfig:
    """The prioritisation scheme: the shipped defaults (or ``path``) with ``overrides``.

    Parameters
    ----------
    overrides : dict, optional
        A parameters file's ``priorities:`` section. Mappings merge key by key; lists
        replace; ``None`` (YAML ``null``) removes a key. Besides the scheme's keys it may
        hold ``judgements`` (indicator -> {theme: value}; see the module notes).
    path : str or path-like, optional
        A YAML file holding a complete scheme (at top level or under ``priorities:``) to use
        instead of the shipped defaults.
    use_defaults : bool, default True
        False: ``overrides`` is the whole scheme (nothing is taken from the defaults).
    origin : str, default "priorities"
        Prefix of the key paths in messages (e.g. ``"parameters/2019.yaml: priorities"``).

    Raises
    ------
    ParamsError
        One line per problem, naming the key, e.g.
        ``priorities.weights.harm: expected a number >= 0, got -1``.

    Examples
    --------
    >>> cfg = load_priority_config({"weights": {"response": 0}})
    >>> cfg.weights
    {'threat': 1.0, 'risk': 1.0, 'harm': 1.0, 'volume': 1.0, 'response': 0.0}
    >>> load_priority_config({"weights": {"harm": -1}})
    Traceback (most recent call last):
    ...
    csplib.errors.ParamsError: priorities.weights.harm: expected a number >= 0, got -1
    >>> load_priority_config({"judgements": {"partnership_response": {"dsva": 4}}}).judgements
    {'partnership_response': {'dsva': 4.0}}
    """
    if not use_defaults:
        base = {}
    elif path is None:
        base = yaml.safe_load(_default_text())
    else:
        p = Path(path)
        if not p.is_file():
            raise ParamsError(f"{p}: prioritisation file not found")
        try:
            base = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ParamsError(f"{p}: YAML syntax error: {exc}") from None
        if isinstance(base, dict) and set(base) == {"priorities"}:
            base = base["priorities"]
        origin = f"{p}: {origin}"
    if not isinstance(base, dict):
        raise ParamsError(f"{origin}: expected a mapping of keys ({', '.join(_TOP_KEYS)})")
    if overrides is not None and not isinstance(overrides, dict):
        raise ParamsError(f"{origin}: expected a mapping of keys, got {overrides!r}")
    return _validate(_merge(base, overrides or {}), origin)


def _config(config) -> PriorityConfig:
    if config is None:
        return load_priority_config()
    if isinstance(config, PriorityConfig):
        return config
    if isinstance(config, dict):
        return load_priority_config(config)
    raise ParamsError(f"config must be a PriorityConfig or a mapping, got {config!r}")


# ----------------------------------------------------------------------------- scoring core
def _levels(values: np.ndarray, bps: np.ndarray) -> np.ndarray:
    """Number of breakpoints <= value: values (T,), breakpoints (D, B) -> (D, T)."""
    return (bps[:, None, :] <= values[None, :, None]).sum(axis=-1)


def score_indicator(values, spec: IndicatorSpec, *, scale=(1, 5)) -> pd.Series:
    """Map indicator values to scores on the scale (NaN stays NaN).

    Examples
    --------
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
class _Inputs:
    themes: pd.Index
    values: np.ndarray  # (T, I) values as scored (significance applied)
    shown: pd.DataFrame  # value columns for the table


def _inputs(indicators: pd.DataFrame, cfg: PriorityConfig) -> _Inputs:
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
    return _Inputs(indicators.index, values, pd.DataFrame(shown, index=indicators.index))


def _compute(values, cfg: PriorityConfig, crit_w, ind_w, bps_list):
    """Scores for D draws: indicator (D,T,I), criterion (D,T,C), total (D,T)."""
    n_draws = crit_w.shape[0]
    T, n_ind = values.shape
    ind_scores = np.empty((n_draws, T, n_ind))
    for i, spec in enumerate(cfg.indicators):
        v = values[:, i]
        lv = _levels(np.nan_to_num(v, nan=-np.inf), bps_list[i]).astype(float)
        s = cfg.scale_min + lv if spec.direction == "higher_is_worse" else cfg.scale_max - lv
        s[:, np.isnan(v)] = cfg.midpoint if cfg.missing == "midpoint" else np.nan
        ind_scores[:, :, i] = s
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


def _base_arrays(cfg: PriorityConfig):
    crit_w = np.array([[cfg.weights[c] for c in cfg.criteria]], dtype=float)
    ind_w = np.array([[i.weight for i in cfg.indicators]], dtype=float)
    bps = [np.asarray(i.breakpoints, dtype=float)[None, :] for i in cfg.indicators]
    return crit_w, ind_w, bps


def _ranks(total: np.ndarray) -> np.ndarray:
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
    cfg = _config(config)
    inp = _inputs(indicators, cfg)
    crit_w, ind_w, bps = _base_arrays(cfg)
    ind_s, crit_s, total = _compute(inp.values, cfg, crit_w, ind_w, bps)
    if np.isnan(total[0]).any():
        theme = inp.themes[np.isnan(total[0])][0]
        raise DataError(f"theme {theme!r} has no indicator with a value to score")
    out = inp.shown.copy()
    for i, spec in enumerate(cfg.indicators):
        out[f"{spec.name}_score"] = ind_s[0, :, i]
    for c, crit in enumerate(cfg.criteria):
        out[crit] = crit_s[0, :, c]
    out["total"] = total[0]
    out["rank"] = _ranks(total[0])
    names = [spec.name for spec in cfg.indicators]
    out["missing"] = [
        ", ".join(n for n, v in zip(names, row, strict=True) if np.isnan(v)) for row in inp.values
    ]
    out.index.name = "theme"
    out = out.sort_values(["rank", "total"], ascending=[True, False], kind="stable")
    out.attrs = {"config": cfg.to_dict()}
    return out


# ----------------------------------------------------------------------------- sensitivity
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
    cfg = _config(config)
    unknown = set(settings) - set(_SENSITIVITY_KEYS)
    if unknown:
        raise ParamsError(
            f"unknown sensitivity setting {sorted(unknown)[0]!r}; expected one of "
            f"{', '.join(_SENSITIVITY_KEYS)}"
        )
    if settings:
        merged = _merge(cfg.raw, {"sensitivity": settings})
        cfg = _validate(merged, "sensitivity_analysis")
    sens = cfg.sensitivity
    base = score_themes(indicators, cfg)
    inp = _inputs(indicators, cfg)
    rng = np.random.default_rng(sens.seed)
    crit_w0, ind_w0, bps0 = _base_arrays(cfg)
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
    _, _, total = _compute(inp.values, cfg, crit_w, ind_w, bps)
    ranks = _ranks(total)
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
    used = {name: getattr(sens, name) for name in _SENSITIVITY_KEYS}
    return SensitivityResult(
        summary=summary,
        ranks=pd.DataFrame(ranks, columns=pd.Index(themes, name="theme")).rename_axis("draw"),
        config={"sensitivity": used, "scheme": cfg.to_dict()},
    )


# ----------------------------------------------------------------------------- inputs
def _per_theme(values, names, what: str) -> pd.Series:
    """A mapping/Series keyed by theme name, checked against the themes."""
    if values is None:
        return pd.Series(np.nan, index=names, dtype=float)
    s = pd.Series(values, dtype=float) if not isinstance(values, pd.Series) else values
    unknown = [k for k in s.index if k not in names]
    if unknown:
        raise DefinitionError(f"{what}: {unknown[0]!r} is not a theme (themes: {', '.join(names)})")
    return pd.to_numeric(s, errors="coerce").reindex(names).astype(float)


def theme_indicators(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    period,
    population: float | None = None,
    lsoas=None,
    category_weights=None,
    code_weights=None,
    threat: pd.DataFrame | None = None,
    forecast_change=None,
    vulnerability=None,
    public_concern=None,
    partnership_response=None,
    window_months: int = 12,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Build the indicators table of :func:`score_themes` from the data.

    Computed per theme over ``period``: ``count``, ``rate_per_1000``, ``pct_change`` and
    ``p_value`` (on the same period a year earlier, :func:`csplib.themes.theme_volumes`),
    ``repeat_victim_share`` (themes whose rows carry ``victim_id``; else NaN),
    ``top10_share`` (with ``lsoas``, the full LSOA list), ``harm_per_offence`` and
    ``harm_share`` (with weights, :func:`csplib.harm.theme_harm`). Given by the analyst
    (mappings keyed by theme name; NaN when absent): ``forecast_change`` (e.g. from
    :mod:`csplib.models`), ``vulnerability`` (1-5), ``public_concern`` (% from the survey,
    :func:`csplib.risk.public_concern`), ``partnership_response`` (1-5). ``threat``, a table
    indexed by theme with ``pct_change``/``p_value`` columns (e.g. a trend screen), replaces
    the simple year-on-year test for the themes it lists.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; the columns named above.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "lsoa": ["A", "B"] * len(months),
    ...                     "category": ["Burglary", "Robbery"] * len(months)})
    >>> t = theme_indicators({"b": {"name": "Burglary", "categories": ["Burglary"]}}, inc,
    ...                      period="2019/20", population=1000, lsoas=["A", "B"],
    ...                      vulnerability={"Burglary": 2})
    >>> t.loc["Burglary", ["count", "pct_change", "top10_share", "vulnerability"]].tolist()
    [12.0, 0.0, 100.0, 2.0]
    """
    specs = as_themes(themes)
    names = list(specs)
    vol = theme_volumes(
        specs, incidents, partner, period=period, population=population, alpha=alpha
    )
    out = pd.DataFrame(index=pd.Index(names, name="theme"))
    out["count"] = vol["count"]
    out["rate_per_1000"] = vol["rate_per_1000"]
    out["pct_change"] = vol["pct_change"]
    out["p_value"] = vol["p_value"]
    if threat is not None:
        for col in ("pct_change", "p_value"):
            if col in threat.columns:
                given = _per_theme(threat[col], names, f"threat.{col}")
                out[col] = given.where(given.notna(), out[col])
    out["forecast_change"] = _per_theme(forecast_change, names, "forecast_change")
    out["vulnerability"] = _per_theme(vulnerability, names, "vulnerability")
    repeat, top10 = [], []
    for spec in specs.values():
        rows = theme_incidents(spec, incidents, partner, period=period)
        has_victims = "victim_id" in rows.columns and rows["victim_id"].notna().any()
        repeat.append(
            float(repeat_victimisation(rows, window_months=window_months)["repeat_victim_share"])
            if has_victims
            else np.nan
        )
        top10.append(
            float(concentration(rows, lsoas, shares=(0.10,))["top_10pct_share"])
            if lsoas is not None and "lsoa" in rows.columns
            else np.nan
        )
    out["repeat_victim_share"] = repeat
    out["top10_share"] = top10
    out["public_concern"] = _per_theme(public_concern, names, "public_concern")
    if category_weights is not None or code_weights is not None:
        harm = theme_harm(
            specs,
            incidents,
            partner,
            category_weights=category_weights,
            code_weights=code_weights,
            period=period,
        )
        out["harm_per_offence"] = harm["harm_per_offence"].reindex(names)
        out["harm_share"] = harm["harm_share"].reindex(names)
    else:
        out["harm_per_offence"] = np.nan
        out["harm_share"] = np.nan
    out["partnership_response"] = _per_theme(partnership_response, names, "partnership_response")
    out.attrs = {"period": vol.attrs.get("period")}
    return out
