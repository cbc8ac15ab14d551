"""Theme packs: one theme's volume, threat, harm, risk and places, for its sub-group.

``notebooks/theme_profile.ipynb`` is run once per theme in the parameters by ``csp assess``
(``outputs/<year>/packs/<theme>.html``). :func:`assess` computes everything it shows, as a
:class:`~csplib.chapters.result.ChapterResult` named ``pack_<theme>``; the notebook only lays
it out.

Examples
--------
>>> from csplib.params import ThemeSpec
>>> definition(ThemeSpec(name="Hate crime", flags={"hate": True}, subgroup="Hate Crime Board"))
'Hate crime: crimes flagged hate. Prepared for the Hate Crime Board.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.chapters.result import CellKeys, ChapterResult, Table, incidents_key
from csplib.core.comparison import month_span
from csplib.core.errors import DataError
from csplib.core.schema import ASB
from csplib.ingest.harm_weights import harm_weights_of
from csplib.methods import harm, risk, themes
from csplib.methods.models import CountTrend, SPCChart
from csplib.methods.themes import theme_incidents
from csplib.params import ThemeSpec

__all__ = ["assess", "definition", "theme_rows", "theme_monthly", "ward_table", "TREND_MONTHS"]

#: Months of the trend and the SPC chart: the last three years.
TREND_MONTHS = 36


def definition(theme: ThemeSpec) -> str:
    """The theme's definition in words, as the pack states it."""
    parts = []
    if theme.categories:
        parts.append("police.uk categories " + ", ".join(theme.categories))
    if theme.flags:
        flags = " and ".join(k if v else f"not {k}" for k, v in theme.flags.items())
        parts.append(f"crimes flagged {flags}")
    text = f"{theme.name}: " + " or ".join(parts) + "."
    if theme.subgroup:
        text += f" Prepared for the {theme.subgroup}."
    return text


def theme_rows(theme: ThemeSpec, store) -> tuple[pd.DataFrame | None, str | None]:
    """The theme's rows from the store, or ``None`` and the reason they cannot be selected.

    A theme defined by flags needs the partner extract (police.uk data carry no flags).
    """
    try:
        rows = theme_incidents(theme, store.incidents, store.partner)
    except DataError as exc:
        return None, f"This theme cannot be profiled from the data supplied: {exc}"
    return rows, None


def theme_monthly(rows: pd.DataFrame, months_present) -> pd.Series:
    """Monthly counts of the theme: zero where a month has data but no rows, NaN where the
    month is missing from the data.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2020-01-01", "2020-03-01"])})
    >>> present = pd.to_datetime(["2020-01-01", "2020-03-01", "2020-04-01"])
    >>> theme_monthly(rows, present).tolist()
    [1.0, nan, 1.0, 0.0]
    """
    present = pd.DatetimeIndex(months_present)
    counts = rows.groupby("month").size().reindex(present, fill_value=0).astype(float)
    span = pd.date_range(present.min(), present.max(), freq="MS", name="month")
    return counts.reindex(span).rename("count")


def _months_with_data(series: pd.Series) -> str:
    """``"the last 3 months with data (Jan 2024 to Mar 2024)"``: the months a trend over
    ``series`` had (the months without data between them are counted too).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="MS")
    >>> _months_with_data(pd.Series([1.0, 2, 3, 4, 5, 6], index=idx))
    'the last 6 months with data (Jan 2024 to Jun 2024)'
    >>> _months_with_data(pd.Series([1.0, None, None, None, 5, 6], index=idx))
    'the last 3 months with data (Jan 2024 to Jun 2024; 3 months without data left out)'
    """
    present = series.dropna()
    if present.empty:
        return "no month with data"
    n, first, last = len(present), present.index[0], present.index[-1]
    span = month_span(first, last)
    gaps = (last.year - first.year) * 12 + last.month - first.month + 1 - n
    if gaps:
        span += f"; {gaps} month{'s' * (gaps != 1)} without data left out"
    return f"the last {n} month{'s' * (n != 1)} with data ({span})"


def ward_table(rows: pd.DataFrame, geography, start, end, population_year: int) -> pd.DataFrame:
    """Counts and rates per 1,000 residents by ward for ``start``..``end`` (every ward listed).

    Returns
    -------
    DataFrame
        Index ``ward_name``; columns ``count``, ``population``, ``rate_per_1000``, sorted by
        count (largest first).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    inside = rows[(rows["month"] >= start) & (rows["month"] <= end)]
    lsoas = geography.lsoa_table
    population = geography.population(population_year)["population"]
    ward_of = lsoas["ward_name"]
    ward_pop = population.groupby(ward_of.reindex(population.index)).sum()
    wards = inside["lsoa"].map(ward_of)
    counts = wards.value_counts().reindex(ward_pop.index, fill_value=0)
    out = pd.DataFrame({"count": counts.astype(int), "population": ward_pop.round().astype(int)})
    out["rate_per_1000"] = out["count"] / out["population"] * 1000
    out.index.name = "ward_name"
    return out.sort_values("count", ascending=False, kind="stable")


def assess(ctx, theme: str) -> ChapterResult:
    """The pack of ``theme`` (a key of the parameters' ``themes``) for a context.

    Tables: ``volume`` (the period and the year before), ``harm`` (crime themes),
    ``repeat_victims`` (where the partner extract has victim identifiers) and ``wards``.
    Notes: ``definition`` (or why the theme cannot be profiled), ``trend``, ``harm`` and
    ``repeat_victims`` (why a section is empty). Artefacts: ``monthly`` counts and the fitted
    ``trend`` and ``spc`` over the last :data:`TREND_MONTHS` months.
    """
    params, store = ctx.params, ctx.store
    spec = params.themes[theme]
    period = params.assessment.period
    result = ChapterResult(f"pack_{theme}", headline={"theme": spec.name})
    rows, problem = theme_rows(spec, store)
    result.notes["definition"] = [definition(spec) if problem is None else problem]
    if rows is None:
        return result

    monthly = theme_monthly(rows, store.months_present)
    result.artefacts["monthly"] = monthly
    result.figures["monthly"] = f"{spec.name}: recorded per month"
    residents = float(store.geography.population(period.period.population_year)["population"].sum())
    key = incidents_key(spec.categories, spec.flags, period.start, period.end)
    before = pd.Timestamp(period.start) - pd.DateOffset(years=1)
    key_before = incidents_key(
        spec.categories, spec.flags, before, pd.Timestamp(period.end) - pd.DateOffset(years=1)
    )
    volumes = themes.theme_volumes(
        {theme: spec}, store.incidents, store.partner, period=period.period, population=residents
    )
    result.add(
        Table(
            "volume",
            volumes,
            caption=f"{spec.name} in {period.label} and the year before (comparison: the "
            "months compared, like-for-like when a month is missing)",
            counts=("count", "previous", "count_compared", "previous_compared"),
            derived={
                "rate_per_1000": ("count",),
                **{
                    c: ("count_compared", "previous_compared")
                    for c in (
                        "volume_change",
                        "pct_change",
                        "p_value",
                        "significant",
                        "direction",
                    )
                },
            },
            formats={"pct_change": "{:+.1f}%", "p_value": "{:.3f}"},
            # the one row is the theme in the whole area: the wards below add up to it
            cells=CellKeys(
                {
                    "count": key,
                    "previous": key_before,
                    # the months compared: the same counts when every month was compared
                    **(
                        {"count_compared": key, "previous_compared": key_before}
                        if bool((volumes["months_compared"] == period.period.n_months).all())
                        else {}
                    ),
                },
                rows=dict.fromkeys(volumes.index, ""),
            ),
        )
    )

    recent = monthly.loc[: pd.Timestamp(period.end)].tail(TREND_MONTHS)
    trend = CountTrend(recent).fit()
    spc = SPCChart(recent).fit()
    result.artefacts.update(trend=trend, spc=spc)
    used = _months_with_data(recent)  # the months the trend had, not the window's length
    result.headline.update(
        trend_months=int(recent.notna().sum()),
        annual_change=trend.annual_change,
        annual_change_ci=list(trend.ci),
        trend_p_value=trend.p_value,
    )
    if np.isfinite(trend.annual_change):
        stated = (
            f"Trend over {used}: {100 * trend.annual_change:+.1f}% a year "
            f"(95% CI {100 * trend.ci[0]:+.1f}% to {100 * trend.ci[1]:+.1f}%, "
            f"p = {trend.p_value:.3f}; {trend.method}). {trend.note}"
        )
    else:
        stated = f"No trend over {used}. {trend.note}"
    result.notes["trend"] = [stated.strip()]
    result.figures["spc"] = f"{spec.name}: statistical process control chart, {used}"

    if spec.categories != [ASB]:
        weights = harm_weights_of(params)  # as the harm chapter weighs crimes
        shares = harm.theme_harm(
            {theme: spec},
            store.incidents,
            store.partner,
            category_weights=weights.category_weights,
            code_weights=weights.code_weights,
            period=period.period,
        )
        result.add(
            Table(
                "harm",
                shares,
                caption=f"{spec.name}: harm (Crime Severity Score weights) against volume",
                counts=("count", "weighted", "unweighted"),
                derived={
                    "harm": ("count",),
                    "harm_per_offence": ("count",),
                    "volume_share": ("weighted",),
                    "harm_share": ("count",),
                    "harm_volume_ratio": ("count",),
                },
                formats={"harm_share": "{:.1f}%", "volume_share": "{:.1f}%"},
            )
        )
    else:
        result.notes["harm"] = ["Harm weights are defined for crimes only; this theme has none."]

    if "victim_id" in rows and rows["victim_id"].notna().any():
        repeats = risk.repeat_victimisation(rows, period=period.period)
        result.add(
            Table(
                "repeat_victims",
                repeats.to_frame().T,
                caption=f"Repeat victims of {spec.name.lower()} in {period.label}",
                counts=(
                    "incidents",
                    "victims",
                    "repeat_victims",
                    "incidents_by_repeat_victims",
                    "blank_victim_excluded",
                ),
                derived={
                    "repeat_victim_share": ("repeat_victims", "victims"),
                    "repeat_incident_share": ("incidents_by_repeat_victims", "incidents"),
                },
            )
        )
    else:
        result.notes["repeat_victims"] = [
            "No victim identifiers for this theme: repeat victimisation cannot be measured "
            "from police.uk data."
        ]

    wards = ward_table(
        rows, store.geography, period.start, period.end, period.period.population_year
    )
    # every incident of the area lies in one of its wards: the wards add up to the pack's
    # total (checked, so an incident without a ward never makes the audit misread them)
    complete = bool(wards["count"].sum() == volumes["count"].sum())
    result.add(
        Table(
            "wards",
            wards,
            caption=f"{spec.name} by ward in {period.label}: counts and rates per 1,000 residents",
            counts=("count",),
            derived={"rate_per_1000": ("count",)},
            cells=CellKeys({"count": key}, partition=complete),
        )
    )
    return result
