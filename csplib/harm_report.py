"""The harm chapter's tables: weights, the rows they weight, the Crime Severity Score, its
change, harm by theme and by year, and the chapter's findings for the summary.

The weighting itself is :mod:`csplib.harm`; this module decides which rows are weighted, by
which weights, against which residents, and assembles the chapter's tables.

Which rows are weighted
-----------------------
When a partner extract with Home Office offence codes is available, **crimes** are taken from
it and each is weighted by its own offence code (exact); anti-social behaviour comes from
police.uk and has no weight (it is shown, and left out of every harm total, never zero).
Without a partner extract, police.uk crimes are weighted by their category's weight: the
offence-code weights averaged over the force's offence mix
(:func:`csplib.harm.roll_up_weights`).

Crime Severity Score
--------------------
``CSS = sum of the weights of the period's crimes / residents``: the ONS convention (per
resident, not per 1,000), for the period as given (a 12-month period gives the annual score;
shorter periods are not annualised). Residents are the ONS mid-year estimate for the year of
the period's middle month, or the nearest year available
(:meth:`csplib.geography.Geography.population`).

Change in the score
-------------------
The ratio of two scores, with an approximate confidence interval. The harm of a period,
``H = sum_i w_i``, is a compound Poisson sum (the count of each offence is Poisson), so
``Var(H)`` is estimated by ``sum_i w_i^2`` over the period's crimes and, by the delta method,
``Var(log H) = sum_i w_i^2 / H^2``. For ``R = CSS_1 / CSS_0`` (residents taken as known)
``se(log R) = sqrt(V_1 / H_1^2 + V_0 / H_0^2)`` and the interval is
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from csplib.errors import DataError, ParamsError
from csplib.harm import (
    CSS_WEIGHTS_FILE,
    harm_series,
    harm_table,
    incident_weights,
    load_offence_mix,
    load_weights,
    roll_up_weights,
    theme_harm,
)
from csplib.ingest.partner import OFFENCE_CODES_FILE
from csplib.metrics.periods import Period, financial_year_of, months_present
from csplib.narrative import Finding
from csplib.schema import ASB
from csplib.themes import FLAG_COLUMNS, _in_period, as_themes

__all__ = [
    "HarmWeights",
    "load_harm_weights",
    "harm_rows",
    "weigh_rows",
    "harm_by_category",
    "harm_by_code",
    "severity_scores",
    "css_change",
    "harm_by_year",
    "harm_by_theme",
    "residents",
    "HarmAssessment",
    "assess_harm",
    "chart_titles",
    "harm_findings",
]

_CHAPTER = "03_harm"


# ----------------------------------------------------------------------------- weights
@dataclass(frozen=True)
class HarmWeights:
    """Offence-code weights, the offence mix and the category weights rolled up from them.

    Attributes
    ----------
    codes : pandas.DataFrame
        As from :func:`csplib.harm.load_weights` (index ``offence_code``; ``weight``, ...).
    mix : pandas.DataFrame
        As from :func:`csplib.harm.load_offence_mix` (index ``offence_code``; ``category``,
        ``offences``, ``description``).
    categories : pandas.DataFrame
        As from :func:`csplib.harm.roll_up_weights` (index ``category``; ``weight``, ...).
    scheme : str
        Name of the weighting scheme.
    """

    codes: pd.DataFrame
    mix: pd.DataFrame
    categories: pd.DataFrame
    scheme: str

    @property
    def category_weights(self) -> pd.Series:
        """Weight by police.uk category (NaN where not defined, e.g. ASB)."""
        return self.categories["weight"]

    @property
    def code_weights(self) -> pd.Series:
        """Weight by offence code."""
        return self.codes["weight"]

    def code_table(self) -> pd.DataFrame:
        """The offence mix with each code's weight: what the category weights are made of.

        Returns
        -------
        pandas.DataFrame
            Index ``offence_code`` (codes with offences in the mix), sorted by category then
            offences (most first); columns ``category``, ``description``, ``offences``,
            ``weight`` (NaN: no weight, left out of the roll-up), ``mix_share`` (% of the
            category's weighted offences) and ``contribution`` (``weight x mix_share /
            100``: the contributions of a category add up to its weight).

        Examples
        --------
        >>> mix = pd.DataFrame({"category": ["Burglary", "Burglary"], "offences": [30, 10],
        ...                     "description": ["a", "b"]}, index=["28E", "30C"])
        >>> hw = HarmWeights.from_tables(pd.DataFrame({"weight": [100.0, 20.0]},
        ...                              index=["28E", "30C"]), mix)
        >>> hw.code_table()["contribution"].tolist()
        [75.0, 5.0]
        """
        mix = self.mix[self.mix["offences"] > 0]
        lookup = pd.DataFrame({"offence_code": mix.index.astype(str)}, index=mix.index)
        weight = incident_weights(lookup, code_weights=self.codes)  # as the roll-up does
        out = pd.DataFrame(
            {
                "category": mix["category"],
                "description": mix.get("description", pd.Series("", index=mix.index)),
                "offences": mix["offences"].astype(float),
                "weight": weight,
            }
        )
        weighted = out["offences"].where(out["weight"].notna(), 0.0)
        per_cat = weighted.groupby(out["category"]).transform("sum")
        out["mix_share"] = 100 * weighted / per_cat.where(per_cat > 0)
        out["contribution"] = out["weight"] * out["mix_share"] / 100
        out = out.sort_values(["category", "offences"], ascending=[True, False], kind="stable")
        out.index.name = "offence_code"
        return out

    def category_table(self) -> pd.DataFrame:
        """The category weights with how they were made, for the chapter's first table.

        Returns
        -------
        pandas.DataFrame
            Index ``category`` (every police.uk category); columns ``weight``,
            ``offences_in_mix``, ``coverage`` (% of the category's offences whose code has
            a weight), ``codes``, ``lowest_code_weight``, ``highest_code_weight`` (over the
            codes with offences in the mix) and ``note``.
        """
        codes = self.code_table()
        span = codes.groupby("category")["weight"].agg(["min", "max"])
        cat = self.categories
        out = pd.DataFrame(
            {
                "weight": cat["weight"],
                "offences_in_mix": cat["offences"],
                "coverage": cat["coverage"],
                "codes": cat["codes"],
                "lowest_code_weight": span["min"].reindex(cat.index),
                "highest_code_weight": span["max"].reindex(cat.index),
                "note": cat["note"],
            }
        )
        out.index.name = "category"
        return out

    def describe(self) -> str:
        """Which weights and offence mix these are, in one sentence (file names, not paths).

        Examples
        --------
        >>> mix = pd.DataFrame({"category": ["Burglary"], "offences": [30]}, index=["28E"])
        >>> mix.attrs = {"force": "Notts", "financial_year": "2017/18", "source": "/a/mix.csv"}
        >>> HarmWeights.from_tables({"28E": 100.0}, mix, scheme="CSS").describe()
        'Weights: CSS. Offence mix: Notts, 2017/18 (mix.csv), 30 offences.'
        """
        source = self.codes.attrs.get("source")
        text = f"Weights: {self.scheme or 'unnamed scheme'}"
        text += f" ({Path(source).name})." if source else "."
        attrs = self.mix.attrs
        where = ", ".join(str(attrs[k]) for k in ("force", "financial_year") if attrs.get(k))
        text += f" Offence mix: {where or 'force and year not stated'}"
        if attrs.get("source"):
            text += f" ({Path(attrs['source']).name})"
        return text + f", {self.mix['offences'].sum():,.0f} offences."

    @classmethod
    def from_tables(cls, codes, mix: pd.DataFrame, *, scheme: str = "") -> HarmWeights:
        """Build from a code-weights table (or mapping) and an offence mix (checked)."""
        if not isinstance(codes, pd.DataFrame):
            codes = pd.DataFrame({"weight": pd.Series(codes, dtype=float)})
        return cls(codes=codes, mix=mix, categories=roll_up_weights(codes, mix), scheme=scheme)


def load_harm_weights(weights, offence_mix, *, offence_codes=None, scheme=None) -> HarmWeights:
    """Read and check the weights and the offence mix, and roll the weights up to categories.

    Parameters
    ----------
    weights : path-like
        Offence code -> weight table (see :func:`csplib.harm.load_weights`).
    offence_mix : path-like
        Home Office recorded crime by offence code for the force
        (:func:`csplib.harm.load_offence_mix`).
    offence_codes : path-like or DataFrame, optional
        The Home Office offence code list; every weighted code must be in it (or carry a
        police.uk category in the weights file).
    scheme : str, optional
        Name of the scheme; default "ONS Crime Severity Score" for the shipped CSS file,
        else the file's stem.

    Returns
    -------
    HarmWeights

    Examples
    --------
    >>> hw = load_harm_weights("data/reference/harm/ons_css_weights_by_offence_code.csv",
    ...     "data/reference/home_office/recorded_crime_nottinghamshire_offence_2017-18.csv",
    ...     offence_codes="data/reference/" + OFFENCE_CODES_FILE)
    >>> hw.scheme, round(float(hw.category_weights["Robbery"]), 1)
    ('ONS Crime Severity Score', 799.6)
    """
    weights = Path(weights)
    if scheme is None:
        shipped = weights.name == Path(CSS_WEIGHTS_FILE).name
        scheme = "ONS Crime Severity Score" if shipped else weights.stem
    codes = load_weights(weights, offence_codes=offence_codes, scheme=scheme)
    mix = load_offence_mix(offence_mix)
    return HarmWeights.from_tables(codes, mix, scheme=scheme)


# ----------------------------------------------------------------------------- rows
def _has_codes(partner: pd.DataFrame | None) -> bool:
    if partner is None or "offence_code" not in partner.columns or partner.empty:
        return False
    codes = partner["offence_code"]
    return bool((codes.notna() & (codes.astype("str").str.strip() != "")).any())


def harm_rows(incidents: pd.DataFrame, partner: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows harm is measured on (see the module notes for the rule).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Tidy police.uk incidents (``month``, ``category``, ``lsoa``).
    partner : pandas.DataFrame, optional
        Tidy partner extract (``month``, ``category``, ``offence_code``, flags).

    Returns
    -------
    pandas.DataFrame
        Columns ``month``, ``category``, ``lsoa``, ``table`` (``partner`` or ``police.uk``)
        and, from a partner extract, ``offence_code`` and the flags (``boolean``; missing on
        ASB rows). ``attrs``: ``by_code`` (bool) and ``source`` (a sentence for readers).

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2020-01-01"] * 3),
    ...                     "category": ["Burglary", ASB, ASB], "lsoa": ["A", "A", "B"]})
    >>> part = pd.DataFrame({"month": pd.to_datetime(["2020-01-01"]), "category": ["Burglary"],
    ...                      "lsoa": ["A"], "offence_code": ["28E"], "hate": [False],
    ...                      "domestic": [False], "weapon": [False]})
    >>> r = harm_rows(inc, part)
    >>> r["table"].tolist(), r.attrs["by_code"]
    (['partner', 'police.uk', 'police.uk'], True)
    """
    for col in ("month", "category"):
        if col not in incidents.columns:
            raise DataError(f"incidents have no {col!r} column")
    base = ["month", "category", "lsoa"]
    if not _has_codes(partner):
        cols = [c for c in base if c in incidents.columns]
        out = incidents[cols].assign(table="police.uk")
        out.attrs = {
            "by_code": False,
            "source": "police.uk crimes, each weighted by its category's weight (no partner "
            "extract with offence codes)",
        }
        return out
    for col in ("month", "category"):
        if col not in partner.columns:
            raise DataError(f"the partner extract has no {col!r} column")
    flags = [f for f in FLAG_COLUMNS if f in partner.columns]
    crimes = partner[[c for c in [*base, "offence_code", *flags] if c in partner.columns]]
    crimes = crimes[crimes["category"] != ASB].assign(table="partner")
    asb = incidents.loc[incidents["category"] == ASB, [c for c in base if c in incidents]]
    out = pd.concat([crimes, asb.assign(table="police.uk")], ignore_index=True, sort=False)
    for flag in flags:
        out[flag] = out[flag].astype("boolean")
    out.attrs = {
        "by_code": True,
        "source": "partner extract crimes, each weighted by its own Home Office offence code; "
        "ASB from police.uk (no weight)",
    }
    return out


def weigh_rows(rows: pd.DataFrame, weights: HarmWeights) -> pd.DataFrame:
    """``rows`` with a ``harm_weight`` column (by code where rows have one, else category).

    Examples
    --------
    >>> mix = pd.DataFrame({"category": ["Burglary", "Burglary"], "offences": [30, 10]},
    ...                    index=["28E", "30C"])
    >>> hw = HarmWeights.from_tables({"28E": 100.0, "30C": 20.0}, mix)
    >>> rows = pd.DataFrame({"category": ["Burglary", "Burglary", ASB],
    ...                      "offence_code": ["30C", None, None]})
    >>> weigh_rows(rows, hw)["harm_weight"].tolist()
    [20.0, 80.0, nan]
    """
    kwargs = {"category_weights": weights.category_weights}
    if "offence_code" in rows.columns:
        kwargs["code_weights"] = weights.codes
    return rows.assign(harm_weight=incident_weights(rows, **kwargs))


# ----------------------------------------------------------------------------- tables
def _weights_kwargs(category_weights, code_weights) -> dict:
    if category_weights is None and code_weights is None:
        raise ParamsError("pass category_weights= and/or code_weights=")
    return {"category_weights": category_weights, "code_weights": code_weights}


def harm_by_category(
    rows: pd.DataFrame, *, category_weights=None, code_weights=None, period=None
) -> pd.DataFrame:
    """Harm against volume by category (:func:`csplib.harm.harm_table`), rows sorted by harm.

    ``All`` stays last; categories without a weight (ASB) are kept with NaN harm and shares.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 2 + ["Shoplifting"] * 8 + [ASB]})
    >>> t = harm_by_category(rows, category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.index.tolist(), round(float(t.loc["Burglary", "harm_share"]), 1)
    (['Burglary', 'Shoplifting', 'Anti-social behaviour', 'All'], 83.3)
    """
    t = harm_table(rows, period=period, **_weights_kwargs(category_weights, code_weights))
    t.loc[t["weighted"] == 0, "volume_share"] = np.nan  # no weight: not part of the shares
    body = t.drop(index="All").sort_values("harm", ascending=False, na_position="last")
    return pd.concat([body, t.loc[["All"]]])


def harm_by_code(rows: pd.DataFrame, *, code_weights, period=None) -> pd.DataFrame:
    """Crimes and harm by Home Office offence code (rows that carry a code).

    Returns
    -------
    pandas.DataFrame
        Index ``offence_code``; ``category``, ``count``, ``weight`` and ``harm``
        (``count x weight``; NaN for a code without a weight), most harm first. Empty when
        no row has a code.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Robbery", "Robbery", "Burglary"],
    ...                      "offence_code": ["34B", "34B", "28E"]})
    >>> harm_by_code(rows, code_weights={"34B": 150.0, "28E": 100.0})["harm"].tolist()
    [300.0, 100.0]
    """
    cols = ["category", "count", "weight", "harm"]
    rows = _in_period(rows, period)
    if "offence_code" not in rows.columns:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="offence_code"))
    code = rows["offence_code"]
    rows = rows[code.notna() & (code.astype("str").str.strip() != "")]
    if rows.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="offence_code"))
    out = rows.groupby(rows["offence_code"].astype("str").str.strip()).agg(
        category=("category", "first"), count=("category", "size")
    )
    out["count"] = out["count"].astype(float)
    lookup = pd.DataFrame({"offence_code": out.index.to_numpy()}, index=out.index)
    out["weight"] = incident_weights(lookup, code_weights=code_weights).to_numpy()
    out["harm"] = out["count"] * out["weight"]
    out = out.sort_values("harm", ascending=False, na_position="last", kind="stable")
    out.index.name = "offence_code"
    return out[cols]


def residents(geography, periods: Mapping) -> dict[str, tuple[float, int]]:
    """Residents of the area for each period: the mid-year estimate nearest its middle month.

    Parameters
    ----------
    geography : csplib.geography.Geography
    periods : mapping
        Name -> period (or label).

    Returns
    -------
    dict
        Name -> (residents, year of the estimate used).

    Examples
    --------
    >>> from csplib.geography import Geography
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
        Name -> period (a :class:`~csplib.metrics.periods.Period` or label).
    population : mapping
        Name -> residents (the same names).
    category_weights, code_weights
        As for :func:`csplib.harm.incident_weights`.
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
        part = _in_period(rows, period)
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


def harm_by_theme(
    themes, rows: pd.DataFrame, *, category_weights=None, code_weights=None, period=None
) -> pd.DataFrame:
    """Harm of each theme against its volume (:func:`csplib.harm.theme_harm`) on ``rows``.

    ``rows`` are those of :func:`harm_rows` (their flags select flag themes). A theme that
    selects by a flag the rows lack (no partner extract) cannot be measured: it is left out
    and listed in ``attrs["skipped"]`` with the reason.

    Returns
    -------
    pandas.DataFrame
        Index ``theme``; columns of :func:`csplib.harm.harm_table` (without ``source``),
        most harm first.

    Examples
    --------
    >>> rows = pd.DataFrame({"category": ["Burglary"] * 3 + ["Shoplifting"] * 2})
    >>> t = harm_by_theme({"b": {"name": "Burglary", "categories": ["Burglary"]},
    ...                    "h": {"name": "Hate crime", "flags": {"hate": True}}}, rows,
    ...                   category_weights={"Burglary": 100.0, "Shoplifting": 5.0})
    >>> t.index.tolist(), t.attrs["skipped"][0][0]
    (['Burglary'], 'Hate crime')
    """
    specs = as_themes(themes)
    keep, skipped = {}, []
    for name, spec in specs.items():
        lacking = [f for f in spec.flags if f not in rows.columns]
        if lacking:
            skipped.append(
                (name, f"selects by {', '.join(lacking)}, which only a partner extract records")
            )
        else:
            keep[name] = spec
    if not keep:
        out = pd.DataFrame(columns=_THEME_COLUMNS, index=pd.Index([], name="theme"))
    else:
        kwargs = _weights_kwargs(category_weights, code_weights)
        out = theme_harm(list(keep.values()), rows, None, period=period, **kwargs)
        out = out.drop(columns="source").sort_values(
            "harm", ascending=False, na_position="last", kind="stable"
        )
        out.loc[out["weighted"] == 0, "volume_share"] = np.nan  # no weight: not in the shares
    out.attrs = {"skipped": skipped}
    return out


# ----------------------------------------------------------------------------- assessment
@dataclass(frozen=True)
class HarmAssessment:
    """Everything the harm chapter shows, computed once (see :func:`assess_harm`).

    Attributes
    ----------
    area : str
    period, baseline : Period (baseline None when the parameters set none)
    weights : HarmWeights
    source : str
        Which rows were weighted, and how (a sentence).
    by_code : bool
        True when crimes were weighted by their own offence code.
    by_category : pandas.DataFrame
        :func:`harm_by_category` for the assessed period, with the category ``weight``.
    by_offence_code : pandas.DataFrame
        :func:`harm_by_code` for the assessed period and the baseline (``period`` column);
        empty without offence codes.
    scores : pandas.DataFrame
        :func:`severity_scores` for the assessed period (and the baseline).
    change : pandas.Series or None
        :func:`css_change` of the period on the baseline.
    themes : pandas.DataFrame
        :func:`harm_by_theme` for the assessed period.
    trend : pandas.DataFrame
        :func:`harm_by_year`.
    notes : dict
        What could not be computed, and why, by section: ``change``, ``themes`` and
        ``data`` (lists of sentences).
    """

    area: str
    period: Period
    baseline: Period | None
    weights: HarmWeights
    source: str
    by_code: bool
    by_category: pd.DataFrame
    by_offence_code: pd.DataFrame
    scores: pd.DataFrame
    change: pd.Series | None
    themes: pd.DataFrame
    trend: pd.DataFrame
    notes: dict = field(default_factory=lambda: {"change": [], "themes": [], "data": []})
    config: dict = field(default_factory=dict)


_THEME_COLUMNS = [
    "count",
    "weighted",
    "unweighted",
    "harm",
    "harm_per_offence",
    "volume_share",
    "harm_share",
    "harm_volume_ratio",
]


def assess_harm(params, store) -> HarmAssessment:
    """Compute the harm chapter's tables from validated parameters and the tidy store.

    Parameters
    ----------
    params : csplib.params.Params
        Uses ``assessment.period``/``baseline``, ``area.name``, ``themes`` and the harm
        files (:meth:`~csplib.params.Params.harm_files`).
    store : csplib.store.Store
        Uses ``incidents``, ``partner`` and ``geography``.

    Returns
    -------
    HarmAssessment
    """
    weights_file, mix_file = params.harm_files()
    weights = load_harm_weights(
        weights_file, mix_file, offence_codes=params.data.reference_dir / OFFENCE_CODES_FILE
    )
    rows = harm_rows(store.incidents, store.partner)
    by_code = bool(rows.attrs["by_code"])
    kw = {
        "category_weights": weights.category_weights,
        "code_weights": weights.codes if by_code else None,
    }
    period = Period.coerce(params.assessment.period)
    baseline = Period.coerce(params.assessment.baseline)
    notes: dict[str, list[str]] = {"change": [], "themes": [], "data": []}

    by_category = harm_by_category(rows, period=period, **kw)
    by_category.insert(0, "weight", weights.category_weights.reindex(by_category.index))

    periods = {"assessed period": period}
    if baseline is not None and baseline != period:
        periods["baseline"] = baseline
    else:
        notes["change"].append(
            "The parameters set no baseline period, so the change in the Crime Severity "
            "Score against a baseline cannot be given."
        )
    pops = residents(store.geography, periods)
    scores = severity_scores(
        rows,
        periods,
        {k: v[0] for k, v in pops.items()},
        population_year={k: v[1] for k, v in pops.items()},
        **kw,
    )
    change = None
    if "baseline" in scores.index:
        if scores.loc["baseline", "months_with_data"] == 0:
            notes["change"].append(
                f"There are no data for the baseline {baseline.label}, so no change can be given."
            )
        else:
            change = css_change(scores, "assessed period", "baseline")

    by_offence_code = pd.concat(
        [
            harm_by_code(rows, code_weights=weights.codes, period=p).assign(period=p.label)
            for p in periods.values()
        ]
    )
    by_offence_code.insert(
        1, "description", weights.codes["label"].reindex(by_offence_code.index).to_numpy()
    )
    if by_code:
        partner_months = months_present(rows.loc[rows["table"] == "partner", "month"])
        only_partner = partner_months.difference(store.months_present)
        if len(only_partner):
            listed = ", ".join(f"{m:%b %Y}" for m in only_partner[:6])
            notes["data"].append(
                f"The partner extract holds {len(only_partner)} month(s) missing from the "
                f"police.uk files ({listed}{', ...' if len(only_partner) > 6 else ''}): harm "
                "for those months is complete, while police.uk volumes are not."
            )

    if params.themes:
        themes = harm_by_theme(params.themes, rows, period=period, **kw)
    else:
        themes = pd.DataFrame(columns=_THEME_COLUMNS, index=pd.Index([], name="theme"))
        notes["themes"].append("The parameters define no themes, so harm by theme is not shown.")
    for name, reason in themes.attrs.get("skipped", []):
        notes["themes"].append(f"Harm of the theme {name!r} cannot be measured: it {reason}.")

    fy_labels = sorted({financial_year_of(m) for m in months_present(rows["month"])})
    fy_pops = residents(store.geography, {fy: fy for fy in fy_labels})
    trend = harm_by_year(
        rows,
        {k: v[0] for k, v in fy_pops.items()},
        population_year={k: v[1] for k, v in fy_pops.items()},
        **kw,
    )
    return HarmAssessment(
        area=params.area.name,
        period=period,
        baseline=baseline,
        weights=weights,
        source=rows.attrs["source"],
        by_code=by_code,
        by_category=by_category,
        by_offence_code=by_offence_code,
        scores=scores,
        change=change,
        themes=themes,
        trend=trend,
        notes=notes,
        config={"weights": str(weights_file), "offence_mix": str(mix_file), "alpha": 0.05},
    )


def chart_titles(result: HarmAssessment) -> dict[str, str]:
    """Titles that state each chart's finding: keys ``share`` and ``trend``.

    Examples
    --------
    >>> by_cat = pd.DataFrame({"harm_share": [60.0, 40.0], "volume_share": [20.0, 80.0]},
    ...                       index=["Robbery", "Shoplifting"])
    >>> trend = pd.DataFrame({"css": [20.0, 18.0], "complete": [True, True]},
    ...                      index=["2019/20", "2020/21"])
    >>> r = HarmAssessment("Town", Period.parse("2020/21"), None, None, "", False, by_cat,
    ...                    pd.DataFrame(), pd.DataFrame(), None, pd.DataFrame(), trend)
    >>> chart_titles(r)["share"]
    'Robbery: 60% of the harm of crime from 20% of crimes, 2020/21'
    >>> chart_titles(r)["trend"]
    'The Crime Severity Score was 18.0 in 2020/21 against the peak of 20.0 in 2019/20'
    """
    out = {}
    body = result.by_category.drop(index=["All", ASB], errors="ignore").dropna(
        subset=["harm_share"]
    )
    if not body.empty:
        top = body["harm_share"].idxmax()
        out["share"] = (
            f"{top}: {body.loc[top, 'harm_share']:.0f}% of the harm of crime from "
            f"{body.loc[top, 'volume_share']:.0f}% of crimes, {result.period.label}"
        )
    full = result.trend[result.trend["complete"].astype(bool)].dropna(subset=["css"])
    if len(full) >= 2:
        last, peak = full.index[-1], full["css"].idxmax()
        if peak != last:
            against = f"the peak of {full.loc[peak, 'css']:.1f} in {peak}"
        else:
            against = f"{full['css'].iloc[0]:.1f} in {full.index[0]} (a new peak)"
        out["trend"] = (
            f"The Crime Severity Score was {full.loc[last, 'css']:.1f} in {last} against {against}"
        )
    elif len(result.trend):
        out["trend"] = "Too few complete years to show a trend in harm"
    return out


# ----------------------------------------------------------------------------- findings
def _pct(x: float) -> str:
    return f"{x:,.1f}%"


def harm_findings(result: HarmAssessment) -> list[Finding]:
    """The harm chapter's key findings, as plain sentences for the summary.

    Examples
    --------
    >>> by_cat = pd.DataFrame({"harm_share": [60.0, 40.0, np.nan, 100.0],
    ...                        "volume_share": [20.0, 80.0, np.nan, 100.0],
    ...                        "harm": [600.0, 400.0, np.nan, 1000.0]},
    ...                       index=["Robbery", "Shoplifting", ASB, "All"])
    >>> scores = pd.DataFrame({"period": ["2020/21"], "css": [0.5], "crimes": [10.0],
    ...                        "coverage": ["all 12 months"]}, index=["assessed period"])
    >>> r = HarmAssessment("Town", Period.parse("2020/21"), None, None, "", False, by_cat,
    ...                    pd.DataFrame(), scores, None, pd.DataFrame(), pd.DataFrame())
    >>> print(harm_findings(r)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    Robbery caused 60.0% of the harm of crime in Town in 2020/21 (weighted by severity)
    but was 20.0% of crimes.
    """
    out: list[Finding] = []
    label = result.period.label
    body = result.by_category.drop(index=["All", ASB], errors="ignore").dropna(
        subset=["harm_share"]
    )
    if not body.empty:
        top = body["harm_share"].idxmax()
        out.append(
            Finding(
                f"{top} caused {_pct(body.loc[top, 'harm_share'])} of the harm of crime in "
                f"{result.area} in {label} (weighted by severity) but was "
                f"{_pct(body.loc[top, 'volume_share'])} of crimes.",
                _CHAPTER,
            )
        )
        volume_top = body["volume_share"].idxmax()
        if volume_top != top:
            out.append(
                Finding(
                    f"{volume_top}, the most numerous category "
                    f"({_pct(body.loc[volume_top, 'volume_share'])} of crimes), caused "
                    f"{_pct(body.loc[volume_top, 'harm_share'])} of the harm.",
                    _CHAPTER,
                )
            )
    cur = result.scores.loc["assessed period"]
    if np.isfinite(cur["css"]):
        text = f"The Crime Severity Score was {cur['css']:,.2f} per resident in {label}"
        if result.period.n_months != 12:
            text += f" (a {result.period.n_months}-month period, not annualised)"
        if cur["coverage"] != f"all {result.period.n_months} months":
            text += f" ({cur['coverage']})"
        c = result.change
        if c is not None and np.isfinite(c["ratio"]):
            base = result.scores.loc["baseline"]
            text += (
                f", against {base['css']:,.2f} in the baseline {base['period']}: a change of "
                f"{c['pct_change']:+.1f}% (95% CI {c['ci_low']:+.1f}% to {c['ci_high']:+.1f}%)"
            )
            text += (
                "; the change is statistically significant."
                if c["significant"]
                else "; the change is not statistically significant."
            )
        else:
            text += "."
        out.append(Finding(text, _CHAPTER))
    themes = result.themes
    if themes is not None and not themes.empty and "harm_volume_ratio" in themes:
        ranked = themes.dropna(subset=["harm_volume_ratio"])
        ranked = ranked[ranked["weighted"] > 0]
        if not ranked.empty:
            top = ranked["harm_volume_ratio"].idxmax()
            row = ranked.loc[top]
            out.append(
                Finding(
                    f"Of the partnership's themes, {top} carries the most harm for its volume: "
                    f"{_pct(row['harm_share'])} of the harm of crime from "
                    f"{_pct(row['volume_share'])} of crimes in {label}.",
                    _CHAPTER,
                )
            )
    return out
