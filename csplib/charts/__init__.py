"""Charts in the house style: each function takes ``ax=None`` and returns the Axes."""

from csplib.charts.harm import harm_share_chart, harm_trend_chart
from csplib.charts.maps import HOTSPOT_COLOURS, SCHEMES, choropleth, hotspot_map
from csplib.charts.models import plot_its, plot_screen, plot_seasonal_profile, plot_series, plot_spc
from csplib.charts.priorities import (
    THREAT_CMAP,
    lorenz_chart,
    rank_range_chart,
    volume_harm_chart,
)
from csplib.charts.risk import deprivation_chart, repeat_victims_chart
from csplib.charts.style import PALETTE, SEQUENTIAL, finish, new_axes
from csplib.charts.volume import monthly_small_multiples

__all__ = [
    "HOTSPOT_COLOURS",
    "SCHEMES",
    "choropleth",
    "hotspot_map",
    "PALETTE",
    "SEQUENTIAL",
    "THREAT_CMAP",
    "finish",
    "new_axes",
    "monthly_small_multiples",
    "plot_series",
    "plot_spc",
    "plot_seasonal_profile",
    "plot_its",
    "plot_screen",
    "volume_harm_chart",
    "lorenz_chart",
    "rank_range_chart",
    "harm_share_chart",
    "harm_trend_chart",
    "deprivation_chart",
    "repeat_victims_chart",
]
