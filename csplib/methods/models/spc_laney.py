"""Laney u' and p' charts: SPC for rates and proportions with large denominators.

A plain u-chart (rates: events per unit of exposure) or p-chart (proportions: events out of
trials) sets its limits from the Poisson or binomial variance alone: ``sigma_i =
sqrt(c / n_i)`` (u) or ``sqrt(c (1 - c) / n_i)`` (p), with ``c`` the pooled baseline rate.
With large denominators (a rate per resident population, a share of all crimes) that
variance is tiny, every month varies more than it allows, and nearly every point falls
outside the limits. Laney (2002, "Improved control charts for attributes", *Quality
Engineering* 14(4)) measures the extra month-to-month variation on the z scale:

* ``z_i = (x_i / n_i - c) / sigma_i``;
* ``sigma_z = mean |z_i - z_{i-1}| / 1.128`` over the baseline (as an XmR chart would);
* limits ``c +- 3 sigma_i sigma_z``, two-sigma lines ``c +- 2 sigma_i sigma_z``.

When the data vary as the Poisson or binomial model says, ``sigma_z`` is close to 1 and the
chart is the plain u or p chart (``adjust=False`` fixes ``sigma_z = 1`` to draw that chart);
when all denominators are equal it is the XmR chart of the rates with limits of ``3 / 1.128``
mean moving ranges. The rules, the direction of special-cause points and the Making Data
Count classification are those of :class:`~csplib.methods.models.SPCChart`
(:mod:`csplib.methods.models.spc_rules`), applied to the rates with each month's own limits;
a trend is read on the rates. Moving ranges of z are not screened unless
``screen_outliers=True`` (the same screen as the XmR chart). NHSRplotthedots has no Laney
chart; NHS teams draw them with other tools (e.g. the Power BI SPC visual, whose p' and u'
limits are these).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.methods.models._series import as_monthly_counts, check_choice, format_months
from csplib.methods.models.spc import (
    MIN_BASELINE_POINTS,
    MR_SCREEN_FACTOR,
    POLARITIES,
    SPCResults,
    check_target,
    empty_results,
    mean_moving_range,
    spc_results,
)
from csplib.methods.models.spc_rules import baseline_mask, check_baseline, check_rules

__all__ = ["LaneyChart", "D2"]

#: Expected range of two standard normal values (d2 for n = 2).
D2 = 1.128


class LaneyChart:
    """Laney u' (rates) or p' (proportions) chart of monthly numerators and denominators.

    Parameters
    ----------
    numerators : Series
        Monthly counts of events (non-negative, month-start index).
    denominators : Series
        The exposure (u: e.g. residents) or the number of trials (p: e.g. all crimes) of each
        month, on the same months; positive where the numerator has data. A month missing
        either is skipped and named in the note.
    kind : {"u", "p"}
        Rates (events per unit) or proportions (events out of trials: a numerator may not
        exceed its denominator).
    baseline, polarity, rules, target
        As for :class:`~csplib.methods.models.SPCChart`. ``target`` is on the chart's scale
        (after ``multiplier``).
    adjust : bool
        Laney's adjustment (True). False fixes ``sigma_z = 1``: the plain u or p chart.
    screen_outliers : bool
        Drop moving ranges of z of 3.267 x their mean or more (False).
    multiplier : float
        Scale of the charted value: 1 (rate per unit, or proportion), 100 (per cent), 1000
        (per 1,000) ...

    Examples
    --------
    >>> idx = pd.date_range("2023-01-01", periods=12, freq="MS")
    >>> x = pd.Series([50, 70, 45, 68, 52, 40, 66, 49, 71, 55, 47, 110], index=idx)
    >>> n = pd.Series([1000] * 12, index=idx)
    >>> res = LaneyChart(x, n, kind="p", baseline=11, multiplier=100).fit()
    >>> round(res.config["sigma_z"], 2), res.variation
    (2.26, 'special_cause_concern_high')
    >>> plain = LaneyChart(x, n, kind="p", baseline=11, multiplier=100, adjust=False).fit()
    >>> [round(float(r.table["upper"].iloc[-1]), 2) for r in (plain, res)]  # per cent
    [7.75, 10.49]
    """

    def __init__(
        self,
        numerators,
        denominators,
        kind: str = "u",
        baseline=None,
        polarity: str = "down",
        rules=None,
        adjust: bool = True,
        screen_outliers: bool = False,
        multiplier: float = 1.0,
        target=None,
    ):
        self.numerators = as_monthly_counts(numerators, name="numerators")
        self.denominators = _check_denominators(denominators, self.numerators)
        self.kind = check_choice(kind, "kind", ("u", "p"))
        if self.kind == "p":
            over = self.numerators > self.denominators
            if over.any():
                month = over.index[over.to_numpy()][0]
                raise ValueError(
                    f"a p' chart needs numerators no larger than their denominators; "
                    f"{month:%Y-%m} has {self.numerators[month]:g} of "
                    f"{self.denominators[month]:g}"
                )
        self.baseline = check_baseline(baseline, self.numerators.index)
        self.polarity = check_choice(polarity, "polarity", POLARITIES)
        self.rules = check_rules(rules)
        for name, flag in (("adjust", adjust), ("screen_outliers", screen_outliers)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False; got {flag!r}")
        self.adjust = adjust
        self.screen_outliers = screen_outliers
        if (
            isinstance(multiplier, bool)
            or not isinstance(multiplier, int | float)
            or not np.isfinite(multiplier)
            or multiplier <= 0
        ):
            raise ValueError(f"multiplier must be a positive number; got {multiplier!r}")
        self.multiplier = float(multiplier)
        self.target = check_target(target)

    def fit(self) -> SPCResults:
        """Compute the z-scores, ``sigma_z`` and the limits; apply the rules.

        Returns
        -------
        SPCResults
            ``table`` also holds ``numerator``, ``denominator`` and ``z``; ``config`` holds
            ``centre`` (pooled baseline rate, on the chart's scale) and ``sigma_z``.
        """
        x, n = self.numerators, self.denominators
        k = self.multiplier
        has = x.notna() & n.notna()
        notes = []
        if (~has).any():
            notes.append(
                f"No numerator or denominator for {format_months(x.index[~has])}: skipped, "
                "with the months either side treated as consecutive."
            )
        obs_x, obs_n = x[has].to_numpy(float), n[has].to_numpy(float)
        obs_index = x.index[has]
        in_base = baseline_mask(obs_index, self.baseline)
        rate = pd.Series(np.where(has, x / n, np.nan) * k, index=x.index)
        config = {
            "kind": self.kind,
            "baseline": (
                f"{obs_index[in_base][0]:%Y-%m} to {obs_index[in_base][-1]:%Y-%m}"
                if in_base.any()
                else None
            ),
            "baseline_points": int(in_base.sum()),
            "polarity": self.polarity,
            "rules": dict(self.rules),
            "adjust": self.adjust,
            "screen_outliers": self.screen_outliers,
            "multiplier": k,
        }
        extra = ("numerator", "denominator", "z")
        if in_base.sum() < 2:
            res = empty_results(rate, config, int(in_base.sum()), notes, self.target, extra)
            res.table["numerator"], res.table["denominator"] = x, n
            return res
        if in_base.sum() < MIN_BASELINE_POINTS:
            notes.append(
                f"The limits rest on only {int(in_base.sum())} baseline points "
                f"({MIN_BASELINE_POINTS} or more are recommended): treat them with caution."
            )
        centre = obs_x[in_base].sum() / obs_n[in_base].sum()
        var = centre * (1 - centre) if self.kind == "p" else centre
        if var == 0:
            notes.append(
                f"The baseline rate is {centre:g}: the limits collapse onto it and z is undefined."
            )
            sd = np.zeros(len(obs_x))
            z = np.zeros(len(obs_x))
            sigma_z, dropped = (np.nan if self.adjust else 1.0), 0
        else:
            sd = np.sqrt(var / obs_n)
            z = (obs_x / obs_n - centre) / sd
            if self.adjust:
                mr_bar, dropped = mean_moving_range(z[in_base], self.screen_outliers)
                sigma_z = mr_bar / D2
            else:
                sigma_z, dropped = 1.0, 0
        if dropped:
            notes.append(
                f"{dropped} moving range(s) of z of {MR_SCREEN_FACTOR} x their mean or more "
                "were left out of sigma_z."
            )
        half = 3.0 * sd * (sigma_z if np.isfinite(sigma_z) else 0.0)
        limits = {
            "centre": centre * k,
            "lower": (centre - half) * k,
            "upper": (centre + half) * k,
            "lower_2sigma": (centre - 2 * half / 3) * k,
            "upper_2sigma": (centre + 2 * half / 3) * k,
        }
        name = self.kind
        method = (
            f"Laney {name}' chart (limits centre +- 3 sigma_i x sigma_z, sigma_z = "
            f"{sigma_z:.3g} from the mean moving range of z / {D2})"
            if self.adjust
            else f"{name}-chart ({'Poisson' if name == 'u' else 'binomial'} limits "
            "centre +- 3 sigma_i)"
        )
        return spc_results(
            rate,
            rate[has],
            in_base,
            limits,
            rules=self.rules,
            polarity=self.polarity,
            target=self.target,
            config={**config, "centre": centre * k, "sigma_z": float(sigma_z)},
            method=method,
            notes=notes,
            extra={"numerator": obs_x, "denominator": obs_n, "z": z},
            clip_upper=k if self.kind == "p" else None,
        )


def _check_denominators(denominators, numerators: pd.Series) -> pd.Series:
    if not isinstance(denominators, pd.Series):
        raise ValueError(
            f"denominators must be a pandas Series on the numerators' months; got "
            f"{type(denominators).__name__}"
        )
    if not denominators.index.equals(numerators.index):
        raise ValueError(
            "denominators must have the same months as the numerators "
            f"({numerators.index[0]:%Y-%m} to {numerators.index[-1]:%Y-%m}, "
            f"{len(numerators)} months)"
        )
    try:
        d = denominators.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"denominators must be numbers; {exc}") from None
    bad = numerators.notna() & d.notna() & ~(np.isfinite(d) & (d > 0))
    if bad.any():
        month = bad.index[bad.to_numpy()][0]
        raise ValueError(
            f"denominators must be positive and finite where the numerator has data; "
            f"{month:%Y-%m} is {d[month]:g}"
        )
    return d
