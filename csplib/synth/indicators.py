"""The indicators table: survey, treatment, MARAC, fires and hospital admissions.

One CSV in the format read by :func:`csplib.ingest.indicators.read_indicators` (columns
``indicator, area, period_start, period_end, numerator, denominator, value, source, kind,
notes``), for Nottingham (``E06000018``) or another area (its authority's code, or its CSP
code when it has several authorities):

==================================  ========  ==============================================
indicator                           kind      periods
==================================  ========  ==============================================
``survey_experience_asb``                  survey    calendar years (no 2020 survey); n ~ 2,000
``survey_feel_safe_after_dark``            survey    as above
``survey_feel_safe_daytime``               survey    as above
``treatment_successful_completions`` proportion rolling 12 months ending each month
``treatment_numbers_adult``         count     rolling 12 months ending each month
``marac_referrals``                 count     quarters (financial)
``secondary_fires``      count     months
``hospital_admissions_violence``    count     quarters (financial)
==================================  ========  ==============================================

Published figures are met exactly (Partnership Plan 2022-25: experience of ASB 8.5% in the
2018 survey and 9.2% in 2019; successful completions 21.9% in 2018/19, 22.7% in 2019/20,
19.5% in 2020/21; and 21.3% for June 2019 - May 2020 from the November 2020 report). Other
periods follow the stated paths with sampling noise. Another area gets the same paths
(Nottingham's published figures are then ordinary points of the path, drawn with sampling
noise) and counts scaled by its residents relative to Nottingham's.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from csplib.synth.calibration import NOTTINGHAM, TARGETS, AreaProfile, daily_stringency
from csplib.synth.levels import Timeline, timeline
from csplib.synth.sampling import stream

__all__ = [
    "INDICATORS_FILE",
    "SURVEY_PATHS",
    "SURVEY_YEARS",
    "COMPLETIONS_ANCHORS",
    "indicators_table",
]

INDICATORS_FILE = "synthetic_indicators.csv"
_SOURCE = "SYNTHETIC (csplib.synth): "
#: Survey years (calendar): the 2020 survey did not run in comparable form.
SURVEY_YEARS: tuple[int, ...] = (2014, 2015, 2016, 2017, 2018, 2019, 2021, 2022, 2023, 2024)
#: Share of respondents by survey year (targets where published, else assumed).
SURVEY_PATHS: dict[str, dict[int, float]] = {
    "survey_experience_asb": {
        2014: 0.112,
        2015: 0.104,
        2016: 0.096,
        2017: 0.090,
        2018: 0.085,
        2019: 0.092,
        2021: 0.098,
        2022: 0.090,
        2023: 0.086,
        2024: 0.083,
    },
    "survey_feel_safe_after_dark": {
        2014: 0.580,
        2015: 0.590,
        2016: 0.600,
        2017: 0.610,
        2018: 0.620,
        2019: 0.615,
        2021: 0.600,
        2022: 0.620,
        2023: 0.630,
        2024: 0.640,
    },
    "survey_feel_safe_daytime": {
        2014: 0.900,
        2015: 0.905,
        2016: 0.905,
        2017: 0.910,
        2018: 0.915,
        2019: 0.910,
        2021: 0.905,
        2022: 0.910,
        2023: 0.915,
        2024: 0.920,
    },
}
_SURVEY_TEXT = {
    "survey_experience_asb": "experienced or witnessed ASB in the last 12 months",
    "survey_feel_safe_after_dark": "feel safe outside in their area after dark",
    "survey_feel_safe_daytime": "feel safe outside in their area during the day",
}
#: Successful completions as a share of all in treatment, rolling 12 months ending in the
#: month given: published anchors (2019-03, 2020-03, 2020-05, 2021-03) and assumed ones.
COMPLETIONS_ANCHORS: dict[str, float] = {
    "2015-03": 0.248,
    "2016-03": 0.241,
    "2017-03": 0.232,
    "2018-03": 0.224,
    "2019-03": 0.219,
    "2020-03": 0.227,
    "2020-05": 0.213,
    "2021-03": 0.195,
    "2022-03": 0.201,
    "2023-03": 0.208,
    "2024-03": 0.214,
    "2025-03": 0.217,
}
_PUBLISHED_COMPLETIONS = ("2019-03", "2020-03", "2020-05", "2021-03")


def _survey_rows(rng, years, profile: AreaProfile) -> tuple[list[dict], dict]:
    rows, achieved = [], {}
    published = TARGETS["asb_experience_pct"] if profile.calibrated else {}
    survey = (
        "Respect for Nottingham Survey (simulated)"
        if profile.calibrated
        else f"residents' survey of {profile.name} (simulated)"
    )
    for name, path in SURVEY_PATHS.items():
        for year in years:
            n = int(rng.integers(1_900, 2_151))
            p = path[year]
            if name == "survey_experience_asb" and year in published:
                k = int(round(published[year] / 100 * n))
            else:
                k = int(rng.binomial(n, p))
            rows.append(
                {
                    "indicator": name,
                    "period_start": f"{year}-01-01",
                    "period_end": f"{year}-12-31",
                    "numerator": str(k),
                    "denominator": str(n),
                    "value": f"{k / n:.3f}",
                    "source": _SOURCE + survey,
                    "kind": "survey",
                    "notes": f"share of respondents who {_SURVEY_TEXT[name]}",
                }
            )
            if name == "survey_experience_asb":
                achieved[str(year)] = {
                    "path": round(100 * p, 2),
                    "achieved": round(100 * round(k / n, 3), 1),
                    "numerator": k,
                    "denominator": n,
                }
    return rows, achieved


def _month_end(month: np.datetime64) -> str:
    return str((month + 1).astype("datetime64[D]") - 1)


def _completions(rng, tl: Timeline, profile: AreaProfile) -> tuple[list[dict], dict]:
    labels = np.array(list(COMPLETIONS_ANCHORS), dtype="datetime64[M]")
    values = np.array(list(COMPLETIONS_ANCHORS.values()))
    ends = np.arange(labels[0], min(labels[-1], tl.months[-1]) + 1)
    x = (ends - labels[0]).astype(float)
    rate = np.interp(x, (labels - labels[0]).astype(float), values)
    noise = np.zeros(len(ends))
    for i in range(1, len(ends)):  # a rolling 12-month figure moves slowly
        noise[i] = 0.8 * noise[i - 1] + rng.normal(0, 0.0015)
    anchored = np.isin(ends, labels)
    rate = np.where(anchored, rate, rate + noise)
    scale = profile.scale
    in_treatment = np.interp(x, [0, 60, 120], [2_900, 2_600, 2_750]) * scale + rng.normal(
        0, 25 * np.sqrt(scale), len(ends)
    )
    rows, achieved = [], {}
    for end, r, den, anchor in zip(
        ends, rate, in_treatment.round().astype(int), anchored, strict=True
    ):
        num = int(round(r * den))
        label = str(end)
        rows.append(
            {
                "indicator": "treatment_successful_completions",
                "period_start": str((end - 11).astype("datetime64[D]")),
                "period_end": _month_end(end),
                "numerator": str(num),
                "denominator": str(den),
                "value": f"{num / den:.3f}",
                "source": _SOURCE + "NDTMS-style treatment data (simulated)",
                "kind": "proportion",
                "notes": "successful completions / all in treatment, rolling 12 months",
            }
        )
        rows.append(
            {
                "indicator": "treatment_numbers_adult",
                "period_start": str((end - 11).astype("datetime64[D]")),
                "period_end": _month_end(end),
                "numerator": str(den),
                "denominator": "",
                "value": str(den),
                "source": _SOURCE + "NDTMS-style treatment data (simulated)",
                "kind": "count",
                "notes": "adults in structured treatment, rolling 12 months",
            }
        )
        if anchor:
            achieved[label] = {
                "path": round(100 * COMPLETIONS_ANCHORS[label], 2),
                "published": profile.calibrated and label in _PUBLISHED_COMPLETIONS,
                "achieved": round(100 * round(num / den, 3), 1),
                "numerator": num,
                "denominator": int(den),
            }
    return rows, achieved


def _counts(rng, tl: Timeline, profile: AreaProfile) -> tuple[list[dict], dict]:
    scale = profile.scale
    months = tl.months
    years = (months - months[0]).astype(float) / 12
    level = np.array(
        [
            daily_stringency(
                np.arange(m.astype("datetime64[D]"), (m + 1).astype("datetime64[D]"))
            ).mean()
            for m in months
        ]
    )
    fire_season = np.array([0.7, 0.8, 1.2, 1.5, 1.45, 1.15, 1.1, 1.05, 0.9, 0.9, 1.3, 0.75])
    fire_season = fire_season / fire_season.mean()
    fires = rng.poisson(65 * scale * 0.98**years * fire_season[tl.moy - 1] * (1 + 0.3 * level))
    rows, paths = (
        [],
        {
            "secondary_fires": {},
            "marac_referrals": {},
            "hospital_admissions_violence": {},
        },
    )
    for m, n in zip(months, fires, strict=True):
        rows.append(
            _count_row(
                "secondary_fires",
                m,
                m,
                int(n),
                "Fire and Rescue Service incident data (simulated)",
                "deliberate secondary fires",
            )
        )
    quarters = np.arange(0, len(months) - 2, 3)
    marac_mu = (120 + 5.5 * years) * scale * (1 + 0.25 * level)
    admissions_mu = 62 * scale * 0.99**years * (1 - 0.35 * level)
    marac = rng.poisson(np.array([marac_mu[q : q + 3].sum() / 3 for q in quarters]))
    admissions = rng.poisson(np.array([admissions_mu[q : q + 3].sum() / 3 for q in quarters]))
    for q, a, b in zip(quarters, marac, admissions, strict=True):
        first, last = months[q], months[q + 2]
        rows.append(
            _count_row(
                "marac_referrals",
                first,
                last,
                int(a),
                "MARAC referrals (simulated)",
                "referrals to MARAC",
            )
        )
        rows.append(
            _count_row(
                "hospital_admissions_violence",
                first,
                last,
                int(b),
                "Hospital Episode Statistics-style data (simulated)",
                f"emergency admissions for assault, {profile.name} residents",
            )
        )
    quarter_fy = tl.fy[quarters]
    for fy in sorted(set(tl.fy.tolist())):
        paths["secondary_fires"][str(fy)] = int(fires[tl.fy == fy].sum())
        paths["marac_referrals"][str(fy)] = int(marac[quarter_fy == fy].sum())
        paths["hospital_admissions_violence"][str(fy)] = int(admissions[quarter_fy == fy].sum())
    return rows, paths


def _count_row(name, first, last, n, source, notes) -> dict:
    return {
        "indicator": name,
        "period_start": str(first.astype("datetime64[D]")),
        "period_end": _month_end(last),
        "numerator": str(n),
        "denominator": "",
        "value": str(n),
        "source": _SOURCE + source,
        "kind": "count",
        "notes": notes,
    }


def indicators_table(
    seed: int, start: str, end: str, profile: AreaProfile = NOTTINGHAM
) -> tuple[pl.DataFrame, dict]:
    """The indicators whose period ends between ``start`` and ``end``, and their figures.

    The table is always built over the whole timeline and then cut, so a given seed gives
    the same figures whatever span is asked for.

    Parameters
    ----------
    seed : int
    start, end : str
        First and last month (``"YYYY-MM"``).
    profile : AreaProfile, default NOTTINGHAM
        Whose indicators: the area code, the survey's name and the scale of the counts.

    Returns
    -------
    (frame, info)
        ``frame``: the file's columns as text; ``info``: targets and achieved values.

    Examples
    --------
    >>> table, info = indicators_table(1, "2018-04", "2020-03")
    >>> row = table.filter((table["indicator"] == "survey_experience_asb")
    ...                    & (table["period_start"] == "2018-01-01"))
    >>> row["value"].item(), info["asb_experience_pct"]["2018"]["achieved"]
    ('0.085', 8.5)
    """
    tl = timeline()
    rng = stream(seed, 0, "indicators")
    survey, survey_info = _survey_rows(rng, SURVEY_YEARS, profile)
    completions, completion_info = _completions(rng, tl, profile)
    counts, count_info = _counts(rng, tl, profile)
    first = str(np.datetime64(start, "M").astype("datetime64[D]"))
    last = _month_end(np.datetime64(end, "M"))
    frame = (
        pl.DataFrame(survey + completions + counts)
        .with_columns(area=pl.lit(profile.indicator_area))
        .filter((pl.col("period_end") >= first) & (pl.col("period_end") <= last))
        .select(
            "indicator",
            "area",
            "period_start",
            "period_end",
            "numerator",
            "denominator",
            "value",
            "source",
            "kind",
            "notes",
        )
        .sort(["indicator", "period_start", "period_end"])
    )

    def within(table: dict, end_of) -> dict:
        return {k: v for k, v in table.items() if first <= end_of(k) <= last}

    info = {
        "asb_experience_pct": within(survey_info, lambda y: f"{y}-12-31"),
        "treatment_successful_completions_pct": within(
            completion_info, lambda m: _month_end(np.datetime64(m, "M"))
        ),
        "annual_counts": {
            name: within(values, lambda y: f"{int(y) + 1}-03-31")
            for name, values in count_info.items()
        },
        "rows": frame.height,
    }
    return frame, info
