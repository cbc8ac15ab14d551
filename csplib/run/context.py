"""What a chapter notebook works with: its parameters, its data and where its tables go.

A chapter's first code cell after the parameters is::

    ctx = csplib.load_context(params_path, output_dir, chapter="01_volume")

``params_path`` and ``output_dir`` are injected by ``csp assess``; when a notebook is opened
by hand they are ``None`` and the context falls back to ``$CSP_PARAMS`` or
``parameters/default.yaml`` and writes nothing.

Data are loaded on first use and cached (see :mod:`csplib.ingest.store`), so every chapter reads the
same tidy tables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from csplib.chapters.result import ChapterResult, Table, load_result
from csplib.params import Params, find_default_params, load_params

__all__ = ["Context", "ensure_data", "load_context"]


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
        """The tidy store: incidents, quality report and geography
        (:mod:`csplib.ingest.store`)."""
        from csplib.ingest.store import load_store

        ensure_data(self.params)
        return load_store(self.params)

    @property
    def incidents(self) -> pd.DataFrame:
        """Incidents in the area, one row each (see :mod:`csplib.core.schema`)."""
        return self.store.incidents

    @property
    def quality(self):
        """The ingest quality report."""
        return self.store.quality

    @property
    def geography(self):
        """The area's geography: LSOAs, wards, population, deprivation, boundaries."""
        return self.store.geography

    def protect(self, table: Table) -> tuple[pd.DataFrame, str | None]:
        """``table`` as it may be shared, and a note when anything was hidden
        (:func:`csplib.present.disclosure.protect`, with this assessment's thresholds)."""
        from csplib.present.disclosure import protect

        return protect(
            table,
            threshold=self.params.thresholds.suppress_below,
            suppress_zeros=self.params.thresholds.suppress_zeros,
        )

    def save_table(self, table: Table) -> Path | None:
        """Write ``table``, small counts suppressed, to the data annex
        ``tables/<chapter>__<name>.csv`` (shared, like the HTML).

        Returns the path written, or ``None`` in interactive use.
        """
        return self._write(self.protect(table)[0], table.name)

    def show(self, table: Table):
        """Show ``table`` safely (its caption over it) and save it to the data annex.

        Small counts are suppressed as the table declares (its count columns, the columns
        derived from them and its totals; :func:`csplib.present.disclosure.protect`); the
        annex gets the same suppressed table, and a note under the table says what was hidden.
        """
        from csplib.present.disclosure import safe_formats
        from csplib.present.html import paragraph
        from csplib.present.html import table as table_html

        shown, note = self.protect(table)
        self._write(shown, table.name)
        formats = safe_formats(table.formats) if table.formats else None
        html = table_html(shown, caption=table.caption or None, formats=formats)
        if note:
            from IPython.display import HTML

            return HTML(html.data + paragraph(note).data)
        return html

    def finish(self, result: ChapterResult) -> None:
        """Save the chapter's result (``results/<chapter>.json``) for the summary, the
        contents page and next year's run; nothing in interactive use. Returns None, so the
        notebook cell that calls it shows nothing (no server path on a shared page)."""
        if self.output_dir is not None:
            result.save(self.output_dir)

    def saved_result(self, chapter: str) -> ChapterResult | None:
        """Another chapter's saved result in this run's folder, or None when there is none
        (interactive use, or the chapter did not run)."""
        if self.output_dir is None:
            return None
        return load_result(self.output_dir, chapter)

    def _write(self, frame: pd.DataFrame, name: str) -> Path | None:
        if self.output_dir is None:
            return None
        folder = Path(self.output_dir) / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chapter or 'table'}__{name}.csv"
        frame.to_csv(path, index=not isinstance(frame.index, pd.RangeIndex))
        return path


def ensure_data(params: Params) -> None:
    """Generate the synthetic dataset a parameters file names, if it is not there yet.

    Validating parameters writes nothing; the data a run reads are made here, once, before
    the store is loaded (:func:`csplib.synth.ensure_generated` reuses a folder that holds
    the same seed, generator version and area). The data are for the parameters' own area
    (``area.la_codes``, ``area.csp_code``): Nottingham's authority keeps the calibrated
    dataset, any other partnership gets the modelled one.
    """
    spec = params.data.synthetic
    if spec is not None:
        from csplib.ingest.geography import Geography
        from csplib.synth import ensure_generated

        area = Geography(
            params.data.reference_dir,
            la_codes=list(params.area.la_codes),
            csp_code=params.area.csp_code,
            name=params.area.name,
        )
        ensure_generated(spec.seed, spec.dir, data_dir=spec.calibration_dir, area=area)


def load_context(
    params_path: str | os.PathLike | None = None,
    output_dir: str | os.PathLike | None = None,
    chapter: str | None = None,
) -> Context:
    """Build the :class:`Context` for a chapter (see the module docstring)."""
    from csplib.present.html import install_display_hooks

    path = Path(params_path) if params_path else find_default_params()
    install_display_hooks()
    return Context(
        params=load_params(path),
        output_dir=Path(output_dir) if output_dir else None,
        chapter=chapter,
    )
