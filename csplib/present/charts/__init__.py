"""Charts in the house style: each function takes ``ax=None`` and returns the Axes."""

from csplib.present.charts.funnel import plot_funnel
from csplib.present.charts.harm import harm_share_chart, harm_trend_chart
from csplib.present.charts.maps import HOTSPOT_COLOURS, SCHEMES, choropleth, hotspot_map
from csplib.present.charts.models import (
    plot_its,
    plot_screen,
    plot_seasonal_profile,
    plot_series,
    plot_spc,
)
from csplib.present.charts.performance import target_panel, target_panels
from csplib.present.charts.priorities import (
    THREAT_CMAP,
    lorenz_chart,
    rank_range_chart,
    volume_harm_chart,
)
from csplib.present.charts.risk import deprivation_chart, repeat_victims_chart
from csplib.present.charts.style import PALETTE, SEQUENTIAL, finish, new_axes
from csplib.present.charts.volume import monthly_small_multiples

__all__ = [
    "plot_funnel",
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
    "target_panel",
    "target_panels",
]
