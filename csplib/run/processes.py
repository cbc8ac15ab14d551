"""Chapter processes, as the runner sees them: started in a session of their own, stopped
together with their kernels.

Each chapter runs in a worker (``python -m csplib.run.worker``, :mod:`csplib.run.worker`)
started in a new session, so a Ctrl-C at the terminal reaches the runner alone; the runner
then stops each worker and every process under it (its kernel) with
:func:`stop_all`, so that none is left running.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = [
    "ChapterProcess",
    "StopRequests",
    "close_workers",
    "previous_seconds",
    "start_worker",
    "stop_all",
]


@dataclass
class ChapterProcess:
    """A chapter running in a worker process (:mod:`csplib.run.worker`) of its own session,
    so that a Ctrl-C at the terminal reaches the runner only."""

    job: object  # the runner's job: its name, title and output paths
    proc: subprocess.Popen
    result_file: Path
    started: float

    @classmethod
    def start(cls, job, *, notebook, output, parameters, cwd, scratch: Path, log: Path, slot=None):
        """Send ``job`` to the worker ``slot`` (a :func:`start_worker` process that is idle),
        or to a new worker when it is None or has died."""
        request = scratch / f"{job.name}.request.json"
        request.write_text(
            json.dumps(
                {
                    "notebook": str(notebook),
                    "output": str(output),
                    "parameters": parameters,
                    "cwd": str(cwd),
                }
            ),
            encoding="utf-8",
        )
        result_file = scratch / f"{job.name}.result.json"
        log.write_text("", encoding="utf-8")
        if slot is None or slot.poll() is not None:
            slot = start_worker()
        command = {"request": str(request), "result": str(result_file), "log": str(log)}
        slot.stdin.write(json.dumps(command) + "\n")
        slot.stdin.flush()
        return cls(job, slot, result_file, time.monotonic())

    def finished(self) -> bool:
        """Whether the notebook has run (its result is written) or its worker died."""
        return self.result_file.exists() or self.proc.poll() is not None

    def result(self) -> dict:
        """The worker's result, or a failure saying how the worker ended without one."""
        try:
            return json.loads(self.result_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {
                "status": "failed",
                "seconds": time.monotonic() - self.started,
                "cell": None,
                "error": f"WorkerError: the worker stopped (exit status {self.proc.returncode}) "
                "without a result",
            }


def start_worker() -> subprocess.Popen:
    """A worker (:func:`csplib.run.worker.serve`) in a session of its own, waiting for
    notebooks on its standard input; close that to let it exit."""
    return subprocess.Popen(
        [sys.executable, "-m", "csplib.run.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def close_workers(slots, grace: float = 10.0) -> None:
    """Let idle workers exit (their input closed), killing any that do not within ``grace``."""
    for slot in slots:
        if slot.stdin and not slot.stdin.closed:
            slot.stdin.close()
    for slot in slots:
        try:
            slot.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            stop_all([_Idle(slot)], grace=0)


@dataclass
class _Idle:
    proc: subprocess.Popen


def stop_all(workers, grace: float) -> None:
    """Stop workers and every process each started (its kernel) together: SIGTERM to all,
    up to ``grace`` seconds for them to exit, then SIGKILL (at once when ``grace`` is 0).
    A worker that has already exited is left alone (its process id may be another
    process's by now)."""
    procs = []
    for worker in workers:
        if worker.proc.poll() is not None:
            continue
        try:
            top = psutil.Process(worker.proc.pid)
            procs += [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    for proc in procs:
        try:
            proc.send_signal(signal.SIGTERM if grace > 0 else signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace if grace > 0 else 1)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=1)
    for worker in workers:
        worker.proc.wait()


def previous_seconds(out: Path) -> dict[str, float]:
    """Each notebook's seconds in the folder's previous run (its manifest), to estimate
    the time left; empty when there is none."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        runs = manifest.get("chapters", []) + manifest.get("packs", [])
        return {r["name"]: float(r["seconds"]) for r in runs if r.get("status") == "ok"}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


class StopRequests:
    """Signals that ask a run to stop, while the ``with`` block lasts.

    Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal closed) only set :attr:`requested`;
    the run checks it between steps, so that it stops its chapters itself and still writes
    its contents page and manifest. A second signal calls ``force`` (stop everything now).
    The previous handlers are restored on leaving. Outside the main thread (a run inside a
    thread pool) no handler can be set, and the run stops only when its process does.

    Examples
    --------
    >>> import os
    >>> with StopRequests(force=lambda: None) as stop:
    ...     os.kill(os.getpid(), signal.SIGTERM)
    ...     stop.requested
    True
    """

    SIGNALS = tuple(
        s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s
    )

    def __init__(self, force):
        self.force = force
        self.count = 0
        self._previous: dict = {}

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.count > 0

    def _handle(self, _signum, _frame) -> None:
        self.count += 1
        if self.count > 1:
            self.force()

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():  # only it may set handlers
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *_exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
