"""Time-series models of monthly counts: the "threat" part of the strategic assessment.

Model objects follow statsmodels: the constructor checks its arguments (a ``ValueError``
stating the rule), ``fit()`` returns a results object with the settings used (``config``),
the method in words (``method``) and anything a reader should know (``note``); pandas in,
pandas out; ``results.plot(ax=None)`` returns the Axes.

Inputs
------
One series: a pandas Series of monthly counts indexed by month start (``freq="MS"``), every
month from the first to the last present; a month without data is ``NaN`` and is never taken
as zero (models leave it out and name it in the note). Many series (the screen): a wide frame,
months x series, built from a long table with :func:`long_to_wide`.

Count models
------------
The trend, expected-range, interrupted-time-series, forecast and seasonal-profile models share
one engine: a Poisson GLM with month-of-year effects and a linear trend, switched to a
negative binomial (NB2) GLM when the Pearson chi-squared test of the Poisson fit finds
overdispersion at the 5% level (``family="auto"``; ``"poisson"`` or ``"negbin"`` force a
family). The trend test (:class:`CountTrend`) is the exception: it always estimates the
dispersion (NB2 where overdispersed, quasi-Poisson otherwise) and refers its test and interval
to Student t, so that its size stays at 5% on overdispersed seasonal counts (measured in
``benchmarks/trend_size.py``); :class:`MannKendallTrend` is the seasonal Mann-Kendall test
corrected for autocorrelation. Results say which family was used and why. Prediction
intervals (expected range,
forecast) come from the predictive distribution including parameter uncertainty, with mid-p
interval ends.

Data that cannot support a model never raise: fewer than 24 months (or a calendar month never
counted) drop seasonality (:func:`seasonal_problem` says why, before any fit); all-zero data
fall back to a Jeffreys-prior Poisson rate or report no estimate; ``method`` and ``note`` say
what was done.

Examples
--------
>>> import numpy as np, pandas as pd
>>> idx = pd.date_range("2020-01-01", periods=36, freq="MS")
>>> y = pd.Series(np.random.default_rng(0).poisson(12, 36), index=idx)
>>> CountTrend(y).fit().family
'quasi-Poisson'
"""

from csplib.methods.models._glm import seasonal_problem
from csplib.methods.models._series import (
    as_monthly_counts,
    as_monthly_frame,
    long_to_wide,
    wide_to_long,
)
from csplib.methods.models.expected import ExpectedRange, ExpectedRangeResults, flag_runs
from csplib.methods.models.forecast import CountForecast, ForecastResults
from csplib.methods.models.its import InterruptedTimeSeries, ITSResults
from csplib.methods.models.screen import EmergingTrendScreen, ScreenResults
from csplib.methods.models.seasonal import (
    DecompositionResults,
    ProfileResults,
    SeasonalDecomposition,
    SeasonalProfile,
)
from csplib.methods.models.spc import (
    ASSURANCE_LABELS,
    DEFAULT_RULES,
    VARIATION_LABELS,
    SPCChart,
    SPCResults,
)
from csplib.methods.models.spc_laney import LaneyChart
from csplib.methods.models.trend import (
    CountTrend,
    MannKendallResults,
    MannKendallTrend,
    TrendResults,
)

__all__ = [
    "as_monthly_counts",
    "as_monthly_frame",
    "long_to_wide",
    "wide_to_long",
    "seasonal_problem",
    "SeasonalDecomposition",
    "DecompositionResults",
    "SeasonalProfile",
    "ProfileResults",
    "CountTrend",
    "TrendResults",
    "MannKendallTrend",
    "MannKendallResults",
    "ExpectedRange",
    "ExpectedRangeResults",
    "flag_runs",
    "EmergingTrendScreen",
    "ScreenResults",
    "SPCChart",
    "SPCResults",
    "DEFAULT_RULES",
    "VARIATION_LABELS",
    "ASSURANCE_LABELS",
    "LaneyChart",
    "InterruptedTimeSeries",
    "ITSResults",
    "CountForecast",
    "ForecastResults",
]
