"""What the data annex's cover sheet says, and the workbook's fixed properties.

:class:`AnnexInfo` is built from the run's parameters (:meth:`AnnexInfo.from_params`, what
``csp assess`` passes to :func:`csplib.present.annex.write_annex`) or from a finished run
folder's ``manifest.json`` (:meth:`AnnexInfo.from_manifest`, to build a run's annex again).
Its date is the run's start, never the clock, so the same run gives the same workbook.

Examples
--------
>>> info = AnnexInfo("Testshire", "Strategic Assessment 2025", "2024/25",
...                  dt.datetime(2025, 6, 1, 9, 30), {"01_volume": "Volume"})
>>> info.title_line, info.author
('Testshire Strategic Assessment 2025: data annex', 'csplib')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csplib.chapters.registry import CHAPTERS
from csplib.core.errors import CspError

__all__ = ["AUTHOR", "AnnexInfo"]

#: The workbook's author and last-modified-by property (fixed, so the bytes are too).
AUTHOR = "csplib"
_DEFAULT_CONTACT = (
    "The community safety partnership's analysts, who ran this assessment, answer questions "
    "about these tables. The contents page of the assessment (index.html) lists its chapters.",
)


@dataclass(frozen=True)
class AnnexInfo:
    """What the cover sheet says and the fixed properties of the workbook.

    Build it from the run's parameters (:meth:`from_params`, what ``csp assess`` does) or
    from a finished run folder's ``manifest.json`` (:meth:`from_manifest`).

    Parameters
    ----------
    area : str
        The partnership area's name.
    title : str
        The assessment's title, with its year.
    period : str
        The assessed period, in words.
    created : datetime
        When the run started (UTC; naive times are taken as UTC): the workbook's created and
        modified dates.
    chapters : mapping of str to str
        Chapter or pack name -> its title, in reading order.
    threshold : int
        Counts below this (1 to ``threshold - 1``) are suppressed.
    suppress_zeros : bool
        Zeros are suppressed too.
    source : tuple of str
        Where the data come from, one line each.
    provenance : tuple of str
        How the tables were produced (version, commit, parameters, date), one line each.
    synthetic : bool
        The run is on synthetic data (said on the cover and in a note).
    data_notes : tuple of str
        Notes on the run's data as a whole (a baseline period without data...).
    contact : tuple of str
        Who to contact, one line each.
    author : str
        The workbook's author property.

    Examples
    --------
    >>> info = AnnexInfo("Testshire", "Strategic Assessment 2025", "2024/25",
    ...                  dt.datetime(2025, 6, 1, 9, 30), {"01_volume": "Volume"})
    >>> info.created.isoformat(), info.title_line
    ('2025-06-01T09:30:00', 'Testshire Strategic Assessment 2025: data annex')
    """

    area: str
    title: str
    period: str
    created: dt.datetime
    chapters: Mapping[str, str] = field(default_factory=dict)
    threshold: int = 5
    suppress_zeros: bool = False
    source: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    synthetic: bool = False
    data_notes: tuple[str, ...] = ()
    contact: tuple[str, ...] = _DEFAULT_CONTACT
    author: str = AUTHOR

    def __post_init__(self):
        if not isinstance(self.created, dt.datetime):
            raise TypeError(f"annex: created must be a datetime, got {self.created!r}")
        created = self.created
        if created.tzinfo is not None:
            created = created.astimezone(dt.UTC).replace(tzinfo=None)
        object.__setattr__(self, "created", created.replace(microsecond=0))
        if int(self.threshold) < 1:
            raise ValueError(f"annex: threshold must be at least 1, got {self.threshold}")
        object.__setattr__(self, "chapters", dict(self.chapters))
        for name in ("source", "provenance", "data_notes", "contact"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def title_line(self) -> str:
        """The workbook's title: area, assessment and "data annex"."""
        return f"{self.area} {self.title}: data annex"

    @classmethod
    def from_parameters(
        cls,
        parameters: Mapping[str, Any],
        *,
        created: dt.datetime,
        version: str | None = None,
        commit: Mapping[str, Any] | None = None,
        data_notes: Sequence[str] = (),
    ) -> AnnexInfo:
        """From the parameters as saved (``Params.model_dump(mode="json")``, the
        ``parameters`` of ``manifest.json``).

        Raises
        ------
        CspError
            When a key the cover needs is missing.
        """
        try:
            area = parameters["area"]["name"]
            a = parameters["assessment"]
            period = a["period"]
            title = f"{a['title']} {a['year']}"
            thresholds = parameters.get("thresholds") or {}
            data = parameters.get("data") or {}
            themes = parameters.get("themes") or {}
        except (KeyError, TypeError) as exc:
            raise CspError(f"annex: the parameters have no {exc} (area.name, assessment)") from None
        start, end = pd.Timestamp(period["start"]), pd.Timestamp(period["end"])
        chapters = {c.name: c.title for c in CHAPTERS}
        for theme_id, theme in themes.items():
            sub = f" (for the {theme['subgroup']})" if theme.get("subgroup") else ""
            chapters[f"pack_{theme_id}"] = f"Theme pack: {theme['name']}{sub}"
        synthetic = data.get("synthetic")
        if synthetic:
            source = [
                f"Synthetic data made by csplib from a fixed seed ({synthetic.get('seed')}), "
                "calibrated to police.uk data: not real crime statistics for this area."
            ]
        else:
            source = [
                "Police-recorded crime and anti-social behaviour: police.uk street-level data "
                "(Home Office; Open Government Licence v3.0)."
            ]
            if data.get("partner_extract"):
                source.append("The police force's extract of recorded crimes for the partnership.")
            if data.get("indicators"):
                source.append("The partnership's indicators file (surveys, services).")
        source.append(
            "Reference data: ONS population estimates and geography lookups, the Indices of "
            "Deprivation and the ONS Crime Severity Score weights (Open Government Licence v3.0)."
        )
        provenance = [f"Produced by csplib {version or 'of unknown version'}"]
        if commit and commit.get("commit"):
            dirty = " with uncommitted changes" if commit.get("dirty") else ""
            provenance[0] += f", commit {str(commit['commit'])[:12]}{dirty}"
        provenance[0] += "."
        source_file = parameters.get("source_file")
        if source_file:
            provenance.append(f"Parameters file: {Path(str(source_file)).name}.")
        created_utc = cls._utc(created)
        provenance.append(f"Run started {created_utc:%d %B %Y at %H:%M} UTC.")
        return cls(
            area=area,
            title=title,
            period=f"{period.get('label', '')} ({start:%B %Y} to {end:%B %Y})".strip(),
            created=created_utc,
            chapters=chapters,
            threshold=int(thresholds.get("suppress_below", 5)),
            suppress_zeros=bool(thresholds.get("suppress_zeros", False)),
            source=tuple(source),
            provenance=tuple(provenance),
            synthetic=bool(synthetic),
            data_notes=tuple(data_notes),
        )

    @classmethod
    def from_params(
        cls,
        params,
        *,
        created: dt.datetime,
        version: str | None = None,
        commit: Mapping[str, Any] | None = None,
        data_notes: Sequence[str] = (),
    ) -> AnnexInfo:
        """From a run's :class:`~csplib.params.Params` (what ``csp assess`` passes)."""
        return cls.from_parameters(
            params.model_dump(mode="json"),
            created=created,
            version=version,
            commit=commit,
            data_notes=data_notes,
        )

    @classmethod
    def from_manifest(cls, run_dir: str | Path) -> AnnexInfo:
        """From a finished run folder's ``manifest.json`` (its parameters, start, csplib
        version and commit), to build the annex of a run again.

        Raises
        ------
        CspError
            When the folder has no readable manifest.
        """
        import json

        path = Path(run_dir) / "manifest.json"
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            started = dt.datetime.fromisoformat(manifest["started"])
            parameters = manifest["parameters"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CspError(f"{path}: not a run's manifest ({type(exc).__name__}: {exc})") from None
        return cls.from_parameters(
            parameters,
            created=started,
            version=manifest.get("csplib_version"),
            commit=manifest.get("git"),
        )

    @staticmethod
    def _utc(when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None:
            return when
        return when.astimezone(dt.UTC).replace(tzinfo=None)
