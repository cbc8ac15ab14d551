"""Prioritisation from the data: each theme's threat, risk, harm and volume inputs, scored.

This module is the glue between the analyses and the transparent scoring of
:mod:`csplib.priorities`. For each theme of the parameters it computes:

* **Threat** (:func:`theme_monthly_counts`, :func:`theme_threat`): the theme's monthly
  counts over the last ``trend_months`` (36) months to the end of the assessed period; the
  annual % change with its confidence interval and p-value from
  :class:`csplib.models.CountTrend` (Poisson / negative binomial GLM with month-of-year
  effects), and the forecast % change for the next ``horizon`` (12) months from
  :class:`csplib.models.CountForecast`: its expected total against the last 12 months
  (the mean of the months with data, times 12). A month with no data, and a month that the
  quality report flags as implausible for a category the theme reads from police.uk, is
  missing (never zero) and is left out of both models. When the trend cannot be fitted
  (fewer than 6 months with data) the year-on-year change of
  :func:`csplib.themes.theme_volumes` (Poisson test) is used instead; when the
  forecast would have no trend (fewer than 24 months with data, or a calendar month never
  counted) it is not used, as a constant-rate forecast says nothing about change.
* **Risk** (:func:`csplib.priorities.theme_indicators`): the % of victims who are repeat
  victims within 12 months (themes whose rows carry victim IDs, i.e. read from a partner
  extract; :func:`csplib.risk.repeat_victimisation`) and the % of incidents in the top 10% of
  the area's LSOAs (:func:`csplib.risk.concentration`).
* **Harm** (:func:`csplib.harm.theme_harm`): the mean Crime Severity Score weight per offence
  and the theme's share of all harm; police.uk rows are weighted by their category's weight
  (rolled up over the force's offence mix), partner rows by their own offence code.
* **Volume**: the count in the assessed period and the rate per 1,000 residents.
* **Judgements**: values that are not computed from the data (partnership response,
  vulnerability, public concern, or any indicator the configuration adds) come from the
  parameters' ``priorities: judgements:`` section, keyed by theme id or name.

Then :func:`csplib.priorities.score_themes` scores and ranks the themes and
:func:`csplib.priorities.sensitivity_analysis` tests the ranking. :func:`prioritise` does
all of it and returns a :class:`PrioritisationResult`; :func:`prioritise_store` takes the
inputs from the parameters and the store. A theme that cannot be computed (a flag-based
theme without a partner extract) is left out and listed in ``not_scored`` with the reason;
every indicator no theme has a value for is named in ``notes`` with the reason.

Examples
--------
Burglary rising by 20% a year, drugs flat, over three years:

>>> months = pd.date_range("2021-04-01", "2024-03-01", freq="MS")
>>> rng = np.random.default_rng(3)
>>> n_b, n_d = rng.poisson(40 * 1.2 ** (np.arange(36) / 12)), rng.poisson(60, 36)
>>> inc = pd.DataFrame({"month": np.concatenate([months.repeat(n_b), months.repeat(n_d)]),
...                     "category": ["Burglary"] * n_b.sum() + ["Drugs"] * n_d.sum()})
>>> inc["lsoa"] = np.where(np.arange(len(inc)) % 3 == 0, "A", "B")
>>> themes = {"b": {"name": "Burglary", "categories": ["Burglary"]},
...           "d": {"name": "Drugs", "categories": ["Drugs"]}}
>>> res = prioritise(themes, inc, period="2023/24", population=1000, lsoas=["A", "B"])
>>> res.scores[["pct_change", "p_value", "threat", "volume", "total", "rank"]].round(2)
          pct_change  p_value  threat  volume  total  rank
theme
Burglary       19.35     0.00    5.00     3.5   4.50     1
Drugs          -4.05     0.12    2.67     3.5   3.72     2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.errors import DataError, ParamsError
from csplib.harm_report import load_harm_weights
from csplib.ingest.partner import OFFENCE_CODES_FILE
from csplib.metrics.periods import Period
from csplib.metrics.periods import months_present as _months_present
from csplib.models import CountForecast, CountTrend
from csplib.models._glm import seasonal_problem
from csplib.narrative import Finding
from csplib.places_report import flagged_months
from csplib.priorities import (
    PriorityConfig,
    SensitivityResult,
    load_priority_config,
    score_themes,
    sensitivity_analysis,
    theme_indicators,
)
from csplib.schema import ASB
from csplib.themes import as_themes, theme_incidents, theme_sources

__all__ = [
    "COMPUTED_INDICATORS",
    "CHAPTER",
    "theme_monthly_counts",
    "theme_threat",
    "harm_weights",
    "scheme_table",
    "scheme_settings",
    "PrioritisationResult",
    "prioritise",
    "prioritise_store",
    "volume_harm_title",
    "rank_range_title",
    "priorities_findings",
]

#: The chapter whose tables hold the evidence of these findings.
CHAPTER = "07_priorities"

#: Indicators computed from the data (a judgement may not replace them).
COMPUTED_INDICATORS: tuple[str, ...] = (
    "count",
    "rate_per_1000",
    "pct_change",
    "p_value",
    "forecast_change",
    "repeat_victim_share",
    "top10_share",
    "harm_per_offence",
    "harm_share",
)

#: Why an indicator may have no value for any theme.
_WHY_MISSING = {
    "pct_change": "no theme has 6 months of data in the trend window nor a previous year to "
    "compare with",
    "forecast_change": "a forecast with a trend needs at least 24 months of data with every "
    "calendar month seen twice",
    "repeat_victim_share": "no theme's records carry victim IDs (only a partner extract has them)",
    "top10_share": "no list of the area's LSOAs was given",
    "harm_per_offence": "no theme has a crime with a harm weight (anti-social behaviour has "
    "no Crime Severity Score weight), or no weights were given",
    "harm_share": "no theme has a crime with a harm weight (anti-social behaviour has no "
    "Crime Severity Score weight), or no weights were given",
    "count": "no incidents were counted",
    "rate_per_1000": "no population was given",
}


# ----------------------------------------------------------------------------- threat
def _source_months(name: str, table: pd.DataFrame, months_present) -> set:
    if name == "incidents" and months_present is not None:
        return set(pd.DatetimeIndex(months_present))
    if "month" not in table.columns:
        raise DataError(f"{name} have no 'month' column")
    return set(_months_present(table["month"]))


def theme_monthly_counts(
    themes,
    incidents: pd.DataFrame,
    partner: pd.DataFrame | None = None,
    *,
    end,
    months: int = 36,
    months_present=None,
    implausible: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each theme's monthly counts over the ``months`` months to ``end``; missing is NaN.

    Rows are selected by :func:`csplib.themes.theme_incidents`. A month is missing (NaN,
    never zero) when a table the theme reads has no data for it (for police.uk incidents:
    not in ``months_present``; for a partner extract: no row that month), or when
    ``implausible`` flags it for a category the theme reads from police.uk.

    Parameters
    ----------
    themes : mapping or list of themes
    incidents, partner : pandas.DataFrame
    end : month-like
        Last month (e.g. the end of the assessed period).
    months : int, default 36
    months_present : sequence of months, optional
        Months with police.uk data (default: months with any incident row).
    implausible : pandas.DataFrame, optional
        ``category`` and ``month`` of implausible months (the quality report's table).

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (month starts, ``freq="MS"``), one column per theme (display name).
        ``attrs["excluded"]``: theme -> months left out as implausible.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
    ...                     "category": ["Drugs", "Drugs", "Burglary"]})
    >>> theme_monthly_counts({"d": {"name": "Drugs", "categories": ["Drugs"]}}, inc,
    ...                      end="2024-03", months=3)["Drugs"].tolist()
    [2.0, nan, 0.0]
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ParamsError(f"months must be a whole number of at least 1, got {months!r}")
    last = Period.parse(pd.Timestamp(end).strftime("%Y-%m")).end
    index = pd.date_range(last - pd.DateOffset(months=months - 1), last, freq="MS", name="month")
    specs = as_themes(themes)
    out = pd.DataFrame(index=index)
    excluded = {}
    for name, spec in specs.items():
        sources = theme_sources(spec, incidents, partner)
        present = None
        for source, table in sources:
            m = _source_months(source, table, months_present)
            present = m if present is None else present & m
        rows = theme_incidents(spec, incidents, partner, period=Period(index[0], index[-1]))
        counts = rows.groupby(pd.to_datetime(rows["month"]).dt.to_period("M")).size()
        counts.index = counts.index.to_timestamp()
        series = counts.reindex(index, fill_value=0).astype(float)
        series[~index.isin(sorted(present or []))] = np.nan
        from_police = [s for s, _ in sources if s == "incidents"]
        cats = []
        if from_police:
            cats = [ASB] if len(sources) == 2 else list(spec.categories)
        bad = sorted(m for m in flagged_months(implausible, cats) if m in index)
        series[index.isin(bad)] = np.nan
        excluded[name] = bad
        out[name] = series
    out.columns.name = "theme"
    out.attrs = {"excluded": excluded}
    return out


def _trim(series: pd.Series) -> pd.Series:
    """Drop leading months with no data (the data start later than the window)."""
    first = series.first_valid_index()
    return series if first is None else series.loc[first:]


def theme_threat(
    monthly: pd.DataFrame,
    *,
    horizon: int = 12,
    level: float = 0.95,
    n_sims: int = 500,
    random_state: int = 0,
) -> pd.DataFrame:
    """Trend and forecast of each theme's monthly counts (the threat inputs).

    Parameters
    ----------
    monthly : pandas.DataFrame
        Months x themes, as from :func:`theme_monthly_counts` (NaN = missing month).
    horizon : int, default 12
        Months forecast.
    level : float, default 0.95
        Confidence level of the trend's interval.
    n_sims, random_state : int
        Passed to :class:`csplib.models.CountForecast` (fixed seed).

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; ``months_used`` (months with data), ``trend_pct`` (annual % change),
        ``trend_low``, ``trend_high`` (its interval), ``trend_p`` (p-value), ``family``,
        ``trend_method``, ``last_12_months`` (mean of the months with data in the last 12,
        times 12), ``forecast_total`` (the forecast's expected total, the predictive mean),
        ``forecast_change`` (% of the first on the second), ``forecast_method`` and ``note``.
        The three forecast columns are NaN when the forecast would have no trend.

    Examples
    --------
    >>> idx = pd.date_range("2021-04-01", periods=36, freq="MS")
    >>> y = 100 * 1.2 ** (np.arange(36) / 12)              # +20% a year
    >>> t = theme_threat(pd.DataFrame({"Rising": np.round(y)}, index=idx))
    >>> round(float(t.loc["Rising", "trend_pct"])), bool(t.loc["Rising", "trend_p"] < 0.001)
    (20, True)
    >>> bool(15 < t.loc["Rising", "forecast_change"] < 25)
    True
    """
    records = []
    for name in monthly.columns:
        y = _trend_input(monthly[name])
        rec = {"theme": name, "months_used": float(y.notna().sum())}
        if y.notna().sum() == 0:
            rec.update(
                trend_pct=np.nan,
                trend_low=np.nan,
                trend_high=np.nan,
                trend_p=np.nan,
                family=None,
                trend_method="none (no data)",
                last_12_months=np.nan,
                forecast_total=np.nan,
                forecast_change=np.nan,
                forecast_method="none (no data)",
                note="No months with data in the trend window.",
            )
            records.append(rec)
            continue
        trend = CountTrend(y, level=level).fit()
        rec.update(
            trend_pct=100 * trend.annual_change,
            trend_low=100 * trend.ci[0],
            trend_high=100 * trend.ci[1],
            trend_p=trend.p_value,
            family=trend.family,
            trend_method=trend.method,
        )
        notes = [trend.note] if trend.note else []
        recent = y.iloc[-12:]
        base = float(recent.mean() * 12) if recent.notna().any() else np.nan
        rec["last_12_months"] = base
        problem = seasonal_problem(y)
        if problem:
            rec.update(
                last_12_months=np.nan,
                forecast_total=np.nan,
                forecast_change=np.nan,
                forecast_method="not used (no trend)",
            )
            notes.append(f"Forecast not used: {problem}, so it would be a constant rate.")
        else:
            fc = CountForecast(
                y, horizon=horizon, level=level, n_sims=n_sims, random_state=random_state
            ).fit()
            change = 100 * (fc.total / base - 1) if base > 0 else np.nan
            rec.update(forecast_total=fc.total, forecast_change=change, forecast_method=fc.method)
        rec["note"] = " ".join(n for n in notes if n)
        records.append(rec)
    cols = [
        "months_used",
        "trend_pct",
        "trend_low",
        "trend_high",
        "trend_p",
        "family",
        "trend_method",
        "last_12_months",
        "forecast_total",
        "forecast_change",
        "forecast_method",
        "note",
    ]
    if not records:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="theme"))
    out = pd.DataFrame.from_records(records, index="theme")[cols]
    out.index.name = "theme"
    return out


def _trend_input(series: pd.Series) -> pd.Series:
    y = _trim(series.astype(float))
    y.index = pd.DatetimeIndex(y.index, freq="MS", name="month")
    return y


# ----------------------------------------------------------------------------- harm
def harm_weights(params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The harm weights named by the parameters: by category (rolled up) and by offence code.

    The files are :meth:`csplib.params.Params.harm_files` (the ONS Crime Severity Score and
    the force's offence mix unless the parameters name others).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Category weights (:func:`csplib.harm.roll_up_weights` of the weights over the
        offence mix) and the offence-code weights (:func:`csplib.harm.load_weights`).

    Examples
    --------
    >>> from csplib.params import load_params
    >>> cat, code = harm_weights(load_params("parameters/default.yaml"))
    >>> round(float(cat.loc["Burglary", "weight"]), 1), code.attrs["scheme"]
    (381.7, 'ONS Crime Severity Score')
    """
    weights = load_harm_weights(
        *params.harm_files(), offence_codes=params.data.reference_dir / OFFENCE_CODES_FILE
    )
    return weights.categories, weights.codes


# ----------------------------------------------------------------------------- scheme tables
def scheme_table(config: PriorityConfig) -> pd.DataFrame:
    """The scoring scheme as a table: one row per indicator, with its criterion's weight.

    Returns
    -------
    pandas.DataFrame
        Index ``indicator``; ``criterion``, ``criterion_weight``, ``label``, ``weight``
        (within the criterion), ``direction``, ``breakpoint_1`` ... ``breakpoint_<n>``,
        ``significance`` (p-value column, or empty) and ``alpha``.

    Examples
    --------
    >>> t = scheme_table(load_priority_config())
    >>> t.loc["count", ["criterion", "breakpoint_1", "breakpoint_4"]].astype(str).tolist()
    ['volume', '250.0', '5000.0']
    """
    rows = []
    for spec in config.indicators:
        row = {
            "indicator": spec.name,
            "criterion": spec.criterion,
            "criterion_weight": config.weights[spec.criterion],
            "label": spec.label,
            "weight": spec.weight,
            "direction": spec.direction,
        }
        for i, b in enumerate(spec.breakpoints, start=1):
            row[f"breakpoint_{i}"] = b
        row["significance"] = spec.significance or ""
        row["alpha"] = spec.alpha if spec.significance else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicator")


def scheme_settings(config: PriorityConfig) -> pd.DataFrame:
    """The scheme's scale, missing-value rule and sensitivity settings, as a table.

    Examples
    --------
    >>> s = scheme_settings(load_priority_config())
    >>> s.loc[["scale_min", "scale_max", "missing", "draws"], "value"].tolist()
    ['1', '5', 'exclude', '1000']
    """
    sens = config.sensitivity
    rows = [
        ("scale_min", config.scale_min, "lowest score"),
        ("scale_max", config.scale_max, "highest score"),
        ("missing", config.missing, "rule for a missing value (exclude: re-weight the rest)"),
        ("draws", sens.draws, "perturbed rankings drawn"),
        ("method", sens.method, "how weights are perturbed"),
        ("weight_spread", sens.weight_spread, "uniform: each weight x U(1 - s, 1 + s)"),
        ("concentration", sens.concentration, "dirichlet only: closeness to the set weights"),
        ("breakpoint_shift", sens.breakpoint_shift, "breakpoints moved by U(-f, f) x band width"),
        ("top_k", sens.top_k, "number of recommended priorities"),
        ("robust_share", sens.robust_share, "robust: same top-k membership in this share"),
        ("seed", sens.seed, "random seed"),
    ]
    return pd.DataFrame(
        {
            "value": [f"{v:g}" if isinstance(v, float) else str(v) for _, v, _ in rows],
            "meaning": [m for _, _, m in rows],
        },
        index=pd.Index([k for k, _, _ in rows], name="setting"),
    )


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
        :func:`csplib.priorities.score_themes` (empty when no theme could be scored).
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
        The glue's settings (period, trend window, horizon, level, population).
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
            why = f"no value was given under priorities.judgements.{spec.name}"
        else:
            why = (
                f"it is an analyst's judgement: give it under priorities.judgements."
                f"{spec.name} in the parameters"
            )
        notes.append(f"No theme has a value for {spec.name} ({spec.label}): {why}.")
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
                f"{_join(lacking)} {'has' if len(lacking) == 1 else 'have'} no {crit} score"
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
        "trend_window": f"{trend_months} months to {period.end:%b %Y}",
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
    has_trend = threat["trend_pct"].notna()
    basis = np.where(
        has_trend,
        f"trend over {trend_months} months (GLM)",
        np.where(ind["yoy_pct_change"].notna(), "year on year (Poisson test)", "none"),
    )
    ind["pct_change"] = threat["trend_pct"].where(has_trend, ind["yoy_pct_change"])
    ind["p_value"] = threat["trend_p"].where(has_trend, ind["yoy_p_value"])
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
            f"The assessed period has {period.n_months} months; the volume breakpoints of the "
            "default scheme are set for 12 months, so volume scores are lower than a year's."
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


# ----------------------------------------------------------------------------- words
def _join(items) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def volume_harm_title(scores: pd.DataFrame) -> str:
    """A title stating what the volume-harm chart shows (one line per theme named).

    Examples
    --------
    >>> t = pd.DataFrame({"rate_per_1000": [30.0, 3.0], "harm_per_offence": [100.0, 400.0],
    ...                   "threat": [2.0, 4.0]}, index=["Violence", "Weapons"])
    >>> print(volume_harm_title(t))
    Violence has the highest rate;
    Weapons the most harm per offence and the highest threat
    """
    t = scores.dropna(subset=["rate_per_1000", "harm_per_offence"])
    if t.empty:
        return "No theme has both a rate and a harm weight"
    parts = {
        "the highest rate": t["rate_per_1000"].idxmax(),
        "the most harm per offence": t["harm_per_offence"].idxmax(),
    }
    if "threat" in t.columns and t["threat"].notna().any():
        parts["the highest threat"] = t["threat"].idxmax()
    by_theme: dict[str, list[str]] = {}
    for what, theme in parts.items():
        by_theme.setdefault(str(theme), []).append(what)
    return ";\n".join(
        f"{theme} {'has ' if i == 0 else ''}{_join(what)}"
        for i, (theme, what) in enumerate(by_theme.items())
    )


def rank_range_title(summary: pd.DataFrame, top_k: int) -> str:
    """A title stating how robust the ranking is.

    Examples
    --------
    >>> s = pd.DataFrame({"robust": [True, True, False]}, index=["A", "B", "C"])
    >>> rank_range_title(s, 3)
    '2 of 3 themes keep their place in or out of the top 3 under perturbed weights'
    """
    n_robust = int(summary["robust"].sum())
    if n_robust == len(summary):
        return f"Every theme keeps its place in or out of the top {top_k} under perturbed weights"
    return (
        f"{n_robust} of {len(summary)} themes keep their place in or out of the top {top_k} "
        "under perturbed weights"
    )


def priorities_findings(result: PrioritisationResult) -> list[Finding]:
    """The chapter's key findings, as plain sentences for the summary.

    1. The recommended priorities (the top k by total score), split into those whose
       top-k place is robust and those whose rank is sensitive to the weights, and the
       themes outside the top k that could enter it.
    2. Themes with a statistically significant rising trend.
    3. What could not be scored.

    Examples
    --------
    >>> months = pd.date_range("2021-04-01", "2024-03-01", freq="MS")
    >>> rng = np.random.default_rng(3)
    >>> n_b, n_d = rng.poisson(40 * 1.2 ** (np.arange(36) / 12)), rng.poisson(60, 36)
    >>> inc = pd.DataFrame({"month": np.concatenate([months.repeat(n_b), months.repeat(n_d)]),
    ...                     "category": ["Burglary"] * n_b.sum() + ["Drugs"] * n_d.sum()})
    >>> themes = {"b": {"name": "Burglary", "categories": ["Burglary"]},
    ...           "d": {"name": "Drugs", "categories": ["Drugs"]}}
    >>> res = prioritise(themes, inc, period="2023/24", population=1000)
    >>> import textwrap
    >>> for finding in priorities_findings(res):
    ...     print(textwrap.fill(finding.text, 88))
    Recommended priorities for 2023/24: Burglary (score 4.2 of 5) and Drugs (3.1) (robust).
    Burglary rose by 19.4% a year (95% CI 12.9% to 26.1%) over the 36 months to the end of
    2023/24; the rise is statistically significant (p < 0.001).
    """
    out = []
    period = result.settings.get("period", "")
    s = result.scores
    if s.empty:
        return [Finding("No theme could be scored, so no priorities are recommended.", CHAPTER)]
    cfg = result.config
    k = cfg.sensitivity.top_k
    summ = result.sensitivity.summary
    top = result.recommended

    def label(i: int, theme: str) -> str:
        total = float(s.loc[theme, "total"])
        return (
            f"{theme} (score {total:.1f} of {cfg.scale_max})"
            if i == 0
            else (f"{theme} ({total:.1f})")
        )

    robust = [t for t in top if summ.loc[t, "robust"]]
    fragile = [t for t in top if not summ.loc[t, "robust"]]
    labels = {t: label(i, t) for i, t in enumerate(top)}
    parts = []
    if robust:
        parts.append(f"{_join(labels[t] for t in robust)} (robust)")
    if fragile:
        shares = _join(f"{summ.loc[t, 'top_k_share']:.0%}" for t in fragile)
        parts.append(
            f"{_join(labels[t] for t in fragile)} (rank sensitive to the weights: in the top "
            f"{k} in {shares} of {cfg.sensitivity.draws:,} perturbed rankings)"
        )
    lead = f"Recommended priorities for {period}" if period else "Recommended priorities"
    out.append(Finding(f"{lead}: {'; '.join(parts)}.", CHAPTER))
    contenders = [t for t in s.index if t not in top and not summ.loc[t, "robust"]]
    if contenders:
        listed = _join(
            f"{t} (rank {int(s.loc[t, 'rank'])}; in the top {k} in "
            f"{summ.loc[t, 'top_k_share']:.0%} of perturbed rankings)"
            for t in contenders
        )
        out.append(Finding(f"{listed} could also enter the top {k}.", CHAPTER))
    th = result.threat
    rising = th[(th["trend_p"] < 0.05) & (th["trend_pct"] > 0)]
    for theme, row in rising.iterrows():
        p = "p < 0.001" if row["trend_p"] < 0.001 else f"p = {row['trend_p']:.3f}"
        out.append(
            Finding(
                f"{theme} rose by {row['trend_pct']:.1f}% a year (95% CI {row['trend_low']:.1f}% "
                f"to {row['trend_high']:.1f}%) over the {int(row['months_used'])} months to the "
                f"end of {period}; the rise is statistically significant ({p}).",
                CHAPTER,
            )
        )
    for theme, reason in result.not_scored["reason"].items():
        out.append(Finding(f"{theme} could not be scored: {reason}.", CHAPTER))
    return out
