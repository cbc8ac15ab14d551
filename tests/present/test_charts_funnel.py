"""The funnel plot draws the limits it is given, the area highlighted and its peers ringed."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from csplib.methods.funnel import funnel_limits  # noqa: E402
from csplib.present.charts.funnel import plot_funnel  # noqa: E402


def test_the_funnel_draws_its_limits_the_area_and_its_peers():
    rng = np.random.default_rng(2)
    names = [f"Area {i}" for i in range(60)]
    pop = pd.Series(rng.integers(40_000, 900_000, 60).astype(float), index=names)
    f = funnel_limits(pd.Series(rng.poisson(0.07 * pop), index=names), pop)
    ax = plot_funnel(f, highlight="Area 1", peers=["Area 2", "Area 3", "nowhere"], title="T")
    lines = {line.get_label(): line for line in ax.get_lines()}
    upper = lines["95% limits"]
    x, y = upper.get_data()
    np.testing.assert_allclose(y, f.limits_at(x, 0.95)[1])
    assert x.min() < pop.min() and x.max() > pop.max()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Area 1" in labels and "Most similar areas" in labels
    ringed = next(c for c in ax.collections if c.get_label() == "Most similar areas")
    assert len(ringed.get_offsets()) == 2  # an unknown peer is left out
    assert any(t.get_text() == "Area 1" for t in ax.texts)
    assert ax.get_title(loc="left") == "T" and ax.get_xscale() == "log"
