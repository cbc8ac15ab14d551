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

from csplib.chapters.findings import Finding, count_words
from csplib.chapters.result import CellKeys, ChapterResult, Table, incidents_key
from csplib.core.comparison import month_span
from csplib.core.errors import DataError
from csplib.core.schema import ASB
from csplib.ingest.harm_weights import harm_weights_of
from csplib.methods import harm, risk, themes
from csplib.methods.covid import restriction_rule
from csplib.methods.models import CountTrend, SPCChart
from csplib.methods.risk_repeats import REPEAT_COUNTS, REPEAT_SHARES
from csplib.methods.theme_breakdowns import strand_table, weapon_table
from csplib.methods.themes import theme_incidents
from csplib.params import ThemeSpec

__all__ = [
    "assess",
    "definition",
    "theme_rows",
    "theme_monthly",
    "ward_table",
    "volume_sentence",
    "trend_sentence",
    "ward_sentence",
    "TREND_MONTHS",
]

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


def _noun(theme: ThemeSpec) -> str:
    """What the theme counts: ASB incidents, crimes, or incidents when it mixes them."""
    asb = [c == ASB for c in theme.categories]
    if asb and all(asb):
        return "incidents"
    return "incidents" if any(asb) else "crimes"


def volume_sentence(name: str, noun: str, row: pd.Series, label: str, threshold: int) -> str:
    """The pack's first finding: how many, at what rate, and the change on a year earlier.

    A count below ``threshold`` is said as "fewer than", without its rate or change (they
    would give it back).

    Examples
    --------
    >>> row = pd.Series({"count": 1043.0, "rate_per_1000": 9.54, "pct_change": -12.3,
    ...     "direction": "down", "previous_compared": 1189.0, "count_compared": 1043.0,
    ...     "comparison": "all 3 months", "complete": True})
    >>> print(volume_sentence("Violence", "crimes", row, "Jan 24 - Mar 24", 5))
    ... # doctest: +NORMALIZE_WHITESPACE
    Violence: 1,043 crimes in Jan 24 - Mar 24 (9.5 per 1,000 residents), 12.3% fewer than a
    year earlier, a significant fall.
    >>> row["direction"], row["pct_change"] = "none", 2.0
    >>> volume_sentence("Violence", "crimes", row, "Jan 24 - Mar 24", 5).split("), ")[1]
    '2.0% more than a year earlier, within what chance gives (no significant change).'
    """
    n = float(row["count"])
    text = f"{name}: {count_words(n, threshold)} {noun} in {label}"
    if n < threshold:
        return text + "."
    text += f" ({float(row['rate_per_1000']):,.1f} per 1,000 residents)"
    compared = [float(row.get(c, np.nan)) for c in ("count_compared", "previous_compared")]
    change = float(row.get("pct_change", np.nan))
    if not np.isfinite(change) or any(not np.isfinite(c) or c < threshold for c in compared):
        reason = str(row.get("comparison", ""))
        if reason.startswith("not compared: "):
            return f"{text}; not compared with a year earlier ({reason[14:]})."
        return text + "."
    more = "more" if change > 0 else "fewer"
    like = "" if bool(row.get("complete", False)) else f" ({row['comparison']})"
    verdict = {
        "up": "a significant rise",
        "down": "a significant fall",
    }.get(str(row["direction"]), "within what chance gives (no significant change)")
    return f"{text}, {abs(change):.1f}% {more} than a year earlier{like}, {verdict}."


def _pct(value: float, sign: str = "") -> str:
    """A percentage for a sentence: one decimal under 10, none from there."""
    return f"{value:{sign}.1f}" if abs(value) < 10 else f"{value:{sign}.0f}"


def trend_sentence(name: str, trend, used: str, p_value_below: float = 0.05) -> str:
    """The trend as a reader needs it: rising, falling or no significant trend.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> t = NS(annual_change=0.081, ci=(0.02, 0.15), p_value=0.01)
    >>> print(trend_sentence("ASB", t, "the last 36 months with data (Apr 2021 to Mar 2024)"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Over the last 36 months with data (Apr 2021 to Mar 2024), ASB rose by about 8.1% a year
    (95% CI 2.0% to 15%).
    >>> trend_sentence("ASB", NS(annual_change=-0.008, ci=(-0.02, 0.005), p_value=0.3), "x")
    'Over x, ASB shows no significant trend (-0.8% a year, 95% CI -2.0% to +0.5%).'
    """
    change = 100 * trend.annual_change
    lo, hi = (100 * v for v in trend.ci)
    if trend.p_value < p_value_below:
        word = "rose" if change > 0 else "fell"
        near, far = (lo, hi) if change > 0 else (-hi, -lo)
        return (
            f"Over {used}, {name} {word} by about {_pct(abs(change))}% a year "
            f"(95% CI {_pct(near)}% to {_pct(far)}%)."
        )
    return (
        f"Over {used}, {name} shows no significant trend ({_pct(change, '+')}% a year, "
        f"95% CI {_pct(lo, '+')}% to {_pct(hi, '+')}%)."
    )


def ward_sentence(wards: pd.DataFrame, noun: str, threshold: int) -> str | None:
    """Where most of the theme was: the ward with the largest count, its share and rate;
    None when no ward reaches ``threshold``.

    Examples
    --------
    >>> wards = pd.DataFrame({"count": [87, 81, 3], "rate_per_1000": [39.9, 23.0, 1.2]},
    ...                      index=pd.Index(["Central", "West Bank", "Oak"], name="ward_name"))
    >>> ward_sentence(wards, "crimes", 5)
    'Central had the most: 87 crimes, 51% of the theme (39.9 per 1,000 residents).'
    """
    total = float(wards["count"].sum())
    top = wards["count"].idxmax() if len(wards) else None
    if top is None or wards.loc[top, "count"] < threshold:
        return None
    n = float(wards.loc[top, "count"])
    return (
        f"{top} had the most: {n:,.0f} {noun}, {n / total:.0%} of the theme "
        f"({float(wards.loc[top, 'rate_per_1000']):,.1f} per 1,000 residents)."
    )


def assess(ctx, theme: str) -> ChapterResult:
    """The pack of ``theme`` (a key of the parameters' ``themes``) for a context.

    Tables: ``volume`` (the period and the year before), ``strands`` (a hate crime theme)
    or ``weapon`` (a weapon theme) where the partner extract records them
    (:mod:`csplib.methods.theme_breakdowns`), ``harm`` (crime themes),
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

    threshold = params.thresholds.suppress_below
    noun = _noun(spec)
    result.findings.append(
        Finding(
            volume_sentence(spec.name, noun, volumes.iloc[0], period.label, threshold),
            "01_volume",
        )
    )

    _breakdowns(result, spec, rows, period, key, threshold)

    recent = monthly.loc[: pd.Timestamp(period.end)].tail(TREND_MONTHS)
    covid = restriction_rule(recent)  # the one Covid-19 rule of every trend
    spc = SPCChart(recent).fit()
    window = _months_with_data(recent)  # the months the data had, not the window's length
    used = window
    if covid.rule == "not estimated":
        trend = None
        stated = covid.note
    else:
        trend = CountTrend(covid.series).fit()
        if covid.rule == "left out":
            used = _months_with_data(covid.series) + " without the Covid-19 restrictions"
        if np.isfinite(trend.annual_change):
            stated = (
                f"Trend over {used}: {100 * trend.annual_change:+.1f}% a year "
                f"(95% CI {100 * trend.ci[0]:+.1f}% to {100 * trend.ci[1]:+.1f}%, "
                f"p = {trend.p_value:.3f}; {trend.method}). {trend.note} {covid.note}"
            )
            result.findings.append(Finding(trend_sentence(spec.name, trend, used), "02_threat"))
        else:
            stated = f"No trend over {used}. {trend.note}"
    result.artefacts.update(trend=trend, spc=spc)
    reading = spc.classification()
    result.headline.update(
        trend_months=int(recent.notna().sum() if trend is None else covid.used),
        annual_change=None if trend is None else trend.annual_change,
        annual_change_ci=[None, None] if trend is None else list(trend.ci),
        trend_p_value=None if trend is None else trend.p_value,
        spc=reading,
    )
    result.notes["trend"] = [" ".join(stated.split())]
    result.figures["spc"] = f"{spec.name}: statistical process control chart, {window}"
    if spc.variation != "none":
        result.findings.append(
            Finding(
                f"Latest month on the chart ({pd.Timestamp(reading['month']):%b %Y}): "
                f"{spc.variation_label.lower()} (the NHS Making Data Count reading).",
                "02_threat",
            )
        )

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
                counts=REPEAT_COUNTS,
                derived=REPEAT_SHARES,
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
    top_ward = ward_sentence(wards, noun, threshold)
    if top_ward:
        result.findings.append(Finding(top_ward, "05_places"))
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


def _breakdowns(result, spec, rows, period, key: str, threshold: int) -> None:
    """The sub-group's own breakdowns (:mod:`csplib.methods.theme_breakdowns`), with a
    finding each; small counts said as "fewer than" the threshold."""
    label = period.label
    strands = strand_table(spec, rows, period.period)
    if strands is not None and strands["count"].sum() > 0:
        exclusive = strands.attrs["exclusive"]
        result.add(
            Table(
                "strands",
                strands,
                caption=f"{spec.name} in {label} by strand (share: % of its crimes"
                + ("" if exclusive else "; a crime with two strands counts under both")
                + ")",
                counts=("count",),
                derived={"share": ("count",)},
                formats={"share": "{:.1f}%"},
                cells=CellKeys(
                    {"count": key},
                    over="hate_strand",
                    partition=exclusive,
                    shares=("share",) if exclusive else (),
                ),
            )
        )
        recorded = strands.drop(index="not recorded", errors="ignore")
        if len(recorded):
            top = recorded.index[0]
            n = int(recorded["count"].iloc[0])
            share = "" if n < threshold else f", {recorded['share'].iloc[0]:.0f}% of the total"
            result.findings.append(
                Finding(
                    f"The strand recorded most often for {spec.name.lower()} in {label} was "
                    f"{top}: {count_words(n, threshold)} crimes{share}.",
                    "04_risk",  # who is affected; the table is the pack's own
                )
            )
    weapons = weapon_table(spec, rows, period.period)
    if weapons is not None and weapons["count"].sum() > 0:
        result.add(
            Table(
                "weapon",
                weapons,
                caption=f"{spec.name} in {label}: crimes with and without a weapon flag",
                counts=("count",),
                derived={"share": ("count",)},
                formats={"share": "{:.1f}%"},
                cells=CellKeys({"count": key}, over="weapon", partition=True, shares=("share",)),
            )
        )
        n = int(weapons["count"].iloc[0])
        share = "" if n < threshold else f" ({weapons['share'].iloc[0]:.0f}%)"
        said = count_words(n, threshold).capitalize()
        result.findings.append(
            Finding(
                f"{said} of the {spec.name.lower()} crimes in {label} carried a weapon "
                f"flag{share}.",
                "02_threat",  # the table is the pack's own
            )
        )
