"""Risk: repeat victimisation, concentration in places, deprivation gradient, public concern.

Repeat victimisation
    A victim is a **repeat victim** when at least ``min_incidents`` (2) of their incidents
    fall within ``window_months`` (12) calendar months of each other: the last of them is
    *before* the same day ``window_months`` months after the first (15 Jan 2019 and 14 Jan
    2020 are within 12 months; 15 Jan 2019 and 15 Jan 2020 are not). Dates come from
    ``date`` when the rows have it, else from ``month`` (then two incidents count as within
    12 months when their months are at most 11 months apart). Rows with a blank
    ``victim_id`` cannot be linked to a victim: they are left out and counted. Reported:
    the share of victims who are repeat victims and the share of incidents suffered by
    repeat victims (all of their incidents, the first one included).
Concentration
    Counts by LSOA over the **full list** of the area's LSOAs (LSOAs without incidents count
    as zero). The top p% of LSOAs are the ``ceil(p x n)`` LSOAs with most incidents (at least
    p% of the LSOAs, so it always names whole places). The Gini coefficient is
    ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)`` over LSOAs (0: spread evenly; (n-1)/n: all in
    one LSOA); the Lorenz curve is the cumulative share of incidents against the cumulative
    share of LSOAs, fewest first.
Deprivation gradient
    Rates per 1,000 residents by IMD decile (1 = most deprived) with exact Poisson intervals,
    and the rate ratio of the most deprived decile present to the least deprived decile
    present with its confidence interval (by default exact, conditional on the total: the
    Clopper-Pearson interval for the binomial share, transformed to a ratio). A Poisson
    regression of LSOA counts on decile (log population offset, Pearson-scaled errors for
    overdispersion) gives the rate ratio per decile step.
Public concern
    Survey indicators: latest wave and change on the previous wave, tested with
    :func:`csplib.metrics.change.compare_survey`.

Examples
--------
>>> import pandas as pd
>>> counts = pd.Series({"A": 10, "B": 0, "C": 0, "D": 0})
>>> c = concentration(counts, ["A", "B", "C", "D"])
>>> float(c["gini"]), float(c["top_10pct_share"])
(0.75, 100.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.rates import confint_poisson_2indep

from csplib.errors import DataError, ParamsError
from csplib.metrics.change import compare_survey
from csplib.themes import _in_period

__all__ = [
    "repeat_victimisation",
    "gini",
    "area_counts",
    "concentration",
    "lorenz_curve",
    "DeprivationGradient",
    "deprivation_gradient",
    "public_concern",
]


# ----------------------------------------------------------------------------- repeats
def _repeat_flags(victims: np.ndarray, dates: pd.Series, window: int, k: int) -> pd.Series:
    """Whether each victim has ``k`` incidents before the window end of the first of them.

    ``victims`` and ``dates`` are sorted by victim then date. With the dates sorted, ``k``
    incidents fall within the window starting at incident ``i`` exactly when incident
    ``i + k - 1`` of the same victim falls before ``i``'s window end, so one shifted
    comparison over all rows decides every victim at once.
    """
    ends = (dates + pd.DateOffset(months=window)).to_numpy()
    values = dates.to_numpy()
    n = len(values)
    hit = np.zeros(n, dtype=bool)
    if n >= k:
        later = values[k - 1 :]
        same = victims[k - 1 :] == victims[: n - k + 1]
        hit[: n - k + 1] = same & (later < ends[: n - k + 1])
    return pd.Series(hit).groupby(victims, sort=True).any()


def _repeat_one(rows: pd.DataFrame, date_col: str, window: int, k: int) -> dict:
    victims = rows["victim_id"]
    blank = victims.isna() | (victims.astype("str").str.strip() == "")
    linked = rows.loc[~blank.to_numpy()]
    ids = linked["victim_id"].astype("str").str.strip()
    dates = pd.to_datetime(linked[date_col])
    if dates.isna().any():
        raise DataError(f"{int(dates.isna().sum())} row(s) with a victim have no {date_col}")
    if date_col == "month":
        dates = dates.dt.to_period("M").dt.to_timestamp()
    frame = pd.DataFrame({"victim": ids.to_numpy(), "date": dates.to_numpy()}).sort_values(
        ["victim", "date"], kind="stable"
    )
    victim_arr = frame["victim"].to_numpy(dtype=object)
    is_rep_by_victim = _repeat_flags(victim_arr, frame["date"].reset_index(drop=True), window, k)
    per_victim = frame.groupby("victim", sort=True).size()
    is_rep = is_rep_by_victim.reindex(per_victim.index).fillna(False).to_numpy(dtype=bool)
    n_victims, n_inc = len(per_victim), int(per_victim.sum())
    n_rep = int(is_rep.sum())
    inc_rep = int(per_victim[is_rep].sum())
    return {
        "incidents": float(n_inc),
        "victims": float(n_victims),
        "repeat_victims": float(n_rep),
        "repeat_victim_share": 100 * n_rep / n_victims if n_victims else np.nan,
        "incidents_by_repeat_victims": float(inc_rep),
        "repeat_incident_share": 100 * inc_rep / n_inc if n_inc else np.nan,
        "blank_victim_excluded": float(blank.sum()),
    }


def repeat_victimisation(
    rows: pd.DataFrame,
    *,
    period=None,
    window_months: int = 12,
    min_incidents: int = 2,
    by: str | None = None,
):
    """Repeat victims and the incidents they suffer (see the module notes for the rule).

    Parameters
    ----------
    rows : pandas.DataFrame
        Incidents with ``victim_id`` and ``date`` (or ``month``): e.g. a partner extract's
        hate crimes or domestic abuse.
    period : Period or str, optional
        Consider only incidents whose ``month`` lies in the period.
    window_months : int, default 12
    min_incidents : int, default 2
    by : str, optional
        Column to report separately (e.g. ``hate_strand``).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        ``incidents`` (with a victim), ``victims``, ``repeat_victims``,
        ``repeat_victim_share`` (% of victims), ``incidents_by_repeat_victims``,
        ``repeat_incident_share`` (% of incidents) and ``blank_victim_excluded``; a Series
        named ``repeat_victimisation``, or one row per ``by`` group.

    Examples
    --------
    >>> rows = pd.DataFrame({"victim_id": ["V1", "V1", "V2", "V3", None],
    ...                      "date": pd.to_datetime(["2019-01-15", "2020-01-14", "2019-05-01",
    ...                                              "2019-06-01", "2019-06-02"])})
    >>> r = repeat_victimisation(rows)
    >>> r[["victims", "repeat_victims", "incidents_by_repeat_victims"]].tolist()
    [3.0, 1.0, 2.0]
    >>> round(float(r["repeat_incident_share"]), 1), float(r["blank_victim_excluded"])
    (50.0, 1.0)
    """
    checks = (("window_months", window_months, 1), ("min_incidents", min_incidents, 2))
    for name, value, low in checks:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ParamsError(f"{name} must be a whole number of at least {low}, got {value!r}")
    if "victim_id" not in rows.columns:
        raise DataError("incidents have no 'victim_id' column: repeat victimisation needs one")
    date_col = "date" if "date" in rows.columns else "month"
    if date_col not in rows.columns:
        raise DataError("incidents have neither 'date' nor 'month'")
    rows = _in_period(rows, period)
    if by is None:
        out = pd.Series(_repeat_one(rows, date_col, window_months, min_incidents))
        out.name = "repeat_victimisation"
    else:
        if by not in rows.columns:
            raise DataError(f"incidents have no column {by!r} to split by")
        out = pd.DataFrame.from_dict(
            {
                key: _repeat_one(g, date_col, window_months, min_incidents)
                for key, g in rows.groupby(by, sort=True)
            },
            orient="index",
        )
        out.index.name = by
    out.attrs = {
        "window_months": window_months,
        "min_incidents": min_incidents,
        "date": date_col,
        "period": None if period is None else str(period),
    }
    return out


# ----------------------------------------------------------------------------- concentration
def gini(values) -> float:
    """Gini coefficient of non-negative values (population form, no small-sample factor).

    ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n`` with the values sorted ascending,
    which equals the mean absolute difference over all pairs divided by twice the mean.
    NaN when every value is zero or there are none.

    Examples
    --------
    >>> gini([5, 5, 5, 5]), gini([0, 0, 0, 8])
    (0.0, 0.75)
    """
    x = np.asarray(values, dtype=float).ravel()
    if np.isnan(x).any():
        raise DataError("Gini coefficient: values contain missing entries")
    if (x < 0).any():
        raise DataError("Gini coefficient: values must be >= 0")
    n, total = len(x), x.sum()
    if n == 0 or total == 0:
        return math.nan
    x = np.sort(x)
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * x) / (n * total) - (n + 1) / n)


def area_counts(data, areas, *, column: str = "lsoa") -> pd.Series:
    """Incidents per area over the full list of areas (areas without incidents are 0).

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows (with ``column``) or counts indexed by area.
    areas : sequence or pandas.Index
        Every area of the partnership (e.g. ``geography.lsoa_table.index``).

    Returns
    -------
    pandas.Series
        Counts indexed by area, named ``incidents``; ``attrs["outside"]`` counts incidents
        in areas not in the list, ``attrs["no_area"]`` those without an area.

    Examples
    --------
    >>> rows = pd.DataFrame({"lsoa": ["A", "A", "Z", None]})
    >>> c = area_counts(rows, ["A", "B"])
    >>> c.tolist(), c.attrs["outside"], c.attrs["no_area"]
    ([2.0, 0.0], 1.0, 1.0)
    """
    areas = pd.Index(pd.Series(list(areas), dtype="str").unique(), name=column)
    if len(areas) == 0:
        raise DataError("the list of areas is empty")
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            raise DataError(f"incidents have no {column!r} column")
        values = data[column]
        no_area = float((values.isna() | (values.astype("str").str.strip() == "")).sum())
        counts = values.dropna().astype("str").value_counts().astype(float)
        counts = counts[counts.index.str.strip() != ""]
    else:
        counts = pd.Series(data, dtype=float)
        if counts.isna().any() or (counts < 0).any():
            raise DataError("area counts must be numbers >= 0")
        no_area = 0.0
        counts.index = counts.index.astype("str")
    outside = float(counts[~counts.index.isin(areas)].sum())
    out = counts.reindex(areas, fill_value=0.0).astype(float).rename("incidents")
    out.attrs = {"outside": outside, "no_area": no_area}
    return out


def concentration(data, areas, *, shares=(0.05, 0.10), column: str = "lsoa") -> pd.Series:
    """How concentrated incidents are in few places: top-p% shares and the Gini coefficient.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows or counts by area (see :func:`area_counts`).
    areas : sequence
        The full list of the area's LSOAs (zeros count).
    shares : sequence of float, default (0.05, 0.10)
        Fractions of areas for the top shares.

    Returns
    -------
    pandas.Series
        ``areas``, ``incidents``, ``zero_areas``, for each p: ``top_<p>pct_areas`` (the
        ``ceil(p n)`` areas) and ``top_<p>pct_share`` (% of incidents), then ``gini``,
        ``outside`` and ``no_area`` (incidents left out). Named ``concentration``.

    Examples
    --------
    >>> counts = pd.Series(range(1, 21), index=[f"L{i}" for i in range(20)])
    >>> c = concentration(counts, counts.index)
    >>> c[["top_5pct_areas", "top_10pct_areas"]].tolist(), round(float(c["top_10pct_share"]), 2)
    ([1.0, 2.0], 18.57)
    """
    counts = area_counts(data, areas, column=column)
    x = np.sort(counts.to_numpy())[::-1]
    n, total = len(x), float(x.sum())
    out = {"areas": float(n), "incidents": total, "zero_areas": float((x == 0).sum())}
    for p in shares:
        if not (isinstance(p, int | float) and 0 < p <= 1):
            raise ParamsError(f"shares must be fractions in (0, 1], got {p!r}")
        k = math.ceil(round(p * n, 9))
        key = f"top_{round(100 * p):g}pct"
        out[f"{key}_areas"] = float(k)
        out[f"{key}_share"] = 100 * float(x[:k].sum()) / total if total else math.nan
    out["gini"] = gini(x)
    out["outside"] = counts.attrs["outside"]
    out["no_area"] = counts.attrs["no_area"]
    return pd.Series(out, name="concentration")


def lorenz_curve(data, areas, *, column: str = "lsoa") -> pd.DataFrame:
    """The Lorenz curve of incidents over areas, fewest incidents first.

    Returns
    -------
    pandas.DataFrame
        One row per area plus a first row at the origin: ``area`` (missing at the origin),
        ``incidents``, ``area_share`` and ``incident_share`` (cumulative fractions, 0 to 1).
        ``attrs["gini"]`` holds the Gini coefficient (1 - 2 x area under the curve).

    Examples
    --------
    >>> lc = lorenz_curve(pd.Series({"A": 3, "B": 1}), ["A", "B", "C", "D"])
    >>> lc["incident_share"].tolist()
    [0.0, 0.0, 0.0, 0.25, 1.0]
    """
    counts = area_counts(data, areas, column=column).sort_values(kind="stable")
    total = float(counts.sum())
    n = len(counts)
    cum = counts.cumsum() / total if total else counts * np.nan
    out = pd.DataFrame(
        {
            "area": [None, *counts.index],
            "incidents": [0.0, *counts.to_numpy()],
            "area_share": np.arange(n + 1) / n,
            "incident_share": [0.0, *cum.to_numpy()],
        }
    )
    out.attrs = {"gini": gini(counts.to_numpy())}
    return out


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
        Passed to :func:`csplib.metrics.change.compare_survey`.

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
