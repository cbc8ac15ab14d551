"""The Crime Severity Score: harm per resident, by period and by year, and its change.

Crime Severity Score
--------------------
ONS defines the CSS of an area as the sum of offences x weights divided by the **number of
residents** (not per 1,000): e.g. 10.1 for England and Wales in 2015/16, which is about
4.5 million offences with a mean weight near 130 (days of custody equivalent) over 58 million
people. :func:`crime_severity_score` and :func:`severity_scores` follow that convention, for
the period as given (a 12-month period gives the annual score; shorter periods are not
annualised). Rows without a weight (ASB, codes with no weight) are left out. Residents are
the ONS mid-year estimate for the year of the period's middle month, or the nearest year
available (:func:`residents`, :meth:`csplib.ingest.geography.Geography.population`).

Change in the score
-------------------
The ratio of two scores, with an approximate confidence interval (:func:`css_change`). The
harm of a period, ``H = sum_i w_i``, is a compound Poisson sum (the count of each offence is
Poisson), so ``Var(H)`` is estimated by ``sum_i w_i^2`` over the period's crimes and, by the
delta method, ``Var(log H) = sum_i w_i^2 / H^2``. For ``R = CSS_1 / CSS_0`` (residents taken
as known) ``se(log R) = sqrt(V_1 / H_1^2 + V_0 / H_0^2)`` and the interval is
``exp(log R +/- z se)``. Extra-Poisson variation (several offences in one incident, clusters
of serious offences) would widen it: the interval is a lower bound on the uncertainty.

Examples
--------
>>> rows = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 3 + ["2020-04-01"] * 2),
...                      "category": ["Burglary", "Burglary", "Shoplifting", "Burglary",
...                                   "Shoplifting"]})
>>> w = {"Burglary": 100.0, "Shoplifting": 10.0}
>>> t = severity_scores(rows, {"2019/20": "2019/20", "2020/21": "2020/21"}, {"2019/20": 1000,
...                     "2020/21": 1000}, category_weights=w)
>>> t["css"].tolist()
[0.21, 0.11]
>>> round(float(css_change(t, "2020/21", "2019/20")["pct_change"]), 1)
-47.6
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period, months_present
from csplib.core.schema import ASB
from csplib.methods.harm import _weights_kwargs, harm_series, incident_weights
from csplib.methods.themes import in_period

__all__ = ["crime_severity_score", "residents", "severity_scores", "css_change", "harm_by_year"]


def crime_severity_score(
    rows: pd.DataFrame,
    population,
    *,
    category_weights=None,
    code_weights=None,
    by: str | None = None,
    period=None,
    per: float = 1.0,
):
    """Crime Severity Score: sum of incident weights divided by residents (ONS convention).

    ``CSS = sum(count x weight) / population x per``, with ``per=1`` as ONS publishes it
    (see the module notes); rows without a weight (ASB, codes with no weight) are left out.

    Parameters
    ----------
    rows : pandas.DataFrame
        Incidents (``category``; ``offence_code`` when weighting by code; ``month`` when
        ``period`` is given).
    population : float or pandas.Series
        Residents; a Series indexed by the ``by`` groups (e.g. LSOA or ward) when ``by``.
    category_weights, code_weights
        As for :func:`csplib.methods.harm.incident_weights`.
    by : str, optional
        Column to score separately (``lsoa``, ``ward``, ...).
    period : Period or str, optional
    per : float, default 1
        1 for the ONS score per resident, 1000 for a score per 1,000 residents.

    Returns
    -------
    float or pandas.Series
        A Series named ``css`` indexed like ``population`` when ``by`` is given (groups
        without incidents score 0; groups without a population raise).

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2 + [ASB]})
    >>> w = {"Burglary": 100.0, "Shoplifting": 5.0}
    >>> crime_severity_score(rows, 1000, category_weights=w)
    0.31
    >>> crime_severity_score(rows, 1000, category_weights=w, per=1000)
    310.0
    """
    if not (isinstance(per, int | float) and per > 0):
        raise ParamsError(f"per must be a positive number, got {per!r}")
    rows = in_period(rows, period)
    rows = rows.assign(
        harm_weight=incident_weights(
            rows, category_weights=category_weights, code_weights=code_weights
        )
    )
    if by is None:
        if isinstance(population, pd.Series) or not population > 0:
            raise DataError(f"population must be a positive number, got {population!r}")
        return float(rows["harm_weight"].sum()) / float(population) * per
    if not isinstance(population, pd.Series):
        raise DataError("with by=, population must be a Series indexed by the groups")
    if by not in rows.columns:
        raise DataError(f"incidents have no column {by!r} to group by")
    harm = rows.groupby(by)["harm_weight"].sum()
    outside = sorted(set(harm.index[harm > 0]) - set(population.index))
    if outside:
        raise DataError(
            f"{len(outside)} {by} value(s) with incidents have no population, e.g. {outside[0]}"
        )
    pop = population.astype(float)
    if (pop <= 0).any():
        raise DataError(f"population must be positive; {pop.idxmin()} has {pop.min():g}")
    out = harm.reindex(pop.index, fill_value=0.0) / pop * per
    return out.rename("css")


def residents(geography, periods: Mapping) -> dict[str, tuple[float, int]]:
    """Residents of the area for each period: the mid-year estimate nearest its middle month.

    Parameters
    ----------
    geography : csplib.ingest.geography.Geography
    periods : mapping
        Name -> period (or label).

    Returns
    -------
    dict
        Name -> (residents, year of the estimate used).

    Examples
    --------
    >>> from csplib.ingest.geography import Geography
    >>> geo = Geography("data/reference", la_codes=["E06000018"])
    >>> residents(geo, {"a": "2018/19", "b": "2019/20"})
    {'a': (332900.0, 2019), 'b': (332900.0, 2019)}
    """
    by_year: dict[int, tuple[float, int]] = {}
    out = {}
    for name, period in periods.items():
        period = Period.parse(period)
        year = period.population_year
        if year not in by_year:
            pop = geography.population(year)
            by_year[year] = (float(pop["population"].sum()), int(pop["year"].iloc[0]))
        out[name] = by_year[year]
    return out


def _coverage_text(period: Period, present: pd.DatetimeIndex) -> tuple[int, str]:
    have = set(present)
    missing = [m for m in period.months if m not in have]
    n = period.n_months - len(missing)
    if not missing:
        return n, f"all {period.n_months} months"
    if len(missing) <= 3:
        listed = ", ".join(f"{m:%b %Y}" for m in missing)
        return n, f"{n} of {period.n_months} months (missing: {listed})"
    return n, f"{n} of {period.n_months} months ({len(missing)} missing)"


def severity_scores(
    rows: pd.DataFrame,
    periods: Mapping,
    population: Mapping,
    *,
    category_weights=None,
    code_weights=None,
    population_year: Mapping | None = None,
) -> pd.DataFrame:
    """The Crime Severity Score of each period (ONS convention: per resident).

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows with ``month`` and ``category`` (and ``offence_code`` to weight by code).
    periods : mapping
        Name -> period (a :class:`~csplib.core.periods.Period` or label).
    population : mapping
        Name -> residents (the same names).
    category_weights, code_weights
        As for :func:`csplib.methods.harm.incident_weights`.
    population_year : mapping, optional
        Name -> year of the population estimate (shown in the table).

    Returns
    -------
    pandas.DataFrame
        Index the names; columns ``period`` (label), ``months_with_data``, ``coverage``
        (text), ``crimes`` (rows with a weight), ``harm`` (sum of weights),
        ``harm_squares`` (sum of squared weights, for the interval of a change),
        ``harm_per_crime``, ``residents``, ``population_year`` and ``css``
        (``harm / residents``).
    """
    kwargs = _weights_kwargs(category_weights, code_weights)
    present = months_present(rows["month"]) if len(rows) else pd.DatetimeIndex([])
    records = []
    for name, period in periods.items():
        period = Period.parse(period)
        if name not in population:
            raise ParamsError(f"no population given for {name!r}")
        pop = float(population[name])
        if not pop > 0:
            raise DataError(f"residents for {name!r} must be positive, got {pop!r}")
        part = in_period(rows, period)
        w = incident_weights(part, **kwargs).dropna()
        n_months, coverage = _coverage_text(period, present)
        harm = float(w.sum())
        records.append(
            {
                "name": name,
                "period": period.label,
                "months_with_data": n_months,
                "coverage": coverage,
                "crimes": float(len(w)),
                "harm": harm,
                "harm_squares": float((w**2).sum()),
                "harm_per_crime": harm / len(w) if len(w) else np.nan,
                "residents": pop,
                "population_year": (population_year or {}).get(name),
                "css": harm / pop if n_months else np.nan,
            }
        )
    return pd.DataFrame.from_records(records, index="name").rename_axis(None)


def css_change(scores: pd.DataFrame, current: str, previous: str, *, alpha: float = 0.05):
    """The change in the Crime Severity Score between two rows of :func:`severity_scores`.

    See the module notes for the interval.

    Returns
    -------
    pandas.Series
        ``current``, ``previous`` (scores), ``ratio``, ``pct_change``, ``ci_low``,
        ``ci_high`` (% change), ``significant`` (the interval excludes 0%) and
        ``direction`` (``up``/``down``/``none``: ``none`` when not significant). Named
        ``css_change``.

    Examples
    --------
    >>> s = pd.DataFrame({"css": [2.0, 1.0], "harm": [2000.0, 1000.0],
    ...                   "harm_squares": [2e4, 1e4]}, index=["now", "then"])
    >>> c = css_change(s, "now", "then")
    >>> float(c["pct_change"]), bool(c["significant"]), c["direction"]
    (100.0, True, 'up')
    """
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ParamsError(f"alpha must be between 0 and 1, got {alpha!r}")
    for name in (current, previous):
        if name not in scores.index:
            raise ParamsError(f"no score named {name!r}; have {', '.join(scores.index)}")
    cur, prev = scores.loc[current], scores.loc[previous]
    ratio = float(cur["css"] / prev["css"]) if prev["css"] > 0 else math.nan
    lo = hi = math.nan
    if np.isfinite(ratio) and ratio > 0:
        var = cur["harm_squares"] / cur["harm"] ** 2 + prev["harm_squares"] / prev["harm"] ** 2
        half = float(stats.norm.ppf(1 - alpha / 2) * math.sqrt(var))
        lo, hi = math.exp(math.log(ratio) - half), math.exp(math.log(ratio) + half)
    significant = bool(np.isfinite(lo) and (lo > 1 or hi < 1))
    direction = "none" if not significant else ("up" if ratio > 1 else "down")
    return pd.Series(
        {
            "current": float(cur["css"]),
            "previous": float(prev["css"]),
            "ratio": ratio,
            "pct_change": 100 * (ratio - 1),
            "ci_low": 100 * (lo - 1),
            "ci_high": 100 * (hi - 1),
            "significant": significant,
            "direction": direction,
        },
        name="css_change",
        dtype=object,
    )


def harm_by_year(
    rows: pd.DataFrame,
    population: Mapping,
    *,
    category_weights=None,
    code_weights=None,
    population_year: Mapping | None = None,
) -> pd.DataFrame:
    """Harm and the Crime Severity Score by financial year, with the months each year has.

    A year with missing months has partial harm (and score): ``complete`` is False and
    ``coverage`` names the missing months. ASB rows are left out.

    Parameters
    ----------
    population : mapping
        Financial-year label -> residents (years without one get NaN scores).

    Returns
    -------
    pandas.DataFrame
        Index ``financial_year``; ``months``, ``complete``, ``coverage``, ``crimes``,
        ``harm``, ``harm_per_crime``, ``residents``, ``population_year``, ``css``.

    Examples
    --------
    >>> months = pd.date_range("2019-04-01", "2020-06-01", freq="MS")
    >>> rows = pd.DataFrame({"month": months, "category": "Burglary"})
    >>> t = harm_by_year(rows, {"2019/20": 100, "2020/21": 100},
    ...                  category_weights={"Burglary": 10.0})
    >>> t["months"].tolist(), t["css"].tolist(), t["complete"].tolist()
    ([12, 3], [1.2, 0.3], [True, False])
    """
    crimes = rows[rows["category"] != ASB]
    kwargs = _weights_kwargs(category_weights, code_weights)
    series = harm_series(crimes, freq="financial_year", **kwargs)
    present = months_present(crimes["month"])
    out = pd.DataFrame(index=series.index)
    out["months"] = series["months"].astype(int)
    out["complete"] = out["months"] == 12
    out["coverage"] = [
        _coverage_text(Period.financial_year(int(fy[:4])), present)[1] for fy in out.index
    ]
    out["crimes"] = series["weighted"].astype(float)
    out["harm"] = series["harm"].astype(float)
    out["harm_per_crime"] = out["harm"] / out["crimes"].where(out["crimes"] > 0)
    pop = pd.Series({k: float(v) for k, v in population.items()}, dtype=float)
    out["residents"] = pop.reindex(out.index)
    years = population_year or {}
    out["population_year"] = [years.get(fy) for fy in out.index]
    out["css"] = out["harm"] / out["residents"]
    out.index.name = "financial_year"
    return out
