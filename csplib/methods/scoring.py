"""Prioritisation: a transparent threat-risk-harm-volume scoring of themes, and its robustness.

The partnership chooses its priorities "based on an assessment of threat, risk, harm, volume
and the current partnership response". This module makes that assessment explicit and
repeatable, MoRiLE-style: every indicator, breakpoint and weight is a parameter
(``csplib/params/priorities_default.yaml`` ships the defaults and explains the rule; a parameters
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
configuration and read by :mod:`csplib.chapters.priorities`.

**Sensitivity**: :func:`sensitivity_analysis` re-scores the themes under random
perturbations of the weights (each multiplied by U(1 - s, 1 + s), or Dirichlet draws around
them) and of the breakpoints (each moved by U(-f, f) times its indicator's mean band width),
with a fixed seed. Per theme it reports the median rank, the 90% range of ranks and the
share of draws in the top k. A scale that no theme has a value for (an **unscored** scale,
e.g. vulnerability when the parameters judge it for no theme) is covered over its whole
range: in each draw each theme's score on it is drawn from the whole scale, and the lowest
and highest are checked. A theme is **robust** when its top-k membership (in or out) is the
same as in the base ranking, whatever values the unscored scales take, in at least
``robust_share`` (90%) of draws; a theme whose rank flips under small weight changes, or
could flip if an unscored scale were scored, is not.

The parts, one concept each: the scheme and its checks (:mod:`csplib.params.priorities`),
the scoring engine (:mod:`csplib.methods.scoring_engine`), the sensitivity analysis
(:mod:`csplib.methods.scoring_sensitivity`) and the indicators computed from the data
(:mod:`csplib.methods.scoring_indicators`); this module gathers their public names.

Examples
--------
>>> cfg = load_priority_config({"criteria": {"risk": {"public_concern": None}}})
>>> [i.name for i in cfg.indicators if i.criterion == "risk"]
['vulnerability', 'repeat_victim_share', 'top10_excess']
"""

from csplib.methods.scoring_engine import score_indicator, score_themes
from csplib.methods.scoring_indicators import theme_indicators
from csplib.methods.scoring_sensitivity import (
    SensitivityResult,
    sensitivity_analysis,
    unscored_scales,
)
from csplib.params.priorities import (
    DEFAULT_CONFIG_FILE,
    DIRECTIONS,
    MISSING_RULES,
    IndicatorSpec,
    PriorityConfig,
    SensitivitySpec,
    load_priority_config,
    priority_config,
)

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DIRECTIONS",
    "MISSING_RULES",
    "IndicatorSpec",
    "SensitivitySpec",
    "PriorityConfig",
    "load_priority_config",
    "priority_config",
    "score_indicator",
    "score_themes",
    "SensitivityResult",
    "sensitivity_analysis",
    "unscored_scales",
    "theme_indicators",
]
