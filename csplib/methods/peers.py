"""Open peer groups: each partnership's most similar partnerships, from open data.

"Is this high for an area like ours?" needs areas like ours. The Home Office's most similar
groups sit behind the restricted iQuanta service, so csplib builds its own, the way HMIC's
force groups and ONS's nearest-neighbour method do, from features anyone can check
(``data/reference/peers/csp_features.csv``, built by ``data/build/csp_features.py``):

* ``population`` (residents, log scale: 100,000 and 200,000 are as far apart as 200,000 and
  400,000), ``density`` (residents per km², log scale);
* ``share_16_24`` and ``share_65_plus`` (% of residents: young adults are most often victims
  and offenders; older areas differ in crime and demand);
* ``share_most_deprived`` (% of residents in LSOAs of England's most deprived decile, IMD
  2019; England only).

:func:`most_similar` standardises each feature across all areas (z-scores, so no feature
counts more for its units), weights them (:data:`DEFAULT_WEIGHTS`, a parameter) and ranks
every other area by the weighted Euclidean distance. A feature an area lacks (deprivation
for a Welsh partnership: the Welsh index is a different measure) is left out of its
distances to all others, and the distance is scaled up by the share of the weights left
out, so distances stay comparable: a Welsh partnership's peers are the English and Welsh
areas most like it in size, density and age.

Examples
--------
>>> features = pd.DataFrame({"population": [100_000, 110_000, 400_000, 95_000],
...     "density": [500, 450, 4_000, 520]}, index=["A", "B", "C", "D"])
>>> most_similar(features, "A", n=2)["peer"].tolist()
['D', 'B']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_WEIGHTS", "LOG_FEATURES", "standardised", "most_similar", "peer_table"]

#: Feature -> weight: what makes two partnerships alike, as the distance counts it.
DEFAULT_WEIGHTS: dict[str, float] = {
    "population": 1.0,
    "density": 1.0,
    "share_16_24": 1.0,
    "share_65_plus": 1.0,
    "share_most_deprived": 1.0,
}

#: Features compared on a log scale (their ratios matter, not their differences).
LOG_FEATURES = ("population", "density")


def standardised(features: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """The weighted features as z-scores across all areas (logs first for
    :data:`LOG_FEATURES`); missing values stay missing.

    Examples
    --------
    >>> f = pd.DataFrame({"share_16_24": [10.0, 12.0, 14.0]})
    >>> standardised(f, {"share_16_24": 1.0})["share_16_24"].round(3).tolist()
    [-1.0, 0.0, 1.0]
    """
    missing = [k for k in weights if k not in features.columns]
    if missing:
        raise ValueError(f"no feature column(s) {', '.join(missing)}; have {list(features)}")
    out = {}
    for name in weights:
        values = features[name].astype(float)
        if name in LOG_FEATURES:
            if (values <= 0).any():
                raise ValueError(f"{name} must be positive to be compared on a log scale")
            values = np.log(values)
        out[name] = (values - values.mean()) / values.std(ddof=1)
    return pd.DataFrame(out, index=features.index)


def most_similar(
    features: pd.DataFrame,
    area,
    *,
    n: int = 15,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The ``n`` areas most like ``area``, nearest first (see the module notes).

    Parameters
    ----------
    features : DataFrame
        One row per area (index: its code), a column per feature.
    area
        The area's index label.
    n : int
        How many peers (15).
    weights : mapping, optional
        Feature -> weight (:data:`DEFAULT_WEIGHTS`, restricted to the columns present).

    Returns
    -------
    DataFrame
        ``rank`` (1 = most similar), ``peer``, ``distance`` and, for each feature, the peer's
        standardised difference from the area (``d_<feature>``, weighted), so a reviewer can
        see what made it close.
    """
    if area not in features.index:
        raise KeyError(f"{area!r} is not an area of the feature table")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number of peers, at least 1; got {n!r}")
    if weights is None:
        weights = {k: v for k, v in DEFAULT_WEIGHTS.items() if k in features.columns}
    if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
        raise ValueError("weights must be zero or more, and at least one above zero")
    z = standardised(features, weights)
    w = pd.Series(weights, dtype=float)
    diff = z.drop(index=area) - z.loc[area]
    used = diff.notna()
    total = float(w.sum())
    present = (used * w).sum(axis=1)
    squared = (diff.fillna(0.0) ** 2 * w).sum(axis=1)
    distance = np.sqrt(squared * total / present.where(present > 0))
    order = distance.sort_values(kind="stable").dropna().index[:n]
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(order) + 1),
            "peer": order,
            "distance": distance.loc[order].to_numpy(),
        }
    )
    for name in weights:
        out[f"d_{name}"] = (diff.loc[order, name] * np.sqrt(w[name])).to_numpy()
    return out


def peer_table(
    features: pd.DataFrame, *, n: int = 15, weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Every area's peers in one long table: ``area``, then :func:`most_similar`'s columns.

    Examples
    --------
    >>> f = pd.DataFrame({"population": [1e5, 1.1e5, 4e5], "density": [500, 450, 4e3]},
    ...                  index=["A", "B", "C"])
    >>> peer_table(f, n=1)[["area", "peer"]].values.tolist()
    [['A', 'B'], ['B', 'A'], ['C', 'B']]
    """
    parts = [
        most_similar(features, area, n=n, weights=weights).assign(area=area)
        for area in features.index
    ]
    out = pd.concat(parts, ignore_index=True)
    return out[["area", *[c for c in out.columns if c != "area"]]]
