"""Prioritisation from the data: each theme's threat, risk, harm and volume inputs, scored.

This module is the glue between the analyses and the transparent scoring of
:mod:`csplib.methods.scoring`. For each theme of the parameters it computes:

* **Threat** (:func:`~csplib.chapters.priorities.trends.theme_monthly_counts`,
  :func:`~csplib.chapters.priorities.trends.theme_threat`): the theme's monthly
  counts over the last ``trend_months`` (36) months to the end of the assessed period; the
  annual % change with its confidence interval and p-value from
  :class:`csplib.methods.models.CountTrend` (Poisson / negative binomial GLM with month-of-year
  effects), and the forecast % change for the next ``horizon`` (12) months from
  :class:`csplib.methods.models.CountForecast`: its expected total against the last 12 months
  (the mean of the months with data, times 12). A month with no data, and a month that the
  quality report flags as implausible for a category the theme reads from police.uk, is
  missing (never zero) and is left out of both models. When the trend cannot be fitted
  (fewer than 6 months with data) the year-on-year change of
  :func:`csplib.methods.themes.theme_volumes` (Poisson test) is used instead; when the
  forecast would have no trend (fewer than 24 months with data, or a calendar month never
  counted) it is not used, as a constant-rate forecast says nothing about change. A trend
  window that meets the Covid-19 restrictions (March 2020 to June 2021) follows
  :func:`csplib.methods.covid.restriction_rule`: their months are left out of the trend and
  forecast when at least 12 other months have data; otherwise neither is used, and neither
  is the year-on-year change (which then compares months of the restrictions), so the theme's
  threat rests on what is left or is left out of its score.
* **Risk** (:func:`csplib.methods.scoring.theme_indicators`): the % of victims who are repeat
  victims within 12 months (themes whose rows carry victim IDs, i.e. read from a partner
  extract; :func:`csplib.methods.risk_repeats.repeat_victimisation`) and how far the share of
  incidents in the top 10% of the area's LSOAs exceeds what chance alone gives (percentage
  points above random allocation; within chance scores as none;
  :func:`csplib.methods.concentration.concentration`).
* **Harm** (:func:`csplib.methods.harm.theme_harm`): the mean Crime Severity Score weight per
  offence and the theme's share of all harm; police.uk rows are weighted by their category's
  weight (rolled up over the force's offence mix), partner rows by their own offence code.
* **Volume**: the count in the assessed period and the rate per 1,000 residents.
* **Judgements**: values that are not computed from the data (partnership response,
  vulnerability, public concern, or any indicator the configuration adds) come from the
  parameters' ``priorities: judgements:`` section, keyed by theme id or name.

Then :func:`csplib.methods.scoring.score_themes` scores and ranks the themes and
:func:`csplib.methods.scoring.sensitivity_analysis` tests the ranking. :func:`prioritise` does
all of it and returns a :class:`PrioritisationResult`; :func:`prioritise_store` takes the
inputs from the parameters and the store. A theme that cannot be computed (a flag-based
theme without a partner extract) is left out and listed in ``not_scored`` with the reason;
every indicator no theme has a value for is named in ``notes`` with the reason.

Examples
--------
Burglary rising by 20% a year, drugs flat, over three years:

>>> months = pd.date_range("2022-04-01", "2025-03-01", freq="MS")
>>> rng = np.random.default_rng(3)
>>> n_b, n_d = rng.poisson(40 * 1.2 ** (np.arange(36) / 12)), rng.poisson(60, 36)
>>> inc = pd.DataFrame({"month": np.concatenate([months.repeat(n_b), months.repeat(n_d)]),
...                     "category": ["Burglary"] * n_b.sum() + ["Drugs"] * n_d.sum()})
>>> inc["lsoa"] = np.where(np.arange(len(inc)) % 3 == 0, "A", "B")
>>> themes = {"b": {"name": "Burglary", "categories": ["Burglary"]},
...           "d": {"name": "Drugs", "categories": ["Drugs"]}}
>>> res = prioritise(themes, inc, period="2024/25", population=100_000, lsoas=["A", "B"])
>>> res.scores[["pct_change", "volume", "rank"]].round(0)
          pct_change  volume  rank
theme
Burglary        19.0     3.0     1
Drugs           -4.0     3.0     2
>>> float(res.scores.loc["Burglary", "threat"])  # a significant rise of 19%: the top score
5.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.chapters.priorities.text import join_names, scale_names, trend_window
from csplib.chapters.priorities.trends import theme_monthly_counts, theme_threat
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period
from csplib.core.schema import ASB
from csplib.ingest.harm_weights import harm_weights_of
from csplib.methods.covid import RESTRICTIONS
from csplib.methods.scoring import (
    PriorityConfig,
    SensitivityResult,
    load_priority_config,
    score_themes,
    sensitivity_analysis,
    theme_indicators,
)
from csplib.methods.themes import as_themes, theme_sources

__all__ = [
    "COMPUTED_INDICATORS",
    "harm_weights",
    "PrioritisationResult",
    "prioritise",
    "prioritise_store",
]

#: Indicators computed from the data (a judgement may not replace them).
COMPUTED_INDICATORS: tuple[str, ...] = (
    "count",
    "rate_per_1000",
    "rate_per_1000_a_year",
    "pct_change",
    "p_value",
    "forecast_change",
    "repeat_victim_share",
    "top10_share",
    "top10_excess",
    "top10_p_value",
    "harm_per_offence",
    "harm_share",
)

#: Why an indicator may have no value for any theme.
_WHY_MISSING = {
    "pct_change": "no theme has 6 months of data in the trend window (12 outside the Covid-19 "
    "restrictions when it meets them) nor a previous year to compare with outside them",
    "forecast_change": "a forecast with a trend needs at least 24 months of data with every "
    "calendar month seen twice",
    "repeat_victim_share": "no theme's records carry victim IDs (only a partner extract has them)",
    "top10_share": "no list of the area's LSOAs was given",
    "top10_excess": "no list of the area's LSOAs was given",
    "top10_p_value": "no list of the area's LSOAs was given",
    "harm_per_offence": "no theme has a crime with a harm weight (anti-social behaviour has "
    "no Crime Severity Score weight), or no weights were given",
    "harm_share": "no theme has a crime with a harm weight (anti-social behaviour has no "
    "Crime Severity Score weight), or no weights were given",
    "count": "no incidents were counted",
    "rate_per_1000": "no population was given",
    "rate_per_1000_a_year": "no population was given",
}


# ----------------------------------------------------------------------------- harm
def harm_weights(params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The harm weights named by the parameters: by category (rolled up) and by offence code.

    The files are :meth:`csplib.params.Params.harm_files` (the ONS Crime Severity Score and
    the force's offence mix unless the parameters name others).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Category weights (:func:`csplib.ingest.harm_weights.roll_up_weights` of the weights over the
        offence mix) and the offence-code weights (:func:`csplib.ingest.harm_weights.load_weights`).

    Examples
    --------
    >>> from csplib.params import load_params
    >>> cat, code = harm_weights(load_params("parameters/default.yaml"))
    >>> round(float(cat.loc["Burglary", "weight"]), 1), code.attrs["scheme"]
    (381.7, 'ONS Crime Severity Score')
    """
    weights = harm_weights_of(params)
    return weights.categories, weights.codes


# ----------------------------------------------------------------------------- result
@dataclass
class PrioritisationResult:
    """What :func:`prioritise` computed.

    Attributes
    ----------
    indicators : pandas.DataFrame
        One row per scored theme: every configured indicator's value, ``p_value``, and
        ``threat_basis`` (which test gave ``pct_change``), plus ``yoy_pct_change`` and
        ``yoy_p_value`` (year-on-year change, for reference).
    threat : pandas.DataFrame
        :func:`theme_threat` for the scored themes.
    scores : pandas.DataFrame
        :func:`csplib.methods.scoring.score_themes` (empty when no theme could be scored).
    sensitivity : SensitivityResult or None
        None when no theme could be scored.
    config : PriorityConfig
    not_scored : pandas.DataFrame
        Index ``theme``; ``reason``.
    notes : list of str
        What could not be computed and why, and other things a reader must know.
    monthly : pandas.DataFrame
        The monthly series the threat models were fitted to.
    settings : dict
        The glue's settings (period, horizon, level, population) and the trend window as
        used: ``trend_months`` (its length setting), ``trend_window`` (in words, ending
        with the last month with data), ``trend_months_with_data``, ``trend_first`` and
        ``trend_last`` (:func:`~csplib.chapters.priorities.text.trend_window`).
    """

    indicators: pd.DataFrame
    threat: pd.DataFrame
    scores: pd.DataFrame
    sensitivity: SensitivityResult | None
    config: PriorityConfig
    not_scored: pd.DataFrame
    notes: list = field(default_factory=list)
    monthly: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)

    @property
    def criteria_table(self) -> pd.DataFrame:
        """Each criterion's score, the weighted total, the rank and what was missing."""
        cols = [*self.config.criteria, "total", "rank", "missing"]
        if self.scores.empty:
            return pd.DataFrame(columns=cols, index=pd.Index([], name="theme"))
        return self.scores[cols]

    @property
    def indicator_scores(self) -> pd.DataFrame:
        """Each indicator's score (1-5; empty where the value is missing)."""
        cols = [f"{s.name}_score" for s in self.config.indicators]
        if self.scores.empty:
            return pd.DataFrame(columns=cols, index=pd.Index([], name="theme"))
        return self.scores[cols]

    @property
    def robustness(self) -> pd.DataFrame:
        """The sensitivity analysis summary (empty when no theme could be scored)."""
        if self.sensitivity is None:
            cols = [
                "base_total",
                "base_rank",
                "median_rank",
                "rank_low",
                "rank_high",
                "top_k_share",
                "agreement",
                "robust",
            ]
            return pd.DataFrame(columns=cols, index=pd.Index([], name="theme"))
        return self.sensitivity.summary

    @property
    def recommended(self) -> list:
        """The themes ranked in the top k (k = the configuration's ``top_k``)."""
        if self.scores.empty:
            return []
        k = self.config.sensitivity.top_k
        return list(self.scores.index[self.scores["rank"] <= k])


def _theme_keys(themes) -> dict[str, str]:
    """Theme id or name -> display name."""
    specs = as_themes(themes)
    keys = {name: name for name in specs}
    if isinstance(themes, Mapping) and not isinstance(themes.get("name"), str):
        for key, name in zip(themes, specs, strict=True):
            keys[str(key)] = name
    return keys


def _judgements(config: PriorityConfig, keys: dict[str, str], names) -> dict[str, pd.Series]:
    out = {}
    for indicator, values in config.judgements.items():
        if indicator in COMPUTED_INDICATORS:
            raise ParamsError(
                f"priorities.judgements.{indicator}: {indicator!r} is computed from the data; "
                "judgements are for indicators that are not (e.g. partnership_response)"
            )
        series = pd.Series(np.nan, index=pd.Index(names, name="theme"), dtype=float)
        for key, value in values.items():
            if key not in keys:
                raise ParamsError(
                    f"priorities.judgements.{indicator}.{key}: no theme {key!r}; expected a "
                    f"theme id or name ({', '.join(sorted(keys))})"
                )
            if keys[key] in series.index:
                series[keys[key]] = value
        out[indicator] = series
    return out


def _missing_notes(ind: pd.DataFrame, config: PriorityConfig, judged) -> list[str]:
    notes = []
    for spec in config.indicators:
        if spec.name in ind.columns and ind[spec.name].notna().any():
            continue
        if spec.name in _WHY_MISSING:
            why = _WHY_MISSING[spec.name]
        elif spec.name in judged:
            why = "the parameters' judgements (under priorities) give it no value"
        else:
            why = (
                "it is an analyst's judgement, and the parameters give none (the judgements "
                "under priorities)"
            )
        name = scale_names([spec.name])[0]
        notes.append(f"No theme has a value for {name} ({spec.label}): {why}.")
    if config.missing != "exclude":
        return notes
    for crit in config.criteria:
        names = [s.name for s in config.indicators if s.criterion == crit]
        has = ind[[n for n in names if n in ind.columns]].notna().any(axis=1)
        if config.weights[crit] == 0:
            continue
        if not has.any():
            notes.append(
                f"The {crit} criterion has no value for any theme, so it is left out "
                "and the other criteria's weights are re-scaled."
            )
        elif not has.all():
            lacking = list(ind.index[~has])
            why = ""
            if crit == "harm" and all(_only_asb(ind, t) for t in lacking):
                why = " (anti-social behaviour has no Crime Severity Score weight)"
            notes.append(
                f"{join_names(lacking)} {'has' if len(lacking) == 1 else 'have'} no {crit} score"
                f"{why}: {'its' if len(lacking) == 1 else 'their'} total is the weighted mean "
                "of the other criteria."
            )
    return notes


def _only_asb(ind: pd.DataFrame, theme: str) -> bool:
    return ind.attrs.get("categories", {}).get(theme) == [ASB]


def prioritise(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    period,
    config=None,
    population: float | None = None,
    lsoas=None,
    months_present=None,
    implausible: pd.DataFrame | None = None,
    category_weights=None,
    code_weights=None,
    trend_months: int = 36,
    horizon: int = 12,
    level: float = 0.95,
    window_months: int = 12,
    random_state: int = 0,
) -> PrioritisationResult:
    """Compute every theme's inputs, score and rank the themes, and test the ranking.

    Parameters
    ----------
    themes : mapping or list of themes
        As in the parameters (``{id: {name, categories, flags}}``).
    incidents, partner : pandas.DataFrame
        Tidy police.uk incidents and the partner extract (optional).
    period : Period or str
        The assessed period (volume, risk and harm are measured over it; the trend window
        ends with it).
    config : PriorityConfig or dict, optional
        The scheme (default: the shipped defaults); its ``judgements`` supply the
        analyst's values.
    population : float, optional
        Residents, for rates.
    lsoas : sequence, optional
        Every LSOA of the area (for concentration).
    months_present : sequence of months, optional
        Months with police.uk data.
    implausible : pandas.DataFrame, optional
        Months flagged implausible by the quality report (left out of the trend).
    category_weights, code_weights : optional
        Harm weights (see :func:`harm_weights`).
    trend_months, horizon, level, window_months, random_state
        Trend window (36 months), forecast horizon (12), confidence level (0.95),
        repeat-victim window (12 months) and forecast seed (0).

    Returns
    -------
    PrioritisationResult

    Raises
    ------
    ParamsError
        A judgement names an unknown theme or an indicator computed from the data.
    """
    cfg = config if isinstance(config, PriorityConfig) else load_priority_config(config)
    period = Period.parse(period)
    keys = _theme_keys(themes)
    specs = as_themes(themes)
    not_scored = {}
    usable = {}
    for name, spec in specs.items():
        try:
            theme_sources(spec, incidents, partner)
        except DataError as exc:
            not_scored[name] = str(exc)
            continue
        usable[name] = spec
    judged = _judgements(cfg, keys, list(usable))
    notes: list[str] = []
    settings = {
        "period": period.label,
        "trend_months": trend_months,
        "trend_window": f"no month with data (at most {trend_months} are used)",
        "trend_months_with_data": 0,
        "trend_first": None,
        "trend_last": None,
        "horizon": horizon,
        "level": level,
        "population": population,
        "repeat_window_months": window_months,
    }
    if not usable:
        empty = pd.DataFrame(index=pd.Index([], name="theme"))
        return PrioritisationResult(
            indicators=empty,
            threat=theme_threat(empty),
            scores=empty,
            sensitivity=None,
            config=cfg,
            not_scored=_not_scored_frame(not_scored),
            notes=["No theme could be scored."],
            settings=settings,
        )
    monthly = theme_monthly_counts(
        usable,
        incidents,
        partner,
        end=period.end,
        months=trend_months,
        months_present=months_present,
        implausible=implausible,
    )
    window = trend_window(monthly, trend_months)  # as used: to the last month with data
    settings.update(
        trend_window=window["text"],
        trend_months_with_data=window["months_with_data"],
        trend_first=window["first"],
        trend_last=window["last"],
    )
    threat = theme_threat(monthly, horizon=horizon, level=level, random_state=random_state)
    ind = theme_indicators(
        usable,
        incidents,
        partner,
        period=period,
        population=population,
        lsoas=lsoas,
        category_weights=category_weights,
        code_weights=code_weights,
        forecast_change=threat["forecast_change"],
        vulnerability=judged.get("vulnerability"),
        public_concern=judged.get("public_concern"),
        partnership_response=judged.get("partnership_response"),
        window_months=window_months,
    )
    ind.insert(ind.columns.get_loc("p_value") + 1, "yoy_pct_change", ind["pct_change"])
    ind.insert(ind.columns.get_loc("yoy_pct_change") + 1, "yoy_p_value", ind["p_value"])
    has_trend = threat["annual_change_pct"].notna()
    fitted_on = [  # the months each trend was fitted to, not the window's length
        f"trend over {n:.0f} month{'s' * (n != 1)} with data, {w} (GLM"
        + (f"; {c} month{'s' * (c != 1)} of Covid-19 restrictions left out)" if c else ")")
        for n, w, c in zip(
            threat["months_used"], threat["window"], threat["covid_months"], strict=True
        )
    ]
    # a year-on-year change that compares months of the Covid-19 restrictions is not used,
    # nor is any change for a theme whose trend the restrictions leave unestimated
    a_year_before = period.start - pd.DateOffset(months=12)
    yoy_covid = a_year_before <= RESTRICTIONS[1] and period.end >= RESTRICTIONS[0]
    no_change = (threat["covid_rule"] == "not estimated") | yoy_covid
    yoy_used = ind["yoy_pct_change"].notna() & ~no_change
    basis = np.where(
        has_trend,
        fitted_on,
        np.where(
            yoy_used,
            "year on year (Poisson test)",
            np.where(
                threat["covid_rule"] == "not estimated",
                "none (the trend window starts or ends during the Covid-19 restrictions)",
                np.where(
                    ind["yoy_pct_change"].notna(),
                    "none (year on year would compare months of the Covid-19 restrictions)",
                    "none",
                ),
            ),
        ),
    )
    ind["pct_change"] = threat["annual_change_pct"].where(
        has_trend, ind["yoy_pct_change"].where(yoy_used)
    )
    ind["p_value"] = threat["p_value"].where(has_trend, ind["yoy_p_value"].where(yoy_used))
    ind.insert(ind.columns.get_loc("yoy_p_value") + 1, "threat_basis", basis)
    for spec in cfg.indicators:
        if spec.name not in ind.columns:
            ind[spec.name] = judged.get(spec.name, pd.Series(np.nan, index=ind.index))
    for name in [n for n in judged if n not in {s.name for s in cfg.indicators}]:
        ind[name] = judged[name]
    names = [s.name for s in cfg.indicators]
    empty_rows = ind[names].isna().all(axis=1)
    for name in ind.index[empty_rows]:
        not_scored[name] = "no indicator has a value"
    ind = ind[~empty_rows]
    ind.attrs["categories"] = {
        n: list(usable[n].categories) if not usable[n].flags else None for n in ind.index
    }
    notes += _missing_notes(ind, cfg, judged)
    excluded = {t: m for t, m in monthly.attrs["excluded"].items() if m and t in ind.index}
    if excluded:
        listed = "; ".join(
            f"{t} ({', '.join(f'{m:%b %Y}' for m in months)})" for t, months in excluded.items()
        )
        notes.append(
            "Months flagged as implausible by the quality report were left out of the trend "
            f"and forecast: {listed}; the period counts include them as published."
        )
    for name, reason in not_scored.items():
        notes.insert(0, f"{name} could not be scored: {reason}.")
    if period.n_months != 12:
        notes.append(
            f"The assessed period has {period.n_months} month{'s' * (period.n_months != 1)}: "
            "volume is scored on its rate per 1,000 residents scaled to a year, as the "
            "breakpoints are set for a year."
        )
    if ind.empty:
        scores, sens = pd.DataFrame(index=pd.Index([], name="theme")), None
    else:
        scores = score_themes(ind, cfg)
        sens = sensitivity_analysis(ind, cfg)
    return PrioritisationResult(
        indicators=ind,
        threat=threat.loc[ind.index],
        scores=scores,
        sensitivity=sens,
        config=cfg,
        not_scored=_not_scored_frame(not_scored),
        notes=notes,
        monthly=monthly,
        settings=settings,
    )


def _not_scored_frame(not_scored: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {"reason": list(not_scored.values())},
        index=pd.Index(list(not_scored), name="theme"),
        dtype="str",
    )


def prioritise_store(params, store, **settings) -> PrioritisationResult:
    """:func:`prioritise` with every input taken from the parameters and the store.

    Themes, period, scheme (``priorities``, with its judgements) and harm weights from
    ``params``; incidents, partner extract, months present, implausible months, the area's
    LSOAs and population (the ONS estimate nearest the end of the period) from ``store``.
    ``settings`` are passed on (``trend_months``, ``horizon``, ...).
    """
    period = params.assessment.period
    origin = f"{params.source_file}: priorities" if params.source_file else "priorities"
    config = load_priority_config(params.priorities or None, origin=origin)
    category_weights, code_weights = harm_weights(params)
    pop = store.geography.population(period.period.population_year)
    if not params.themes:
        raise ParamsError(f"{params.source_file}: themes: no themes to prioritise")
    result = prioritise(
        params.themes,
        store.incidents,
        store.partner,
        period=Period.window(f"{period.start:%Y-%m}", f"{period.end:%Y-%m}"),
        config=config,
        population=float(pop["population"].sum()),
        lsoas=store.geography.lsoa_table.index,
        months_present=store.months_present,
        implausible=store.quality.implausible,
        category_weights=category_weights,
        code_weights=code_weights,
        **settings,
    )
    result.settings["period"] = period.label
    result.settings["population_year"] = int(pop["year"].iloc[0])
    return result
