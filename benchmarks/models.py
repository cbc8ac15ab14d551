"""Benchmark: the emerging-trend screen on 2,548 series (182 LSOAs x 14 categories, 60 months).

Target: under 10 s on the 2-core development machine. Run with

    .venv/bin/python benchmarks/models.py

The data are simulated with a fixed seed: per-category monthly means at LSOA level from 0.2 to
8 crimes, category-specific seasonality, negative binomial noise, and a doubling in the last
six months for 25 of the series. Prints the time to build the wide frame from the long table
and the time of each screen fit (median of several runs), and how many planted steps were found.
The default dispersion (successive differences, leave-one-out) is timed against the earlier
pooled Pearson estimate (``dispersion="pooled"``).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from csplib.core.schema import POLICE_UK_CATEGORIES
from csplib.methods.models import EmergingTrendScreen, long_to_wide

N_LSOA, N_MONTHS, N_STEPS, REPEATS = 182, 60, 25, 5


def simulate(seed: int = 20240601) -> tuple[pd.DataFrame, set]:
    """Long table (category, lsoa, month, count) and the keys given a step."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2020-01-01", periods=N_MONTHS, freq="MS")
    categories = list(POLICE_UK_CATEGORIES)  # 14
    lsoas = [f"E0100{i:04d}" for i in range(N_LSOA)]
    cat_mean = np.exp(rng.uniform(np.log(0.2), np.log(8.0), len(categories)))
    cat_amp = rng.uniform(0.0, 0.4, len(categories))
    lsoa_factor = rng.lognormal(0.0, 0.5, N_LSOA)
    season = np.exp(cat_amp[:, None] * np.sin(2 * np.pi * months.month.to_numpy() / 12)[None, :])
    mu = cat_mean[:, None, None] * lsoa_factor[None, :, None] * season[:, None, :]
    steps = rng.choice(len(categories) * N_LSOA, N_STEPS, replace=False)
    cat_i, lsoa_i = np.unravel_index(steps, (len(categories), N_LSOA))
    mu[cat_i, lsoa_i, -6:] *= 2.0
    alpha = 0.15
    counts = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    long = pd.DataFrame(
        {
            "category": np.repeat(categories, N_LSOA * N_MONTHS),
            "lsoa": np.tile(np.repeat(lsoas, N_MONTHS), len(categories)),
            "month": np.tile(months, len(categories) * N_LSOA),
            "count": counts.ravel(),
        }
    )
    # as an aggregation of incidents would: no row for a zero count
    long = long[long["count"] > 0]
    planted = {(categories[c], lsoas[s]) for c, s in zip(cat_i, lsoa_i, strict=True)}
    return long, planted


def timed(fn, repeats: int = REPEATS):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main() -> None:
    long, planted = simulate()
    t_wide, counts = timed(lambda: long_to_wide(long, ["category", "lsoa"], absent="zero"), 3)
    print(f"series: {counts.shape[1]:,} ({N_LSOA} LSOAs x 14 categories), months: {len(counts)}")
    print(f"long_to_wide ({len(long):,} rows):                {t_wide:7.3f} s")
    for label, kwargs in (
        ("screen, pooled season and dispersion", {}),
        ("screen, pooled by category", {"pool_by": "category"}),
        (
            "screen, by category, earlier pooled alpha",
            {"pool_by": "category", "dispersion": "pooled"},
        ),
    ):
        seconds, res = timed(lambda kw=kwargs: EmergingTrendScreen(counts, **kw).fit())
        flagged = set(res.flagged.index)
        found = len(flagged & planted)
        print(
            f"{label + ':':45s}{seconds:7.3f} s  (median of {REPEATS}; flagged {len(flagged)}, "
            f"{found} of {N_STEPS} planted steps)"
        )


if __name__ == "__main__":
    main()
