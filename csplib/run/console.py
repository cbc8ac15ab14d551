"""What ``csp assess`` says while it runs: one line per chapter, a progress line, a summary.

:class:`Console` writes every line to the run's log file (``run.log`` in the output folder)
with the time, and the lines a person needs to the terminal: one line per chapter as it
finishes (name, status, seconds) and a final summary. On a terminal it also keeps one
progress line up to date (chapters done out of the total, which are running, and the time
left); when the output is not a terminal (a pipe, a CI log) it prints plain lines only.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> con = Console(stream=out, total=2)
>>> con.finished("01_volume", "ok", 12.3)
>>> con.finished("02_threat", "failed in cell 4 (KeyError)", 3.0)
>>> print(out.getvalue(), end="")
  ok      01_volume                     12 s
  failed  02_threat                      3 s  in cell 4 (KeyError)
>>> remaining_seconds({"a": 10.0, "b": 20.0}, running={"c": 5.0}, estimates={"c": 15.0}, jobs=2)
20.0
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

__all__ = ["Console", "remaining_seconds", "duration_text"]


def duration_text(seconds: float) -> str:
    """A duration as a person says it.

    Examples
    --------
    >>> duration_text(8), duration_text(75), duration_text(3600)
    ('8 s', '1 min 15 s', '60 min 0 s')
    """
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s"


def remaining_seconds(
    pending: Mapping[str, float],
    *,
    running: Mapping[str, float],
    estimates: Mapping[str, float],
    jobs: int,
) -> float:
    """Seconds left: the estimated time of the chapters not started, plus what is left of
    those running, shared over ``jobs`` at a time.

    Parameters
    ----------
    pending : mapping
        Chapters not started -> their estimated seconds.
    running : mapping
        Chapters running -> seconds they have run so far.
    estimates : mapping
        Estimated seconds of each running chapter.
    jobs : int
        Chapters run at once.
    """
    left = sum(pending.values())
    left += sum(max(estimates.get(name, 0.0) - ran, 0.0) for name, ran in running.items())
    return left / max(jobs, 1)


class Console:
    """The run's console and log (see the module docstring).

    Parameters
    ----------
    stream : text stream, optional
        Where a person reads (default ``sys.stderr``).
    log : path, optional
        The run's log file; every line goes there, with the time.
    total : int
        Chapters and packs to run.
    interactive : bool, optional
        Keep a progress line up to date; default: whether ``stream`` is a terminal.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        log: Path | None = None,
        total: int = 0,
        interactive: bool | None = None,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = (
            bool(getattr(self.stream, "isatty", lambda: False)())
            if interactive is None
            else interactive
        )
        self.total = total
        self.done = 0
        self._log = open(log, "a", encoding="utf-8") if log is not None else None  # noqa: SIM115
        self._status = ""
        self._lock = threading.Lock()
        self.started = time.monotonic()

    # ------------------------------------------------------------------ lines
    def log(self, text: str) -> None:
        """Write ``text`` to the log file only."""
        if self._log is not None:
            stamp = dt.datetime.now().strftime("%H:%M:%S")
            for line in text.splitlines() or [""]:
                self._log.write(f"{stamp} {line}\n")
            self._log.flush()

    def log_file(self, path: Path, name: str) -> None:
        """Copy a notebook's own log (its worker's and kernel's output) into the run's log."""
        if self._log is None or not Path(path).is_file():
            return
        text = Path(path).read_text(encoding="utf-8", errors="replace").rstrip()
        if text:
            self._log.write(f"---- {name}: output of its worker and kernel\n{text}\n----\n")
            self._log.flush()

    def say(self, text: str) -> None:
        """Write ``text`` to the console (above the progress line) and the log."""
        self.log(text)
        with self._lock:
            self._clear()
            print(text, file=self.stream, flush=True)
            self._draw()

    def finished(self, name: str, status: str, seconds: float) -> None:
        """The line for a chapter that has finished (or failed, or was skipped)."""
        self.done += 1
        word, _, detail = status.partition(" ")
        text = f"  {word:<7} {name:<24} {duration_text(seconds):>8}"
        self.say(text + (f"  {detail}" if detail else ""))

    def progress(self, running: list[str], seconds_left: float | None) -> None:
        """Redraw the progress line (on a terminal only)."""
        if not self.interactive:
            return
        left = f" · about {duration_text(seconds_left)} left" if seconds_left else ""
        now = f" · running {', '.join(running)}" if running else ""
        with self._lock:
            self._clear()
            self._status = f"[{self.done}/{self.total}]{now}{left}"[:119]
            self._draw()

    def close(self) -> None:
        """Clear the progress line and close the log."""
        with self._lock:
            self._clear()
            self._status = ""
        if self._log is not None:
            self._log.close()
            self._log = None

    # ------------------------------------------------------------------ terminal
    def _clear(self) -> None:
        if self.interactive and self._status:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self) -> None:
        if self.interactive and self._status:
            self.stream.write(self._status)
            self.stream.flush()
