"""Notebooks executed in a process outside the terminal's reach: ``python -m csplib.run.worker``.

The runner (:mod:`csplib.run.runner`, :mod:`csplib.run.processes`) starts up to ``--jobs``
workers, each in a session of its own, and sends each notebook to an idle one
(:func:`serve`); while a notebook runs, the worker's output (papermill's and the kernel's)
goes to the chapter's log file in the output folder. So a Ctrl-C at the terminal reaches
the runner alone, which stops the workers and their kernels itself, and the console shows
only what the runner says.

A request is a JSON file ``{"notebook", "output", "parameters", "cwd"}``; the worker writes
the result (JSON: ``status``, ``seconds``, ``cell``, ``error``) when the notebook has run or
failed.

The kernel talks to papermill over local IPC sockets (files only this user can open), not
TCP, so ipykernel has nothing to warn about: its "running over TCP without encryption"
warning is silenced at its source, not filtered from the output.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, default

__all__ = ["IPCKernelManager", "execute", "serve"]


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on IPC sockets rather than TCP ports.

    The sockets are files named ``<folder>/kernel-<n>``, in a folder of this worker's own
    (:data:`SOCKET_FOLDER`), so kernels of chapters running side by side never share one.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _socket_prefix(self) -> str:
        return str(Path(SOCKET_FOLDER or tempfile.gettempdir()) / "kernel")


#: The folder of this worker's kernel sockets (set by :func:`main`).
SOCKET_FOLDER: str | None = None


def execute(notebook: str, output: str, parameters: dict, cwd: str) -> dict:
    """Execute one notebook with papermill; return status, seconds and failure details.

    A failing cell is reported with its number (counted from 1) and the error; any other
    failure (kernel death, bad notebook JSON) with its type and message.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=cwd,
            kernel_manager_class=IPCKernelManager,
        )
    except PapermillExecutionError as exc:
        return {
            "status": "failed",
            "seconds": time.perf_counter() - start,
            "cell": exc.cell_index + 1,
            "error": f"{exc.ename}: {exc.evalue}".strip(),
        }
    except Exception as exc:  # kernel death, bad notebook JSON: report, do not crash the run
        return {
            "status": "failed",
            "seconds": time.perf_counter() - start,
            "cell": None,
            "error": f"{type(exc).__name__}: {exc}",
        }
    return {"status": "ok", "seconds": time.perf_counter() - start, "cell": None, "error": None}


def _stop(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds papermill, which shuts its kernel down


def _watch_parent(parent: int) -> None:
    """Stop this worker (as the runner would) if the runner is gone: killed, or its terminal
    closed. The worker is in a session of its own, so nothing else would tell it."""

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="watch-runner").start()


def serve(commands=None) -> int:
    """Execute notebooks one after another, as the runner asks, until it closes the pipe.

    Each line read is a JSON command ``{"request", "result", "log"}``: the request file (see
    the module docstring), where to write the result, and the chapter's log file, which
    becomes this process's standard output and error (and so its kernel's) while the
    notebook runs. One worker serves many notebooks, so Python and papermill start once per
    worker, not once per chapter.
    """
    global SOCKET_FOLDER
    signal.signal(signal.SIGTERM, _stop)
    _watch_parent(os.getppid())
    SOCKET_FOLDER = tempfile.mkdtemp(prefix="csp-kernel-")
    try:
        for line in commands if commands is not None else sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            with open(command["log"], "a", encoding="utf-8") as log:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
            request = json.loads(Path(command["request"]).read_text(encoding="utf-8"))
            result = execute(
                request["notebook"], request["output"], request["parameters"], request["cwd"]
            )
            sys.stdout.flush()
            sys.stderr.flush()
            target = Path(command["result"])
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(result), encoding="utf-8")
            tmp.replace(target)
    finally:
        shutil.rmtree(SOCKET_FOLDER, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
