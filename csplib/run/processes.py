"""Chapter processes, as the runner sees them: started in a session of their own, stopped
together with their kernels.

Each chapter runs in a worker (``python -m csplib.run.worker``, :mod:`csplib.run.worker`)
started in a new session, so a Ctrl-C at the terminal reaches the runner alone; the runner
then stops each worker and every process under it (its kernel) with
:meth:`ChapterProcess.stop`, so that none is left running.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = ["ChapterProcess", "previous_seconds"]


@dataclass
class ChapterProcess:
    """A chapter running in a worker process (:mod:`csplib.run.worker`) of its own session,
    so that a Ctrl-C at the terminal reaches the runner only."""

    job: object  # the runner's job: its name, title and output paths
    proc: subprocess.Popen
    result_file: Path
    started: float

    @classmethod
    def start(cls, job, *, notebook, output, parameters, cwd, scratch: Path, log: Path):
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
        with open(log, "w", encoding="utf-8") as log_stream:
            proc = subprocess.Popen(
                [sys.executable, "-m", "csplib.run.worker", str(request), str(result_file)],
                stdin=subprocess.DEVNULL,
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(job, proc, result_file, time.monotonic())

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

    def stop(self, grace: float) -> None:
        """Stop the worker and every process it started (its kernel), waiting ``grace``
        seconds for them to exit before killing them."""
        try:
            procs = [psutil.Process(self.proc.pid)]
            procs += procs[0].children(recursive=True)
        except psutil.NoSuchProcess:
            return
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
        self.proc.wait()


def previous_seconds(out: Path) -> dict[str, float]:
    """Each notebook's seconds in the folder's previous run (its manifest), to estimate
    the time left; empty when there is none."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        runs = manifest.get("chapters", []) + manifest.get("packs", [])
        return {r["name"]: float(r["seconds"]) for r in runs if r.get("status") == "ok"}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
