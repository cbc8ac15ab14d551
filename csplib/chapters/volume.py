"""The volume chapter: how much crime and ASB was recorded, and how complete the data are.

:func:`assess` builds the chapter's :class:`~csplib.chapters.result.ChapterResult`: the
ingest quality tables, monthly and yearly counts by category, the assessed period's counts,
rates and shares, and the key findings (volume, and what the data can and cannot tell us).
The counting itself is :mod:`csplib.methods.volume`.

Examples
--------
>>> [t for t in TABLE_NAMES][:3]
['rows_accounted', 'implausible_months', 'lsoa_vintage_conversion']
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from csplib.chapters.findings import Finding, quality_findings, volume_findings
from csplib.chapters.result import CellKeys, ChapterResult, Table, incidents_key
from csplib.core.periods import Period
from csplib.core.schema import ASB, POLICE_UK_CATEGORIES
from csplib.methods import volume
from csplib.methods.peer_comparison import compare_with_peers, comparison_sentence

__all__ = ["CHAPTER", "TABLE_NAMES", "IMPLAUSIBLE_SETTINGS", "assess", "implausible_rule"]

CHAPTER = "01_volume"

#: The chapter's tables, in the order shown.
TABLE_NAMES = (
    "rows_accounted",
    "implausible_months",
    "lsoa_vintage_conversion",
    "monthly_counts",
    "last_12_months",
    "assessed_period",
    "year_coverage",
    "financial_year_counts",
)


def assess(ctx) -> ChapterResult:
    """The volume chapter's result for a context (its ``params`` and ``store``).

    Headline figures: ``residents`` and ``population_year`` (the rates' denominator),
    ``months_covered`` and ``months_in_period`` of the assessed period, and the crime and
    ASB counts of the period. Notes: ``quality`` (what a reader of any chapter must know
    about the data: months and categories missing from the files of the forces holding the
    area's rows, against every month of the download, and implausible months) and
    ``residents`` (the sentence stating the denominator) and ``comparison`` (with other
    partnerships, from the national store the parameters name; or why there is none).
    """
    params, store = ctx.params, ctx.store
    period, area = params.assessment.period, params.area
    incidents, quality = store.incidents, store.quality
    result = ChapterResult(CHAPTER)

    result.add(
        Table(
            "rows_accounted",
            quality.to_frame(),
            caption="Rows read, rejected (by stage and reason) and kept",
            counts=(),
            formats={"share": "{:.2%}"},
        )
    )
    result.add(
        Table(
            "implausible_months",
            quality.implausible,
            caption="Months flagged as implausible against their neighbouring months",
            counts=("count",),
            derived={c: ("count",) for c in ("ratio", "p_value")},
        )
    )
    # the implausible-month rule with the thresholds the quality report actually used
    rule = {k: quality.settings[k] for k in IMPLAUSIBLE_SETTINGS if k in quality.settings}
    result.headline["implausible_settings"] = rule
    result.notes["implausible_rule"] = [implausible_rule(rule)]
    result.add(
        Table(
            "lsoa_vintage_conversion",
            store.conversion,
            caption=f"Rows converted to {area.lsoa_vintage} LSOA codes, by change and method",
            counts=(),
        )
    )

    monthly = volume.monthly_counts(incidents, months_present=store.months_present)
    result.add(
        Table(
            "monthly_counts",
            monthly,
            caption="Monthly counts by category",
            counts="all",
            cells=CellKeys(
                {c: incidents_key([c]) for c in monthly.columns},
                rows={m: _month_part(m) for m in monthly.index},
            ),
        )
    )
    recent = monthly.tail(12).T
    recent.columns = [m.strftime("%b %Y") for m in recent.columns]
    result.add(
        Table(
            "last_12_months",
            recent,
            caption="Last 12 months by category (the full series is in the data annex)",
            counts="all",
            cells=CellKeys(
                {
                    label: _ALL + "|" + _month_part(m)
                    for label, m in zip(recent.columns, monthly.tail(12).index, strict=True)
                },
                over="categories",
            ),
        )
    )
    result.figures["monthly"] = (
        f"Recorded crime and ASB by month, {area.name} (gaps are missing months)"
    )

    population = store.geography.population(period.period.population_year)
    residents = float(population["population"].sum())
    population_year = int(population["year"].iloc[0])
    result.notes["residents"] = [
        f"{area.name} had {residents:,.0f} residents in the ONS mid-year estimate for "
        f"{population_year}, used as the denominator of the rates below."
    ]
    window = volume.window_table(incidents, period.start, period.end, residents)
    result.add(
        Table(
            "assessed_period",
            window,
            caption=f"Crime and ASB in {period.label}: counts, rates per 1,000 residents and "
            "shares",
            counts=("count",),
            derived={"rate_per_1000": ("count",), "share": ("count",)},
            formats={"share": "{:.1%}"},
            cells=CellKeys(
                {"count": incidents_key(POLICE_UK_CATEGORIES, start=period.start, end=period.end)},
                over="categories",
            ),
        )
    )
    result.add(
        Table(
            "year_coverage",
            volume.coverage(store.months_present),
            caption="Months of data in each financial year (counts for incomplete years are "
            "partial)",
            counts=(),
        )
    )
    years = volume.period_counts(incidents)
    result.add(
        Table(
            "financial_year_counts",
            years,
            caption="Counts by financial year (read with the coverage table above)",
            counts="all",
            cells=CellKeys({y: _period_key(y) for y in years.columns}, over="categories"),
        )
    )

    covered = [m for m in store.months_present if period.start <= m.date() <= period.end]
    result.headline.update(
        residents=residents,
        population_year=population_year,
        months_covered=len(covered),
        months_in_period=period.months,
    )
    result.findings = _findings(window, covered, area.name, period, store.months_present)
    if covered:
        counts = window["count"].drop(index="All", errors="ignore")
        result.headline["asb"] = int(counts.get(ASB, 0))
        result.headline["crimes"] = int(counts.drop(index=ASB, errors="ignore").sum())
    threshold = params.thresholds.suppress_below
    # gaps of the forces whose files hold the area's rows (not every force of a download)
    forces = sorted(set(store.forces["force"].astype(str)))
    result.notes["quality"] = [f.text for f in quality_findings(quality, threshold, forces)]
    _comparison(result, params)
    return result


#: Where the peer-group features are, under the reference directory.
PEER_FEATURES = "peers/csp_features.csv"


def _comparison(result: ChapterResult, params) -> None:
    """The section comparing the partnership with its most similar partnerships and England
    and Wales (:func:`csplib.methods.peer_comparison.compare_with_peers`), from the national
    store the parameters name (``data.national``); without one, a note says why it is absent.

    Adds the table ``comparison``, the figure ``comparison_funnel``, the artefact
    ``comparison`` (for the funnel plot) and the notes ``comparison``.
    """
    store = params.data.national
    if store is None:
        result.notes["comparison"] = [
            "No comparison with other partnerships: the parameters name no national store "
            "(the key data.national: a folder written by csp national from a national "
            "police.uk download)."
        ]
        return
    counts = pd.read_parquet(Path(store) / "counts.parquet")
    present = pd.read_parquet(Path(store) / "present.parquet")
    features = pd.read_csv(params.data.reference_dir / PEER_FEATURES, index_col=0)
    key = params.area.csp_code or params.area.la_codes[0]
    try:
        compared = compare_with_peers(counts, present, features, key)
    except KeyError as exc:
        result.notes["comparison"] = [
            f"No comparison with other partnerships: {str(exc).strip(chr(34))} ({store})."
        ]
        return
    months = f"{compared.months[0]:%b %Y} to {compared.months[-1]:%b %Y}"
    left = compared.left_out
    result.notes["comparison"] = [
        comparison_sentence(compared),
        f"Every area is compared over the same months, {months} (the months of the national "
        f"store with data for {compared.name}), with rates per 1,000 residents from the ONS "
        "mid-2020 population estimates."
        + (
            f" {len(left)} partnerships are left out: a month missing, or their force's files "
            "not in the download."
            if left
            else ""
        ),
        "The most similar partnerships (open peer group: population, density, age, "
        f"deprivation): {', '.join(compared.peers['name'])}.",
    ]
    result.artefacts["comparison"] = compared
    result.figures["comparison_funnel"] = (
        f"Crime per 1,000 residents, {months}: {compared.name} against every partnership"
    )
    result.add(
        Table(
            "comparison",
            compared.table,
            caption=f"{compared.name} against its {len(compared.peers)} most similar "
            f"partnerships and England and Wales, {months}: crimes per 1,000 residents, where "
            "it sits in the funnel of all partnerships, and its rank among itself and its "
            "peers (1 = highest rate)",
            counts=("count",),
            derived={"rate": ("count",)},
            formats={c: "{:,.1f}" for c in ("rate", "peers_rate", "national_rate")},
        )
    )


#: The quality report's implausible-month settings the chapter states.
IMPLAUSIBLE_SETTINGS = ("ratio", "alpha", "window", "min_neighbours")


def implausible_rule(settings: dict) -> str:
    """The implausible-month rule in words, with the thresholds a quality report used
    (its ``settings``: :func:`csplib.ingest.quality.implausible_months`).

    Examples
    --------
    >>> print(implausible_rule({"ratio": 2.5, "alpha": 1e-4, "window": 2, "min_neighbours": 2}))
    ... # doctest: +NORMALIZE_WHITESPACE
    A month is flagged as implausible for a category when its count is at least 2.5 times,
    or at most 1/2.5 of, the median of the months with data within 2 months either side
    (at least 2 of them), and the one-sided Poisson probability of a count that far from
    the median is below 0.0001.
    """
    missing = [k for k in IMPLAUSIBLE_SETTINGS if k not in settings]
    if missing:
        return f"The implausible-month check's settings are not recorded ({', '.join(missing)})."
    ratio, window, least = settings["ratio"], settings["window"], settings["min_neighbours"]
    return (
        f"A month is flagged as implausible for a category when its count is at least "
        f"{ratio:g} times, or at most 1/{ratio:g} of, the median of the months with data "
        f"within {window} month{'s' * (window != 1)} either side (at least {least} of them), "
        "and the one-sided Poisson probability of a count that far from the median is below "
        f"{settings['alpha']:g}."
    )


def _findings(window: pd.DataFrame, covered, area_name, period, months_present) -> list[Finding]:
    if not covered:
        return [
            Finding(
                f"There are no data for {period.label}; the data cover "
                f"{months_present.min():%b %Y} to {months_present.max():%b %Y}.",
                CHAPTER,
            )
        ]
    found = volume_findings(window, area_name, period.label)
    if len(covered) < period.months:
        found.insert(
            0,
            Finding(
                f"The data cover {len(covered)} of the {period.months} months of "
                f"{period.label}: counts for the period are partial.",
                CHAPTER,
            ),
        )
    return found


#: The key of every category's incidents (:func:`csplib.chapters.result.incidents_key`).
_ALL = incidents_key(POLICE_UK_CATEGORIES)


def _month_part(month) -> str:
    """The key part of one month: ``period=2024-04..2024-04``."""
    m = pd.Timestamp(month)
    return f"period={m:%Y-%m}..{m:%Y-%m}"


def _period_key(label) -> str:
    """The key of every category's incidents in the period labelled ``label`` (``2024/25``)."""
    p = Period.parse(str(label))
    return incidents_key(POLICE_UK_CATEGORIES, start=p.start, end=p.end)
