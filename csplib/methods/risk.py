"""Risk: the deprivation gradient and public concern.

Repeat victimisation is :mod:`csplib.methods.risk_repeats` and concentration in places (top
shares, Gini and generalized Gini coefficients, Lorenz curve, each against random allocation)
:mod:`csplib.methods.concentration`; their functions are re-exported here.

Deprivation gradient
    Rates per 1,000 residents by IMD decile (1 = most deprived) with exact Poisson intervals,
    and the rate ratio of the most deprived decile present to the least deprived decile
    present with its confidence interval (by default exact, conditional on the total: the
    Clopper-Pearson interval for the binomial share, transformed to a ratio). A Poisson
    regression of LSOA counts on decile (log population offset, Pearson-scaled errors for
    overdispersion) gives the rate ratio per decile step.
Public concern
    Survey indicators: latest wave and change on the previous wave, tested with
    :func:`csplib.methods.measures.change.compare_survey`. Whether a rise is good or bad
    comes from the measure registry when a measure reads the indicator, else from its name
    (:func:`survey_polarity`).

Examples
--------
>>> import pandas as pd
>>> g = deprivation_gradient(pd.Series({"a": 30, "b": 9}), pd.Series({"a": 2000, "b": 3000}),
...                          pd.Series({"a": 1, "b": 10}))
>>> round(g.ratio, 1), g.most, g.least
(5.0, 1, 10)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.rates import confint_poisson_2indep

from csplib.core.errors import DataError, ParamsError
from csplib.methods.concentration import (
    area_counts,
    chance_verdict,
    concentration,
    generalized_gini,
    gini,
    lorenz_curve,
)
from csplib.methods.measures.change import compare_survey
from csplib.methods.measures.registry import load_registry
from csplib.methods.risk_repeats import repeat_victimisation

__all__ = [
    "DeprivationGradient",
    "deprivation_gradient",
    "gradient_table",
    "gradient_summary",
    "public_concern",
    "survey_polarity",
    "concern_table",
    # re-exported from csplib.methods.risk_repeats and csplib.methods.concentration
    "repeat_victimisation",
    "gini",
    "generalized_gini",
    "area_counts",
    "concentration",
    "chance_verdict",
    "lorenz_curve",
]


# ----------------------------------------------------------------------------- deprivation
@dataclass(frozen=True)
class DeprivationGradient:
    """Rates by deprivation decile, the most/least deprived rate ratio and the trend.

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``imd_decile``; ``lsoas``, ``incidents``, ``population``, ``rate`` (per
        ``per`` residents), ``ci_low``, ``ci_high`` (exact Poisson interval).
    ratio, ci_low, ci_high : float
        Rate in decile ``most`` divided by the rate in decile ``least``, with its interval.
    most, least : int
        The most and least deprived deciles present.
    trend_ratio, trend_ci_low, trend_ci_high : float
        Rate ratio per decile step (below 1: rates fall as deprivation falls), from a Poisson
        regression over LSOAs with Pearson-scaled standard errors; NaN if it cannot be fitted.
    config : dict
        Settings used (``per``, ``alpha``, ``method``), and ``excluded`` incidents (in
        LSOAs without a population).
    """

    table: pd.DataFrame
    ratio: float
    ci_low: float
    ci_high: float
    most: int
    least: int
    trend_ratio: float
    trend_ci_low: float
    trend_ci_high: float
    config: dict = field(default_factory=dict)

    def summary(self) -> pd.Series:
        """The headline figures as a Series."""
        return pd.Series(
            {
                "most_deprived_decile": self.most,
                "least_deprived_decile": self.least,
                "rate_most": self.table.loc[self.most, "rate"],
                "rate_least": self.table.loc[self.least, "rate"],
                "rate_ratio": self.ratio,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "trend_ratio_per_decile": self.trend_ratio,
                "trend_ci_low": self.trend_ci_low,
                "trend_ci_high": self.trend_ci_high,
            },
            name="deprivation_gradient",
        )


_RATIO_METHODS = ("exact", "score", "wald-log", "score-log", "mover")


def _exact_rate_ci(x: float, alpha: float) -> tuple[float, float]:
    low = stats.chi2.ppf(alpha / 2, 2 * x) / 2 if x > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return float(low), float(high)


def _ratio_ci(x1, e1, x2, e2, alpha, method) -> tuple[float, float]:
    if method == "exact":
        if x1 + x2 == 0:
            return math.nan, math.nan
        ci = stats.binomtest(int(x1), int(x1 + x2)).proportion_ci(
            confidence_level=1 - alpha, method="exact"
        )

        def to_ratio(p: float) -> float:
            return p / (1 - p) * e2 / e1 if p < 1 else math.inf

        return float(to_ratio(ci.low)), float(to_ratio(ci.high))
    low, high = confint_poisson_2indep(x1, e1, x2, e2, method=method, compare="ratio", alpha=alpha)
    return float(low), float(high)


def _series(values, name: str, what: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        if name not in values.columns:
            raise DataError(f"{what} table has no {name!r} column")
        values = values[name]
    s = pd.Series(values)
    s.index = s.index.astype("str")
    return s


def deprivation_gradient(
    data,
    population,
    decile,
    *,
    per: float = 1000,
    alpha: float = 0.05,
    method: str = "exact",
    column: str = "lsoa",
) -> DeprivationGradient:
    """Incident rates by IMD decile and the ratio of the most to the least deprived.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows (with ``column``) or counts by LSOA.
    population : pandas.Series or pandas.DataFrame
        Residents by LSOA (a DataFrame's ``population`` column, as from
        ``Geography.population``). Its LSOAs are the area.
    decile : pandas.Series or pandas.DataFrame
        IMD decile by LSOA (a DataFrame's ``imd_decile``, as from ``Geography.deprivation``);
        1 = most deprived.
    per : float, default 1000
    alpha : float, default 0.05
    method : {"exact", "score", "wald-log", "score-log", "mover"}
        Interval for the rate ratio: ``exact`` conditional (Clopper-Pearson), or a method of
        :func:`statsmodels.stats.rates.confint_poisson_2indep`.

    Examples
    --------
    >>> counts = pd.Series({"a": 30, "b": 9})
    >>> g = deprivation_gradient(counts, pd.Series({"a": 2000, "b": 3000}),
    ...                          pd.Series({"a": 1, "b": 10}))
    >>> g.table["rate"].tolist(), g.ratio
    ([15.0, 3.0], 5.0)
    """
    if method not in _RATIO_METHODS:
        raise ParamsError(f"method must be one of {', '.join(_RATIO_METHODS)}, got {method!r}")
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ParamsError(f"alpha must be between 0 and 1, got {alpha!r}")
    pop = _series(population, "population", "population").astype(float)
    dec = _series(decile, "imd_decile", "deprivation")
    if pop.isna().any() or (pop <= 0).any():
        bad = pop.index[pop.isna() | (pop <= 0)][0]
        raise DataError(f"population of LSOA {bad} is missing or not positive")
    no_decile = pop.index[~pop.index.isin(dec.index) | dec.reindex(pop.index).isna().to_numpy()]
    if len(no_decile):
        raise DataError(
            f"{len(no_decile)} LSOA(s) have a population but no IMD decile, e.g. {no_decile[0]}"
        )
    dec = pd.to_numeric(dec.reindex(pop.index), errors="coerce")
    if dec.isna().any() or not dec.between(1, 10).all() or (dec != dec.round()).any():
        raise DataError("IMD deciles must be whole numbers from 1 to 10")
    dec = dec.astype(int)
    counts = area_counts(data, pop.index, column=column)
    frame = pd.DataFrame({"incidents": counts, "population": pop, "imd_decile": dec})
    table = frame.groupby("imd_decile").agg(
        lsoas=("population", "size"),
        incidents=("incidents", "sum"),
        population=("population", "sum"),
    )
    table["lsoas"] = table["lsoas"].astype(int)
    table["rate"] = table["incidents"] / table["population"] * per
    ci = [_exact_rate_ci(x, alpha) for x in table["incidents"]]
    table["ci_low"] = [lo / p * per for (lo, _), p in zip(ci, table["population"], strict=True)]
    table["ci_high"] = [hi / p * per for (_, hi), p in zip(ci, table["population"], strict=True)]
    most, least = int(table.index.min()), int(table.index.max())
    x1, e1 = table.loc[most, ["incidents", "population"]]
    x2, e2 = table.loc[least, ["incidents", "population"]]
    if most == least:
        ratio, lo, hi = math.nan, math.nan, math.nan
    else:
        ratio = float((x1 / e1) / (x2 / e2)) if x2 > 0 else math.inf
        lo, hi = _ratio_ci(x1, e1, x2, e2, alpha, method)
    trend = _trend(frame, alpha)
    return DeprivationGradient(
        table=table,
        ratio=ratio,
        ci_low=lo,
        ci_high=hi,
        most=most,
        least=least,
        trend_ratio=trend[0],
        trend_ci_low=trend[1],
        trend_ci_high=trend[2],
        config={
            "per": per,
            "alpha": alpha,
            "method": method,
            "excluded": counts.attrs["outside"] + counts.attrs["no_area"],
        },
    )


def _trend(frame: pd.DataFrame, alpha: float) -> tuple[float, float, float]:
    if frame["imd_decile"].nunique() < 2 or frame["incidents"].sum() == 0 or len(frame) < 3:
        return math.nan, math.nan, math.nan
    X = sm.add_constant(frame["imd_decile"].astype(float).to_numpy())
    model = sm.GLM(
        frame["incidents"].to_numpy(dtype=float),
        X,
        family=sm.families.Poisson(),
        offset=np.log(frame["population"].to_numpy(dtype=float)),
    )
    try:
        res = model.fit(scale="X2")
    except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate data
        return math.nan, math.nan, math.nan
    b = float(res.params[1])
    lo, hi = res.conf_int(alpha=alpha)[1]
    with np.errstate(over="ignore"):  # separation (all incidents in one decile): 0 or inf
        out = np.exp([b, float(lo), float(hi)])
    return float(out[0]), float(out[1]), float(out[2])


def gradient_table(gradients: Mapping[str, DeprivationGradient]) -> pd.DataFrame:
    """Rates by IMD decile of each group, stacked (index ``group``, ``imd_decile``).

    Examples
    --------
    >>> g = deprivation_gradient(pd.Series({"a": 30, "b": 9}), pd.Series({"a": 2000,
    ...                          "b": 3000}), pd.Series({"a": 1, "b": 10}))
    >>> gradient_table({"Crime": g})["rate"].tolist()
    [15.0, 3.0]
    """
    return pd.concat({name: g.table for name, g in gradients.items()}, names=["group"])


def gradient_summary(gradients: Mapping[str, DeprivationGradient]) -> pd.DataFrame:
    """The headline figures of each gradient (:meth:`DeprivationGradient.summary`)."""
    out = pd.DataFrame({name: g.summary() for name, g in gradients.items()}).T
    return out.rename_axis("group")


# ----------------------------------------------------------------------------- concern
def _as_percent(rows: pd.DataFrame) -> pd.Series:
    value = pd.to_numeric(rows["value"], errors="coerce") if "value" in rows else None
    if "kind" in rows.columns:
        kind = rows["kind"].astype("str").str.lower()
        scale = kind.map({"survey": 100.0, "proportion": 100.0, "percentage": 1.0})
        if scale.isna().any():
            bad = rows.loc[scale.isna().to_numpy(), "kind"].iloc[0]
            raise DataError(
                f"survey indicator of kind {bad!r}: expected survey, proportion or percentage"
            )
        if value is not None and value.notna().all():
            return value * scale
    num = pd.to_numeric(rows.get("numerator"), errors="coerce")
    den = pd.to_numeric(rows.get("denominator"), errors="coerce")
    pct = 100 * num / den
    if pct.isna().any():
        raise DataError(
            "survey indicators without a kind need numerator and denominator to give a percentage"
        )
    return pct


def public_concern(
    indicators: pd.DataFrame,
    names=None,
    *,
    area: str | None = None,
    polarity="lower_is_better",
    alpha: float = 0.05,
    design_effect: float = 1.0,
) -> pd.DataFrame:
    """Latest value of each survey indicator and its change on the previous wave.

    Parameters
    ----------
    indicators : pandas.DataFrame
        The tidy indicators table (``indicator, area, period_start, period_end, numerator,
        denominator, value`` and optionally ``kind``). Each wave's ``denominator`` is its
        sample size. Values are taken as percentages (``survey``/``proportion`` kinds x 100).
    names : list of str, optional
        Indicators to report (default: all in the table).
    area : str, optional
        Required when the table holds several areas.
    polarity : str or mapping, default "lower_is_better"
        For "% who see X as a problem" lower is better; give a mapping for mixed indicators.
    alpha, design_effect : float
        Passed to :func:`csplib.methods.measures.change.compare_survey`.

    Returns
    -------
    pandas.DataFrame
        Index ``indicator``; ``latest_period``, ``latest`` (%), ``n``, ``previous_period``,
        ``previous``, ``pp_change``, ``ci_low``, ``ci_high`` (for the difference, points),
        ``p_value``, ``significant``, ``direction``, ``outcome``.

    Examples
    --------
    >>> ind = pd.DataFrame({
    ...     "indicator": ["asb_problem"] * 2, "area": ["Nottingham"] * 2,
    ...     "period_start": pd.to_datetime(["2018-09-01", "2019-09-01"]),
    ...     "period_end": pd.to_datetime(["2018-11-30", "2019-11-30"]),
    ...     "numerator": [None, None], "denominator": [2000, 2000],
    ...     "value": [0.30, 0.25], "kind": ["survey", "survey"]})
    >>> pc = public_concern(ind)
    >>> float(pc.loc["asb_problem", "latest"]), round(float(pc.loc["asb_problem", "pp_change"]), 1)
    (25.0, -5.0)
    >>> pc.loc["asb_problem", ["direction", "outcome"]].tolist()
    ['down', 'good']
    """
    need = ["indicator", "period_start", "period_end", "denominator"]
    missing = [c for c in need if c not in indicators.columns]
    if missing:
        raise DataError(f"indicators table lacks column(s) {', '.join(missing)}")
    table = indicators
    if "area" in table.columns:
        areas = sorted(table["area"].dropna().astype("str").unique())
        if area is not None:
            table = table[table["area"].astype("str") == str(area)]
            if table.empty:
                raise DataError(f"no indicator rows for area {area!r}; areas: {', '.join(areas)}")
        elif len(areas) > 1:
            raise DataError(f"indicators cover several areas ({', '.join(areas)}): pass area=")
    all_names = sorted(table["indicator"].astype("str").unique())
    names = all_names if names is None else list(names)
    records = []
    for name in names:
        rows = table[table["indicator"].astype("str") == name]
        if rows.empty:
            raise DataError(
                f"no survey indicator {name!r}; the table has {', '.join(all_names) or 'none'}"
            )
        rows = rows.sort_values("period_end")
        pct = _as_percent(rows)
        n = pd.to_numeric(rows["denominator"], errors="coerce")
        if n.isna().any() or (n <= 0).any():
            raise DataError(
                f"survey indicator {name!r}: every wave needs its sample size (denominator > 0)"
            )
        labels = [
            f"{pd.Timestamp(s):%b %Y} - {pd.Timestamp(e):%b %Y}"
            for s, e in zip(rows["period_start"], rows["period_end"], strict=True)
        ]
        pol = polarity.get(name, "lower_is_better") if isinstance(polarity, dict) else polarity
        rec = {
            "indicator": name,
            "latest_period": labels[-1],
            "latest": float(pct.iloc[-1]),
            "n": float(n.iloc[-1]),
        }
        if len(rows) >= 2:
            c = compare_survey(
                float(pct.iloc[-1]),
                float(n.iloc[-1]),
                float(pct.iloc[-2]),
                float(n.iloc[-2]),
                polarity=pol,
                alpha=alpha,
                design_effect=design_effect,
            )
            rec.update(
                previous_period=labels[-2],
                previous=float(pct.iloc[-2]),
                pp_change=c.pp_change,
                ci_low=c.test.ci[0],
                ci_high=c.test.ci[1],
                p_value=c.p_value,
                significant=c.significant,
                direction=c.direction,
                outcome=c.outcome,
            )
        else:
            rec.update(
                previous_period=None,
                previous=np.nan,
                pp_change=np.nan,
                ci_low=np.nan,
                ci_high=np.nan,
                p_value=np.nan,
                significant=False,
                direction="none",
                outcome="no change",
            )
        records.append(rec)
    return pd.DataFrame.from_records(records, index="indicator")


_HIGHER_IS_BETTER_WORDS = ("safe", "confiden", "satisf", "trust", "agree")


def survey_polarity(names, registry=None) -> dict[str, str]:
    """Whether a rise in each survey indicator is good or bad.

    From the measure registry when one of its measures reads the indicator (its
    ``polarity``); else ``higher_is_better`` when the name says the respondents feel safe,
    confident, satisfied or trusting ("safe", "confiden", "satisf", "trust", "agree"), and
    ``lower_is_better`` otherwise (experience of, or worry about, a problem).

    Examples
    --------
    >>> survey_polarity(["survey_experience_asb", "survey_feel_safe_after_dark"])
    {'survey_experience_asb': 'lower_is_better', 'survey_feel_safe_after_dark': 'higher_is_better'}
    """
    registry = load_registry() if registry is None else registry
    known = {}
    for measure in registry.values():
        indicator = getattr(measure.filter, "indicator", None)
        if indicator is not None:
            known.setdefault(indicator, measure.polarity)
    out = {}
    for name in names:
        if name in known:
            out[name] = known[name]
        elif any(word in name.lower() for word in _HIGHER_IS_BETTER_WORDS):
            out[name] = "higher_is_better"
        else:
            out[name] = "lower_is_better"
    return out


def concern_table(indicators: pd.DataFrame, areas, *, until=None) -> pd.DataFrame:
    """Latest wave of each survey indicator and its change (empty when there are none).

    Parameters
    ----------
    indicators : pandas.DataFrame
        The tidy indicators table.
    areas : sequence of str
        Codes or names the partnership's rows may carry (e.g. its CSP code, local authority
        codes and name); the first found is used. A table of one area is used as it is.
    until : date-like, optional
        Leave out waves ending after this date (the end of the assessed period).

    Returns
    -------
    pandas.DataFrame
        :func:`public_concern` with ``description`` (the indicators' ``notes``)
        and ``polarity`` columns first.
    """
    rows = indicators
    if "kind" in rows.columns:
        rows = rows[rows["kind"].astype("str").str.lower() == "survey"]
    if until is not None and not rows.empty:
        rows = rows[pd.to_datetime(rows["period_end"]) <= pd.Timestamp(until)]
    if rows.empty:
        return pd.DataFrame(index=pd.Index([], name="indicator"))
    area = None
    if "area" in rows.columns:
        present = set(rows["area"].dropna().astype("str"))
        area = next((a for a in areas if a in present), None)
        if area is None and len(present) > 1:
            raise DataError(
                f"survey indicators cover {', '.join(sorted(present))}, none of which is the "
                f"partnership ({', '.join(areas)})"
            )
        if area is not None:
            rows = rows[rows["area"].astype("str") == area]
    names = sorted(rows["indicator"].astype("str").unique())
    polarity = survey_polarity(names)
    out = public_concern(rows, names, area=area, polarity=polarity)
    described = {}
    if "notes" in rows.columns:
        described = rows.groupby("indicator")["notes"].last().to_dict()
    out.insert(0, "polarity", [polarity[n] for n in out.index])
    out.insert(0, "description", [described.get(n) or n for n in out.index])
    return out
