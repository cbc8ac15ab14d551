"""What a chapter notebook works with: its parameters, its data and where its tables go.

A chapter's first code cell after the parameters is::

    ctx = csplib.load_context(params_path, output_dir, chapter="01_volume")

``params_path`` and ``output_dir`` are injected by ``csp assess``; when a notebook is opened
by hand they are ``None`` and the context falls back to ``$CSP_PARAMS`` or
``parameters/default.yaml`` and writes nothing.

Data are loaded on first use and cached (see :mod:`csplib.store`), so every chapter reads the
same tidy tables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from csplib.params import Params, find_default_params, load_params

__all__ = ["Context", "load_context"]


@dataclass
class Context:
    """Parameters, data and outputs for one chapter run.

    Parameters
    ----------
    params : Params
        Validated parameters.
    output_dir : Path or None
        The assessment's output folder (``outputs/<year>``) when run by ``csp assess``;
        ``None`` in interactive use, when nothing is written.
    chapter : str or None
        The chapter's name, used to name its annex tables.
    """

    params: Params
    output_dir: Path | None = None
    chapter: str | None = None

    @cached_property
    def store(self):
        """The tidy store: incidents, quality report and geography (see :mod:`csplib.store`)."""
        from csplib.store import load_store

        return load_store(self.params)

    @property
    def incidents(self) -> pd.DataFrame:
        """Incidents in the area, one row each (see :mod:`csplib.schema`)."""
        return self.store.incidents

    @property
    def quality(self):
        """The ingest quality report."""
        return self.store.quality

    @property
    def geography(self):
        """The area's geography: LSOAs, wards, population, deprivation, boundaries."""
        return self.store.geography

    def save_table(
        self, frame: pd.DataFrame, name: str, *, counts="auto", derived=None
    ) -> Path | None:
        """Write ``frame``, with small counts suppressed, to the data annex
        ``tables/<chapter>__<name>.csv`` (shared, like the HTML).

        ``counts`` and ``derived`` are as in :meth:`show`. Returns the path written, or
        ``None`` in interactive use.
        """
        return self._write(self.protect(frame, counts=counts, derived=derived)[0], name)

    def _write(self, frame: pd.DataFrame, name: str) -> Path | None:
        if self.output_dir is None:
            return None
        if not name.replace("_", "").isalnum():
            raise ValueError("table names may contain only letters, digits and underscores")
        folder = Path(self.output_dir) / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chapter or 'table'}__{name}.csv"
        frame.to_csv(path, index=not isinstance(frame.index, pd.RangeIndex))
        return path

    def protect(self, frame: pd.DataFrame, *, counts="auto", derived=None):
        """Suppress small counts for sharing: returns ``(table, note or None)``.

        Counts from 1 to ``thresholds.suppress_below - 1`` are hidden, with secondary
        suppression against totals, and so are the columns computed from them
        (:func:`csplib.disclosure.suppress`). See :meth:`show` for ``counts`` and
        ``derived``.
        """
        from csplib.disclosure import TOTAL_LABELS, suppress
        from csplib.errors import CspError

        if counts == "all":
            columns = [c for c in frame.columns if _whole_numbers(frame[c])]
        elif counts == "auto":
            columns = _count_columns(frame)
        else:
            columns = list(counts or [])
        if not columns:
            return frame, None
        if derived is None:
            derived = {c: columns for c in frame.columns if c not in columns and _is_derived(c)}
        settings = dict(
            threshold=self.params.thresholds.suppress_below,
            columns=columns,
            derived=derived or None,
            suppress_zeros=self.params.thresholds.suppress_zeros,
        )
        try:
            result = suppress(frame, totals="infer", **settings)
            shown = result.frame
        except CspError:
            # Rows labelled as totals that are not one total of the others (a long table
            # with one "All" row per group): protect the cells without totals, and hide the
            # total rows too wherever anything was hidden, so nothing can be subtracted back.
            result = suppress(frame, totals=None, **settings)
            shown = result.frame
            if result.n_primary + result.n_secondary:
                labels = {str(t).lower() for t in TOTAL_LABELS}
                is_total = pd.Series(
                    [str(i).lower() in labels for i in frame.index], index=frame.index
                )
                for col in frame.columns:
                    if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                        is_total |= frame[col].astype(str).str.lower().isin(labels).to_numpy()
                hide = [*columns, *derived]
                shown = shown.astype({c: object for c in hide})
                shown.loc[is_total.to_numpy(), hide] = result.marker
        hidden = result.n_primary + result.n_secondary
        return shown, (result.note if hidden else None)

    def show(
        self,
        frame: pd.DataFrame,
        name: str,
        *,
        caption: str | None = None,
        formats: dict[str, str] | None = None,
        counts="auto",
        derived: dict | None = None,
    ):
        """Show a table safely and save it to the data annex.

        Small counts (1 to ``thresholds.suppress_below - 1``) are suppressed, with secondary
        suppression against totals and of the columns computed from them
        (:func:`csplib.disclosure.suppress`); the annex gets the same suppressed table.

        Parameters
        ----------
        frame : DataFrame
            The table, numbers kept numeric.
        name : str
            Annex file name: ``tables/<chapter>__<name>.csv``.
        caption, formats
            As :func:`csplib.report.table`.
        counts : "auto", "all", list of str, or None
            The count columns to protect. ``"auto"``: columns of whole numbers whose name
            contains "count" or is a known count (victims, incidents, offences, crimes,
            previous). ``"all"``: every column of whole numbers (wide tables: months or
            years by category). ``None`` for tables holding no counts of people or events
            (scores, rates, model output).
        derived : dict, optional
            Columns computed from counts (``{"rate_per_1000": "count"}``), hidden where
            their counts are. Default: every other column whose name mentions a rate, share,
            percentage, change, harm or ``per_``, derived from all the count columns.
        """
        from csplib.disclosure import safe_formats
        from csplib.report import paragraph, table

        shown, note = self.protect(frame, counts=counts, derived=derived)
        self._write(shown, name)
        html = table(shown, caption=caption, formats=safe_formats(formats) if formats else None)
        if note:
            from IPython.display import HTML

            return HTML(html.data + paragraph(note).data)
        return html


_COUNT_NAMES = {
    "victims",
    "repeat_victims",
    "incidents",
    "offences",
    "crimes",
    "previous",
    "incidents_by_repeat_victims",
    "recent",
    "observed",
}


def _whole_numbers(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    present = values.dropna()
    return bool(len(present)) and bool((present % 1 == 0).all())


def _count_columns(frame: pd.DataFrame) -> list:
    return [
        c
        for c in frame.columns
        if ("count" in str(c).lower() or str(c).lower() in _COUNT_NAMES)
        and _whole_numbers(frame[c])
    ]


def _is_derived(column) -> bool:
    name = str(column).lower()
    return any(k in name for k in ("rate", "share", "pct", "percent", "per_", "change", "harm"))


def load_context(
    params_path: str | os.PathLike | None = None,
    output_dir: str | os.PathLike | None = None,
    chapter: str | None = None,
) -> Context:
    """Build the :class:`Context` for a chapter (see the module docstring)."""
    from csplib.report import install_display_hooks

    path = Path(params_path) if params_path else find_default_params()
    install_display_hooks()
    return Context(
        params=load_params(path),
        output_dir=Path(output_dir) if output_dir else None,
        chapter=chapter,
    )
