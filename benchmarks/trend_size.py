"""Size, coverage and autocorrelation tables for the trend tests (CountTrend, MannKendallTrend).

Simulates seasonal monthly counts with known truth and prints, for each mean, overdispersion
and series length, the share of series in which

* the count-trend test (:func:`csplib.methods.models.trend.trend_fits`, the engine of
  ``CountTrend``) rejects no trend at the 5% level when there is none (size);
* its 95% interval for the annual change misses a true trend of -10% a year (1 - coverage);
* the seasonal Mann-Kendall test (:func:`csplib.methods.models.kendall.kendall_tests`, the
  engine of ``MannKendallTrend``) rejects no trend (size), with independent and with AR(1)
  correlated rates.

Counts: NB2 (gamma-Poisson, variance ``mu + alpha mu^2``) or Poisson, month-of-year effects
of about +-30%; "AR(1)" rows are Poisson-lognormal with the same variance and a latent AR(1)
of lag-1 correlation ``rho``. With ``--reps 4000`` (the default) a cell's standard error at 5%
is 0.34 points.

Run: ``.venv/bin/python benchmarks/trend_size.py [--reps N] [--seed S]`` (about ten minutes on
one core at the default).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from csplib.methods.models._glm import design
from csplib.methods.models.kendall import kendall_tests
from csplib.methods.models.trend import trend_fits
from csplib.synth.seasonal import seasonal_counts

MEANS = (3.0, 5.0, 30.0, 300.0)
LENGTHS = (36, 48, 60)


def cell(rng, reps, n, mean, *, alpha=0.0, annual=0.0, rho=0.0, glm=True):
    """Percent rejected: (count-trend test of the true trend, seasonal Mann-Kendall of none)."""
    idx, y = seasonal_counts(rng, reps, n, mean, alpha=alpha, annual=annual, rho=rho)
    out = [np.nan, np.nan]
    if glm:
        fits = trend_fits(y, design(idx, idx[0], seasonal=True, trend=True))
        truth = np.log1p(annual) / 12
        out[0] = 100 * np.mean(np.abs(fits.beta - truth) > fits.critical(0.95) * fits.se)
    if annual == 0:
        out[1] = 100 * np.mean(kendall_tests(y, np.arange(n), idx.month.to_numpy()).p_value < 0.05)
    return out


def table(rng, reps, *, alphas, annual=0.0, rho=0.0, glm=True) -> pd.DataFrame:
    rows = []
    for mean in MEANS:
        for alpha in alphas:
            row = {"mean": mean, "alpha": alpha}
            for n in LENGTHS:
                g, k = cell(rng, reps, n, mean, alpha=alpha, annual=annual, rho=rho, glm=glm)
                row[f"GLM {n}"], row[f"MK {n}"] = g, k
            rows.append(row)
    return pd.DataFrame(rows).set_index(["mean", "alpha"]).dropna(axis=1, how="all")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    pd.set_option("display.width", 120)
    start = time.perf_counter()
    alphas = (0.0, 0.02, 0.05, 0.1)
    sections = [
        ("Size (% rejecting no trend at 5%), no trend, independent", {"alphas": alphas}),
        ("Size, no trend, AR(1) rho = 0.2", {"alphas": (0.02, 0.05, 0.1), "rho": 0.2}),
        (
            "Interval misses (% of 95% intervals missing -10% a year)",
            {"alphas": alphas, "annual": -0.10},
        ),
    ]
    for title, kw in sections:
        t = table(rng, args.reps, **kw)
        print(f"\n{title}; {args.reps} series a cell; columns: test and months")
        print(t.round(2).to_string())
        print("pooled:", t.mean().round(2).to_dict())
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
