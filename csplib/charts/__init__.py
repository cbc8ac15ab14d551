"""Charts in the house style: each function takes ``ax=None`` and returns the Axes."""

from csplib.charts.style import PALETTE, SEQUENTIAL, finish, new_axes
from csplib.charts.volume import monthly_small_multiples

__all__ = ["PALETTE", "SEQUENTIAL", "finish", "new_axes", "monthly_small_multiples"]
