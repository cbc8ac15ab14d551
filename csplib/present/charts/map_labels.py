"""Names on maps: each area's name written inside it, never over another name.

A name is written where it fits: at a point inside its area (the representative point,
then points deeper inside) where the label lies mostly inside the area, overlaps no label
already written, stays inside the map's frame and covers none of the map's markers (the
dots that keep small flagged areas visible). Where few names fit nowhere (at most
``crowded``, 30 by default, as for a city's 20 or 30 wards), those names are written anyway
at their best point, spilling over their area's edge. Where many do not fit (a county's
small towns at county scale), only the names that fit and the names that matter for the map
(``keep``: the wards holding its hot spots, or its highest and lowest classes) are written;
the rest are left off rather than drawn over each other.

Examples
--------
>>> import geopandas as gpd
>>> import matplotlib.pyplot as plt
>>> from shapely.geometry import box
>>> wards = gpd.GeoDataFrame({"name": ["Broad", "Slim"]},
...                          geometry=[box(0, 0, 10, 10), box(10, 0, 10.05, 10)])
>>> ax = wards.plot()
>>> [t.get_text() for t in label_areas(wards, "name", ax=ax, crowded=0)]
['Broad']
>>> [t.get_text() for t in label_areas(wards, "name", ax=wards.plot(), keep=[False, True],
...                                    crowded=0)]
['Broad', 'Slim']
"""

from __future__ import annotations

import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes

from csplib.core.errors import DataError

__all__ = ["label_areas", "check_areas", "largest_part"]

#: Clear space kept around each label, in points: across (so that two names side by side
#: never read as one) and up and down (the white halo and a little more).
PAD = (3.0, 1.5)


def check_areas(gdf, what: str) -> None:
    """Raise :class:`DataError` unless ``gdf`` holds area polygons (never points).

    Examples
    --------
    >>> check_areas(gpd.GeoSeries.from_xy([0], [0]), "the map")
    Traceback (most recent call last):
    ...
    csplib.core.errors.DataError: the map must hold area polygons only (maps show aggregates, \
never incident locations); found Point geometries
    """
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        raise DataError(f"{what} must be a GeoDataFrame of area polygons, got {type(gdf).__name__}")
    kinds = set(gdf.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise DataError(
            f"{what} must hold area polygons only (maps show aggregates, never incident "
            f"locations); found {', '.join(sorted(kinds))} geometries"
        )


def largest_part(geometry):
    """The largest polygon of a multi-part area (the area itself when in one part).

    Examples
    --------
    >>> from shapely.geometry import MultiPolygon, box
    >>> largest_part(MultiPolygon([box(0, 0, 1, 1), box(2, 0, 5, 1)])).bounds
    (2.0, 0.0, 5.0, 1.0)
    """
    if geometry.geom_type == "MultiPolygon":
        return max(geometry.geoms, key=lambda part: part.area)
    return geometry


def _label_spots(part, n: int = 9) -> np.ndarray:
    """Where a label may go: the representative point, then grid points inside the
    polygon, deepest inside first."""
    point = part.representative_point()
    minx, miny, maxx, maxy = part.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, n + 2)[1:-1], np.linspace(miny, maxy, n + 2)[1:-1])
    grid = shapely.points(xs.ravel(), ys.ravel())
    inside = grid[shapely.contains(part, grid)]
    depth = shapely.distance(inside, part.boundary)
    spots = [(point.x, point.y)]
    spots += [(float(q.x), float(q.y)) for q in inside[np.argsort(-depth, kind="stable")]]
    return np.asarray(spots, dtype=float)


def _overlaps(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Area of each box (rows x0, y0, x1, y1) lying under any of ``others``."""
    if len(others) == 0:
        return np.zeros(len(boxes))
    dx = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(
        boxes[:, None, 0], others[None, :, 0]
    )
    dy = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(
        boxes[:, None, 1], others[None, :, 1]
    )
    return (np.clip(dx, 0, None) * np.clip(dy, 0, None)).sum(axis=1)


class _Frame:
    """The drawn map: its frame and scale in display units, taken once the layout is final."""

    def __init__(self, ax: Axes, avoid, avoid_radius: float):
        figure = ax.figure
        figure.draw_without_rendering()
        self.renderer = figure.canvas.get_renderer()
        self.to_display = ax.transData
        self.to_data = ax.transData.inverted()
        frame = ax.get_window_extent(self.renderer)
        self.box = (frame.x0, frame.y0, frame.x1, frame.y1)
        self.pad = np.array(PAD) * figure.dpi / 72
        self.points = np.empty((0, 2))
        if avoid is not None and len(avoid):
            self.points = np.asarray(avoid, dtype=float).reshape(-1, 2)
        self.radius = avoid_radius * figure.dpi / 72
        centres = self.to_display.transform(self.points) if len(self.points) else self.points
        self.markers = np.hstack([centres - self.radius, centres + self.radius])

    def candidates(self, text, spots: np.ndarray, geometry, beside: bool = False) -> dict:
        """The label's box at each spot; how much of it lies inside the area; in the frame.

        ``beside``: also the spots just above, below, left and right of each marker inside
        the area, so that a name that matters can sit next to its marker, not over it."""
        text.set_position(tuple(float(v) for v in spots[0]))
        box = text.get_window_extent(self.renderer)
        anchor = self.to_display.transform(spots[:1])[0]
        offsets = np.array([box.x0, box.y0, box.x1, box.y1]) - np.tile(anchor, 2)
        offsets += np.concatenate([-self.pad, self.pad])
        if beside and len(self.points):
            own = self.points[shapely.contains_xy(geometry, *self.points.T)]
            if len(own):
                spots = np.vstack([spots, self._beside(own, offsets)])
        boxes = np.tile(self.to_display.transform(spots), 2) + offsets
        lo = self.to_data.transform(boxes[:, :2])
        hi = self.to_data.transform(boxes[:, 2:])
        cells = shapely.box(
            np.minimum(lo[:, 0], hi[:, 0]),
            np.minimum(lo[:, 1], hi[:, 1]),
            np.maximum(lo[:, 0], hi[:, 0]),
            np.maximum(lo[:, 1], hi[:, 1]),
        )
        inside = shapely.area(shapely.intersection(cells, geometry)) / shapely.area(cells)
        x0, y0, x1, y1 = self.box
        in_frame = (
            (boxes[:, 0] >= x0) & (boxes[:, 1] >= y0) & (boxes[:, 2] <= x1) & (boxes[:, 3] <= y1)
        )
        return {"spots": spots, "boxes": boxes, "inside": inside, "in_frame": in_frame}

    def _beside(self, points: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Anchors (map coordinates) putting a label's box just clear of each marker."""
        centre = (offsets[:2] + offsets[2:]) / 2
        half = (offsets[2:] - offsets[:2]) / 2 + self.radius
        shifts = np.array([[0, half[1]], [0, -half[1]], [half[0], 0], [-half[0], 0]])
        markers = self.to_display.transform(points)
        anchors = (markers[:, None, :] + shifts[None, :, :] - centre).reshape(-1, 2)
        return self.to_data.transform(anchors)


def _choose(c: dict, placed: np.ndarray, markers: np.ndarray, fit: float, spill: bool, keep: bool):
    """Index of the spot to write the label at, or None to leave it off."""
    free = c["in_frame"] & (_overlaps(c["boxes"], placed) == 0)
    covered = _overlaps(c["boxes"], markers)
    clear = free & (covered == 0)
    good = np.flatnonzero(clear & (c["inside"] >= fit))
    if len(good):
        return int(good[0])
    if spill and clear.any():
        return int(np.argmax(np.where(clear, c["inside"], -1.0)))
    if keep and free.any():  # covering a marker only when it cannot be helped
        least = np.where(free, covered, np.inf)
        best = np.flatnonzero(least == least.min())
        return int(best[np.argmax(c["inside"][best])])
    return None


def label_areas(
    gdf: gpd.GeoDataFrame,
    column: str | None = None,
    *,
    ax: Axes,
    fontsize: float = 6.0,
    width: int = 14,
    avoid_overlap: bool = True,
    keep=None,
    avoid=None,
    avoid_radius: float = 4.0,
    fit: float = 0.75,
    crowded: int = 30,
) -> list:
    """Write areas' names on a map, small, with a white halo, at a point inside each area.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Area polygons (in the CRS of the map).
    column : str, optional
        The names; default the index.
    ax : matplotlib.axes.Axes
        The map, drawn already: its final size decides how large a label is on the map.
    fontsize : float, default 6
    width : int, default 14
        Names longer than this are wrapped onto lines of at most this many characters.
    avoid_overlap : bool, default True
        Place the labels as the module describes (a name fits where at least ``fit`` of its
        label lies inside its area; labels never overlap each other or leave the frame).
        False: every name at its area's representative point, whatever it covers.
    keep : sequence of bool, optional
        The areas whose names matter for the map, placed first and written even where they
        do not fit (though never over another label or outside the frame).
    avoid : array-like of shape (n, 2), optional
        Map coordinates of markers a label should not cover. A ``keep`` label may also sit
        just beside a marker inside its area (its anchor then outside the area), and covers
        a marker only when it has no other place.
    avoid_radius : float, default 4
        Radius of those markers in points.
    fit : float, default 0.75
        The share of a label that must lie inside its area for the name to fit.
    crowded : int, default 30
        When more than this many names fit nowhere, only the names that fit and the
        ``keep`` names are written; otherwise every name is written where it fits best.

    Returns
    -------
    list of matplotlib.text.Text
        The labels written, in the order of ``gdf`` (an area left unlabelled has none).
        Every label is anchored inside its own area (its largest part), but for a ``keep``
        label set beside a marker.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> import matplotlib.pyplot as plt
    >>> wards = gpd.GeoDataFrame({"name": ["Hyson Green & Arboretum", "Bulwell"]},
    ...                          geometry=[box(0, 0, 2, 1), box(2, 0, 3, 1)])
    >>> ax = wards.plot()
    >>> texts = label_areas(wards, "name", ax=ax)
    >>> [t.get_text() for t in texts], texts[1].get_position()
    (['Hyson Green &\\nArboretum', 'Bulwell'], (2.5, 0.5))
    """
    check_areas(gdf, "label_areas")
    if column is not None and column not in gdf.columns:
        raise DataError(f"label_areas: no column {column!r} with the names")
    names = gdf.index.to_series() if column is None else gdf[column]
    keep = np.zeros(len(gdf), bool) if keep is None else np.asarray(keep, dtype=bool)
    if keep.shape != (len(gdf),):
        raise DataError(
            f"label_areas: keep must hold one flag per area ({len(gdf)}), got {keep.size}"
        )
    areas = []
    for i, (name, geometry) in enumerate(zip(names, gdf.geometry, strict=True)):
        if geometry is None or geometry.is_empty or pd.isna(name) or not str(name).strip():
            continue
        areas.append((i, str(name), geometry, largest_part(geometry)))
    halo = [patheffects.withStroke(linewidth=2.0, foreground="white")]

    def write(name, spot):
        text = ax.text(
            *map(float, spot),
            textwrap.fill(name, width=width, break_long_words=False),
            fontsize=fontsize,
            ha="center",
            va="center",
            color="#111111",
            linespacing=0.95,
            zorder=6,
            path_effects=halo,
        )
        text.set_in_layout(False)  # labels stay inside the frame; the layout ignores them
        return text

    if not avoid_overlap:
        return [write(name, _label_spots(part, 0)[0]) for _, name, _, part in areas]
    if not areas:
        return []
    frame = _Frame(ax, avoid, avoid_radius)
    plans = []
    for i, name, geometry, part in areas:
        spots = _label_spots(part)
        text = write(name, spots[0])
        plans.append((i, text, frame.candidates(text, spots, geometry, beside=keep[i])))
    unfit = sum(not (c["in_frame"] & (c["inside"] >= fit)).any() for _, _, c in plans)
    spill = unfit <= crowded
    order = sorted(range(len(plans)), key=lambda j: (not keep[areas[j][0]], areas[j][3].area))
    placed = np.empty((0, 4))
    texts = {}
    for j in order:
        i, text, c = plans[j]
        best = _choose(c, placed, frame.markers, fit, spill, bool(keep[i]))
        if best is None:
            text.remove()
            continue
        text.set_position(tuple(float(v) for v in c["spots"][best]))
        placed = np.vstack([placed, c["boxes"][best]])
        texts[i] = text
    return [texts[i] for i in sorted(texts)]
