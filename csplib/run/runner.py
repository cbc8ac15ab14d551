"""Run the assessment: execute the chapter notebooks and write ``outputs/<year>/``.

For each chapter, :func:`run_assessment` executes ``notebooks/<chapter>.ipynb`` with
papermill in a worker process of its own (:mod:`csplib.run.processes`), injecting the
parameters file's path and the output folder, then writes:

- ``notebooks/<chapter>.ipynb``: the executed notebook;
- ``html/<chapter>.html``: for sharing, without code, self-contained and readable offline;
- ``review/<chapter>.html``: for peer review, with code;
- ``results/<chapter>.json``: the chapter's findings and headline figures (saved by the
  notebook, :mod:`csplib.chapters.result`);
- ``logs/<chapter>.log``: what the notebook's worker and kernel printed;

and ``packs/<theme>.html`` (one theme pack per theme), then ``index.html`` (the contents
page) and ``manifest.json`` (parameters, input checksums, versions, commit, per-chapter status
and timings). Finally every shared file (``index.html``, ``html/``, ``packs/``, ``tables/``)
is scanned for record-level data (crime IDs, coordinates, victim IDs, exact dates, street
locations), and every table of the run is audited together for hidden counts a reader could
narrow below the suppression band by combining tables
(:func:`csplib.present.disclosure.audit_run`, over ``results/*.disclosure.json``): anything
found fails the run.

A failing chapter does not stop the others: its executed notebook and review page are kept
(so the error can be read), the chapters that depend on it are skipped, and the run reports
which chapter and which cell failed. A Ctrl-C stops the run (see :func:`run_assessment`).
The console shows one line per chapter and a summary (:mod:`csplib.run.console`); the whole
log is ``run.log``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from csplib.chapters.registry import CHAPTERS, PACK_NOTEBOOK, Chapter, select_chapters
from csplib.chapters.result import result_path
from csplib.core.errors import CspError
from csplib.core.provenance import csplib_version, git_commit, hash_inputs, package_versions
from csplib.params import Params
from csplib.present.annex import ANNEX_NAME, AnnexInfo, write_annex
from csplib.present.disclosure import (
    audit_run,
    check_shared_outputs,
    find_record_level,
    ledger_path,
)
from csplib.present.glossary import write_glossary
from csplib.present.pages import export_html
from csplib.run.console import Console, duration_text, remaining_seconds
from csplib.run.contents import render_contents
from csplib.run.processes import (
    ChapterProcess,
    StopRequests,
    close_workers,
    previous_seconds,
    stop_all,
)

__all__ = ["ChapterRun", "RunResult", "run_assessment", "SYNTHETIC_BANNER"]

#: Shown on every page built from synthetic data.
SYNTHETIC_BANNER = (
    "Synthetic data: these figures come from a simulated dataset built to demonstrate the "
    "methods. They are not real crime statistics for this area."
)

#: Seconds a chapter is assumed to take when no earlier run in the folder says.
_DEFAULT_SECONDS = 15.0
#: Seconds a stopped worker and its kernel get to exit before they are killed.
_STOP_GRACE = 3.0

_PROJECT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass
class ChapterRun:
    """What happened to one chapter or theme pack."""

    name: str
    title: str
    kind: str = "chapter"  # chapter | pack
    status: str = "pending"  # ok | failed | skipped
    seconds: float = 0.0
    error: str | None = None
    cell: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def status_text(self) -> str:
        if self.status == "ok":
            return f"ok ({self.seconds:.0f} s)"
        if self.status == "failed":
            where = f" in cell {self.cell}" if self.cell is not None else ""
            return f"failed{where}: {self.error}"
        return f"{self.status}: {self.error}" if self.error else self.status

    @property
    def console_status(self) -> str:
        """The status as the console's one line per chapter shows it (first word: status)."""
        if self.status == "failed":
            where = f" in cell {self.cell}" if self.cell is not None else ""
            kind = (self.error or "").split(":", 1)[0]
            return f"failed{where} ({kind}); see logs/{self.name}.log and the review copy"
        if self.status in ("skipped", "interrupted", "not run"):
            word = self.status.replace(" ", "-")
            return f"{word} {self.error}" if self.error else word
        return self.status

    @property
    def short_status(self) -> str:
        """The status for the shared contents page: no error message (it may quote data)."""
        if self.status == "failed":
            where = f" in cell {self.cell}" if self.cell is not None else ""
            kind = (self.error or "").split(":", 1)[0]
            return f"failed{where} ({kind}); see the review copy"
        if self.status == "skipped":
            return "skipped: " + (self.error or "")
        return self.status_text


@dataclass
class RunResult:
    """The outcome of :func:`run_assessment`."""

    out_dir: Path
    chapters: list[ChapterRun]
    packs: list[ChapterRun] = field(default_factory=list)
    sharing_problems: list[str] = field(default_factory=list)
    #: Counts a reader of the whole run could narrow below the suppression band
    #: (:func:`csplib.present.disclosure.audit_run`); any fails the run.
    disclosure_problems: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and not self.sharing_problems
            and not self.disclosure_problems
            and all(c.status == "ok" for c in self.chapters + self.packs)
        )

    @property
    def failed(self) -> list[ChapterRun]:
        return [c for c in self.chapters + self.packs if c.status != "ok"]

    @property
    def finished(self) -> list[ChapterRun]:
        """The chapters and packs that ran to the end (ok or failed)."""
        return [c for c in self.chapters + self.packs if c.status in ("ok", "failed")]

    def summary(self) -> str:
        """One line: how many notebooks ran, how they ended, and how long it took."""
        runs = self.chapters + self.packs
        counts: dict[str, int] = {}
        for run in runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in counts.items())
        how = "Interrupted after" if self.interrupted else "Done in"
        return f"{how} {duration_text(self.seconds)}: {parts} (of {len(runs)} notebooks)."


@dataclass(frozen=True)
class _Job:
    """One notebook execution and where its outputs go (paths relative to the output folder)."""

    name: str
    title: str
    notebook: str
    after: tuple[str, ...]
    extra: dict
    executed: str
    review: str
    html: str
    kind: str = "chapter"


def _chapter_job(ch: Chapter) -> _Job:
    return _Job(
        ch.name,
        ch.title,
        ch.name,
        ch.after,
        {},
        f"notebooks/{ch.name}.ipynb",
        f"review/{ch.name}.html",
        f"html/{ch.name}.html",
    )


def _pack_job(theme_id: str, params: Params) -> _Job:
    theme = params.themes[theme_id]
    for_whom = f" (for the {theme.subgroup})" if theme.subgroup else ""
    return _Job(
        f"pack_{theme_id}",
        f"Theme pack: {theme.name}{for_whom}",
        PACK_NOTEBOOK,
        (),
        {"theme": theme_id},
        f"notebooks/packs/{theme_id}.ipynb",
        f"review/packs/{theme_id}.html",
        f"packs/{theme_id}.html",
        kind="pack",
    )


def run_assessment(
    params: Params,
    *,
    out_dir: str | Path | None = None,
    chapters: list[str] | None = None,
    packs: list[str] | None = None,
    jobs: int = 1,
    notebooks_dir: str | Path | None = None,
    progress: str | Callable[[str], None] | None = "console",
) -> RunResult:
    """Execute the chapters and write the assessment's outputs.

    Each chapter runs in a worker process of its own (:mod:`csplib.run.worker`) whose output
    goes to ``logs/<chapter>.log``; everything the run says goes to ``run.log``. A Ctrl-C
    (SIGINT) stops the run within seconds: the running chapters' workers and kernels are
    stopped, the contents page and the manifest say the run was interrupted and which
    chapters finished, and the result has ``interrupted`` set (``csp`` then exits 130). A
    second Ctrl-C stops everything at once.

    Parameters
    ----------
    params : Params
        Validated parameters (see :func:`csplib.params.load_params`).
    out_dir : path-like, optional
        Where to write; default ``params.year_dir`` (``outputs/<year>``).
    chapters : list of str, optional
        Chapter names to run (default: all). Dependencies not selected are not run.
    packs : list of str, optional
        Theme ids whose packs to run (``packs/<theme>.html``); default: every theme in the
        parameters when all chapters run, none when ``chapters`` is given.
    jobs : int
        How many independent chapters to execute at once.
    notebooks_dir : path-like, optional
        Folder holding the chapter notebooks (default: the project's ``notebooks/``).
    progress : "console", callable or None
        ``"console"``: one line per chapter and a summary on standard error, with a progress
        line on a terminal (:class:`csplib.run.console.Console`); a callable: called with
        one line per event (``"01_volume: running"``, ``"01_volume: ok (3 s)"``); None:
        nothing. The log file is written in every case.

    Returns
    -------
    RunResult
    """
    if jobs < 1:
        raise ValueError("jobs must be a positive integer")
    out = Path(out_dir) if out_dir is not None else params.year_dir
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else _PROJECT_NOTEBOOKS
    if packs is None:
        packs = list(params.themes) if chapters is None else []
    unknown = [t for t in packs if t not in params.themes]
    if unknown:
        raise CspError(
            f"unknown theme {unknown[0]!r}; the parameters define: "
            f"{', '.join(params.themes) or 'no themes'}"
        )
    todo = [_chapter_job(c) for c in select_chapters(chapters)]
    todo += [_pack_job(t, params) for t in packs]
    if set(packs) == set(params.themes):  # a full set of packs: none left from old themes
        for stale in (out / "packs").glob("*.html"):
            if stale.stem not in params.themes:
                stale.unlink()
    for sub in ("notebooks", "html", "review", "tables", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    estimates = previous_seconds(out)
    console = Console(
        sys.stderr if progress == "console" else io.StringIO(),
        log=out / "run.log",
        total=len(todo),
        interactive=None if progress == "console" else False,
    )

    def say(text: str) -> None:
        if callable(progress):
            progress(text)
            console.log(text)
        else:
            console.say(text)

    def event(text: str) -> None:
        if callable(progress):
            progress(text)
        console.log(text)

    started = dt.datetime.now(dt.UTC)
    console.log(
        f"csp assess: {params.source_file} -> {out} ({len(todo)} notebooks, {jobs} at once)"
    )
    banner = SYNTHETIC_BANNER if params.data.synthetic else None
    runs = {j.name: ChapterRun(j.name, j.title, kind=j.kind) for j in todo}
    base = {"params_path": str(params.source_file), "output_dir": str(out.resolve())}

    def finish(job: _Job, result: dict) -> None:
        run = runs[job.name]
        run.status, run.seconds = result["status"], round(result["seconds"], 2)
        run.cell, run.error = result["cell"], result["error"]
        executed = out / job.executed
        if executed.exists():
            run.outputs["notebook"] = job.executed
            # the review copy always (it shows any error); the shared copy only on success
            pages = {"review": job.review, **({"html": job.html} if run.status == "ok" else {})}
            for kind, rel in pages.items():
                try:
                    export_html(
                        executed,
                        out / rel,
                        with_code=kind == "review",
                        title=job.title,
                        banner=banner,
                        home="../" * rel.count("/") + "index.html",
                        heading=job.title if job.kind == "pack" else None,
                        glossary="../" * rel.count("/") + "html/glossary.html",
                    )
                except Exception as exc:  # a damaged notebook: the chapter fails, not the run
                    (out / job.html).unlink(missing_ok=True)
                    run.outputs.pop("html", None)
                    run.status, run.cell = "failed", None
                    run.error = f"HTML export failed: {type(exc).__name__}: {exc}"
                    break
                run.outputs[kind] = rel
        event(f"{job.name}: {run.status_text}")
        console.log_file(out / "logs" / f"{job.name}.log", job.name)
        if not callable(progress):
            console.finished(job.name, run.console_status, run.seconds)

    def skip(job: _Job, why: str) -> None:
        runs[job.name].status, runs[job.name].error = "skipped", why
        event(f"{job.name}: {runs[job.name].status_text}")
        if not callable(progress):
            console.finished(job.name, runs[job.name].console_status, 0.0)

    try:
        data_notes = _warm_store(params, say)
    except CspError as exc:  # the run stops before any chapter; the log says why
        console.log(f"stopped: {exc}")
        console.close()
        raise
    for job in todo:  # no output of an earlier run is left beside this run's
        _clear_outputs(out, job)
    pending = list(todo)
    running: dict[str, ChapterProcess] = {}
    idle: list = []  # workers waiting for a notebook (each runs many, one at a time)

    def force() -> None:  # a second Ctrl-C: stop everything now
        stop_all(list(running.values()), grace=0)
        close_workers(idle, grace=0)
        os._exit(130)

    with tempfile.TemporaryDirectory(prefix="csp-run-") as scratch, StopRequests(force) as stop:
        while (pending or running) and not stop.requested:
            for job in list(pending):
                blockers = [d for d in job.after if d in runs and runs[d].status != "ok"]
                if any(runs[d].status in ("failed", "skipped") for d in blockers):
                    pending.remove(job)
                    bad = [d for d in blockers if runs[d].status != "pending"]
                    skip(job, f"needs {', '.join(bad)}, which did not succeed")
                    continue
                if blockers or len(running) >= jobs:
                    continue
                pending.remove(job)
                event(f"{job.name}: running")
                (out / job.executed).parent.mkdir(parents=True, exist_ok=True)
                running[job.name] = ChapterProcess.start(
                    job,
                    notebook=nb_dir / f"{job.notebook}.ipynb",
                    output=out / job.executed,
                    parameters={**base, **job.extra},
                    cwd=nb_dir,
                    scratch=Path(scratch),
                    log=out / "logs" / f"{job.name}.log",
                    slot=idle.pop() if idle else None,
                )
            done = [w for w in running.values() if w.finished()]
            for worker in done:
                finish(worker.job, worker.result())
                del running[worker.job.name]
                if worker.proc.poll() is None:
                    idle.append(worker.proc)
            now = time.monotonic()
            console.progress(
                list(running),
                remaining_seconds(
                    {j.name: estimates.get(j.name, _DEFAULT_SECONDS) for j in pending},
                    running={n: now - w.started for n, w in running.items()},
                    estimates={n: estimates.get(n, _DEFAULT_SECONDS) for n in running},
                    jobs=jobs,
                ),
            )
            if not done:
                time.sleep(0.2)
        if stop.requested:
            say(f"Interrupted: stopping {len(running)} running notebook(s)...")
            for name, w in list(running.items()):
                if w.finished():  # it had finished: keep what it did
                    finish(w.job, w.result())
                    del running[name]
                    if w.proc.poll() is None:
                        idle.append(w.proc)
            stop_all(list(running.values()), grace=_STOP_GRACE)
            for name, w in list(running.items()):
                runs[name].status = "interrupted"
                runs[name].seconds = round(time.monotonic() - w.started, 2)
                runs[name].error = "the run was interrupted while it ran"
                del running[name]
            for run in runs.values():
                if run.status == "pending":
                    run.status = "not run"
                    run.error = "the run was interrupted before it started"
        close_workers(idle)
        idle.clear()
        result = RunResult(
            out,
            [runs[c.name] for c in CHAPTERS if c.name in runs],
            [runs[j.name] for j in todo if j.kind == "pack"],
            interrupted=stop.requested,
        )
        _finish_run(params, result, started, say, data_notes)
        result.interrupted = result.interrupted or stop.requested
    console.log(result.summary())
    console.close()
    return result


def _finish_run(
    params: Params, result: RunResult, started: dt.datetime, say, data_notes: list[str]
) -> None:
    """The contents page, the check of what is shared, and the manifest (a Ctrl-C here is
    only noted: these few seconds of writing are finished, so they are never half done)."""
    out = result.out_dir
    _write_annex(params, result, started, say, data_notes)
    write_glossary(out)
    banner = SYNTHETIC_BANNER if params.data.synthetic else None
    _write_atomically(
        out / "index.html", render_contents(params, result, started, data_notes, banner)
    )
    # shared outputs must hold aggregates only: a record-level value fails the run
    problems = check_shared_outputs(out)
    for page in sorted((out / "review").rglob("*.html")):
        problems += find_record_level(page)
    result.sharing_problems = [str(p) for p in problems]
    for problem in result.sharing_problems:
        say(f"record-level data in a shared output: {problem}")
    # every table of the run together: no hidden count narrowed below the band
    try:
        exposed = [str(e) for e in audit_run(out)]
    except CspError as exc:
        exposed = [f"the disclosure audit could not run: {exc}"]
    for problem in exposed:
        say(f"disclosure audit across the run's tables: {problem}")
    result.disclosure_problems = exposed
    result.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    _write_manifest(params, result, started)


def _write_annex(
    params: Params, result: RunResult, started: dt.datetime, say, data_notes: list[str]
) -> None:
    """``annex.xlsx`` from the chapters and packs that finished (:func:`write_annex`); a
    problem with it is said and the run goes on (the CSVs hold the same tables)."""
    (result.out_dir / ANNEX_NAME).unlink(missing_ok=True)
    done = [run.name for run in result.finished if run.status == "ok"]
    if not done:
        return
    info = AnnexInfo.from_params(
        params,
        created=started,
        version=csplib_version(),
        commit=git_commit(params.root),
        data_notes=data_notes,
    )
    try:
        annex = write_annex(result.out_dir, info, chapters=done)
    except CspError as exc:
        say(f"data annex not written: {exc}")
        return
    for why in annex.skipped:
        say(f"data annex: left out {why}")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place, so that
    a reader (or an interrupted run) never finds half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _clear_outputs(out: Path, job: _Job) -> None:
    """Remove a job's outputs from an earlier run, so none is left if this run fails."""
    for rel in (job.executed, job.review, job.html):
        (out / rel).unlink(missing_ok=True)
    for table in (out / "tables").glob(f"{job.name}__*.csv"):
        table.unlink()
    result_path(out, job.name).unlink(missing_ok=True)
    ledger_path(out, job.name).unlink(missing_ok=True)


def _warm_store(params: Params, say: Callable[[str], None]) -> list[str]:
    """Read and cache the data once before the chapters start, so parallel chapters find the
    parquet cache ready, and check the periods against them. A user's mistake in the data or
    parameters stops the run here: so does an assessed period with no data in the area
    (:func:`csplib.ingest.store.check_periods`). Returns the notes on a baseline or
    comparison period without data, each said (so in ``run.log``) as well."""
    from csplib.ingest.store import check_periods, load_store
    from csplib.run.context import ensure_data

    say("reading the data")
    try:
        ensure_data(params)
        store = load_store(params)
    except CspError:
        raise  # a user's mistake (a bad file, an unknown area): one clear line, exit 2
    except Exception as exc:  # the chapters will fail and report it with their cell
        say(f"reading the data failed: {type(exc).__name__}: {exc}")
        return []
    notes = check_periods(store, params)  # an assessed period without data: exit 2
    for note in notes:
        say(note)
    return notes


def _write_manifest(params: Params, result: RunResult, started: dt.datetime) -> None:
    d = params.data
    inputs = [*d.police_uk, d.reference_dir, params.source_file, *params.harm_files()]
    if d.synthetic is not None:
        inputs.append(d.synthetic.calibration_dir / "police_uk")
    inputs += [*d.partner_extract, *([d.indicators] if d.indicators else [])]
    manifest = {
        "csplib_version": csplib_version(),
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "parameters_file": str(params.source_file),
        "parameters": params.model_dump(mode="json"),
        "inputs_sha256": hash_inputs(inputs, root=params.root),
        "git": git_commit(params.root),
        "packages": package_versions(),
        "chapters": [asdict(c) for c in result.chapters],
        "packs": [asdict(c) for c in result.packs],
        "sharing_problems": result.sharing_problems,
        "disclosure_problems": result.disclosure_problems,
        "interrupted": result.interrupted,
        "seconds": round(result.seconds, 1),
        "ok": result.ok,
    }
    _write_atomically(
        result.out_dir / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n"
    )
