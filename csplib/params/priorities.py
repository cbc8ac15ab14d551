"""The prioritisation scheme: criteria, indicators, breakpoints, weights and their checks.

A scheme (:class:`PriorityConfig`) is read from the shipped defaults,
``csplib/params/priorities_default.yaml`` (:data:`DEFAULT_CONFIG_FILE`, beside this module),
merged with a parameters file's ``priorities:`` section, and validated with one message per
problem naming its key (:func:`load_priority_config`). It holds the scale, the rule for
missing values, each criterion's weight, each indicator's criterion, weight, breakpoints,
direction and significance rule, the sensitivity-analysis settings and the analyst's
judgements. How a scheme scores themes is in :mod:`csplib.methods.scoring`.

It is the part of the parameters schema (:mod:`csplib.params`) that validates a
``priorities:`` section; the scoring itself is :mod:`csplib.methods.scoring`.

Examples
--------
>>> cfg = load_priority_config({"criteria": {"risk": {"public_concern": None}}})
>>> [i.name for i in cfg.indicators if i.criterion == "risk"]
['vulnerability', 'repeat_victim_share', 'top10_excess']
>>> cfg.scale_min, cfg.scale_max, cfg.sensitivity.top_k
(1, 5, 3)
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field
from importlib import resources
from numbers import Real
from pathlib import Path

import yaml

from csplib.core.errors import ParamsError

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DIRECTIONS",
    "MISSING_RULES",
    "SENSITIVITY_METHODS",
    "IndicatorSpec",
    "SensitivitySpec",
    "PriorityConfig",
    "load_priority_config",
    "priority_config",
]

#: The shipped defaults, a file beside this module.
DEFAULT_CONFIG_FILE = "priorities_default.yaml"
#: How an indicator's value maps to the scale.
DIRECTIONS = ("higher_is_worse", "lower_is_worse")
#: What a missing value does (see :mod:`csplib.methods.scoring`).
MISSING_RULES = ("exclude", "midpoint", "error")
#: How the sensitivity analysis perturbs the weights.
SENSITIVITY_METHODS = ("uniform", "dirichlet")
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
    """Settings of the sensitivity analysis (:mod:`csplib.methods.scoring_sensitivity`): a
    theme is robust when its top-k membership matches the base ranking in at least
    ``robust_share`` of ``draws``, whatever values the scales no theme was scored on take."""

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

    def with_sensitivity(self, **settings) -> PriorityConfig:
        """This scheme with some of its ``sensitivity`` settings replaced, validated.

        Raises
        ------
        ParamsError
            An unknown setting, or a value out of range.

        Examples
        --------
        >>> load_priority_config().with_sensitivity(draws=50).sensitivity.draws
        50
        """
        unknown = set(settings) - set(_SENSITIVITY_KEYS)
        if unknown:
            raise ParamsError(
                f"unknown sensitivity setting {sorted(unknown)[0]!r}; expected one of "
                f"{', '.join(_SENSITIVITY_KEYS)}"
            )
        if not settings:
            return self
        return _validate(_merge(self.raw, {"sensitivity": settings}), "sensitivity_analysis")


@functools.cache
def _default_text() -> str:
    return resources.files(__package__).joinpath(DEFAULT_CONFIG_FILE).read_text("utf-8")


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
    if s["method"] not in SENSITIVITY_METHODS:
        ck.add(
            "sensitivity.method",
            f"expected one of {', '.join(SENSITIVITY_METHODS)}, got {s['method']!r}",
        )
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
    csplib.core.errors.ParamsError: priorities.weights.harm: expected a number >= 0, got -1
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


def priority_config(config=None) -> PriorityConfig:
    """A scheme from None (the shipped defaults), a :class:`PriorityConfig`, or a mapping of
    overrides of the defaults (:func:`load_priority_config`).

    Examples
    --------
    >>> priority_config({"weights": {"response": 0}}).weights["response"]
    0.0
    """
    if config is None:
        return load_priority_config()
    if isinstance(config, PriorityConfig):
        return config
    if isinstance(config, dict):
        return load_priority_config(config)
    raise ParamsError(f"config must be a PriorityConfig or a mapping, got {config!r}")
