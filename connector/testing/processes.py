"""Real processes for integration tests: a free port, a readiness wait, a clean stop, the log on failure."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10, *, signalled: bool = False) -> None:
        """Signal the process (unless `signalled` already) and wait for it; past `timeout`, kill its group."""
        if self.popen.poll() is not None:
            return
        if not signalled:
            self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            # The whole group: a gunicorn master killed alone leaves its workers running, holding the port.
            self.kill_group()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def kill_group(self) -> None:
        """SIGKILL the process and all its children at once, as when a container is OOM-killed."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)


def start(
    name: str,
    command: list[str],
    *,
    port: int | None = None,
    ready: Callable[[Process], bool] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 30,
    log_dir: str | Path | None = None,
) -> Process:
    """Start `command` and wait until its port accepts connections (or `ready(process)` is true)."""
    process = launch(name, command, port=port, env=env, log_dir=log_dir)
    wait_until_started(process, ready=ready, timeout=timeout)
    return process


def launch(
    name: str,
    command: list[str],
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log_dir: str | Path | None = None,
) -> Process:
    """Start `command` without waiting for it: several processes then start side by side (`wait_until_started`)."""
    log_fd, log_name = tempfile.mkstemp(prefix=f"shopb1-{name}-", suffix=".log", dir=log_dir)
    with os.fdopen(log_fd, "wb") as log_file:
        popen = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={**os.environ, **(env or {})},
            # Its own process group, so that a test can kill it with every child (a worker's pool).
            start_new_session=True,
        )
    return Process(name, popen, Path(log_name), port)


def wait_until_started(
    process: Process, *, ready: Callable[[Process], bool] | None = None, timeout: float = 30
) -> Process:
    """Wait until a launched process's port accepts connections (or `ready(process)` is true); stop it and raise
    if it exits or takes longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while not (ready(process) if ready else process.port is not None and port_open(process.port)):
        if process.popen.poll() is not None or time.monotonic() > deadline:
            process.stop()
            command = " ".join(map(str, process.popen.args))  # type: ignore[arg-type]
            raise RuntimeError(f"{process.name} did not start ({command}):\n{process.log()[-4000:]}")
        time.sleep(0.05)
    return process


@contextlib.contextmanager
def running(name: str, command: list[str], **kwargs: object) -> Iterator[Process]:
    process = start(name, command, **kwargs)  # type: ignore[arg-type]
    try:
        yield process
    finally:
        process.stop()


def shopb1(*args: str) -> list[str]:
    """The `shopb1` command of this checkout, run with the test interpreter."""
    return [sys.executable, "-m", "workers.cli", *args]


def celery_worker(
    name: str,
    queues: list[str] | None,
    env: dict[str, str],
    concurrency: int = 1,
    log_dir: str | Path | None = None,
    *,
    wait: bool = True,
) -> Process:
    """A real Celery worker process (prefork pool) for `queues` (None: all), started as production starts it;
    with `wait` False, launched only (then `wait_until_started(process, ready=worker_ready, timeout=60)`)."""
    process = launch(name, worker_command(name, queues, concurrency), env=env, log_dir=log_dir)
    return wait_until_started(process, ready=worker_ready, timeout=WORKER_START_SECONDS) if wait else process


def worker_command(name: str, queues: list[str] | None, concurrency: int = 1) -> list[str]:
    return shopb1(
        "worker", "-n", f"{name}@%h", "-c", str(concurrency), *(["--queues", ",".join(queues)] if queues else [])
    )


# Generous: a dozen workers starting side by side on two cores each take several seconds of CPU to import.
WORKER_START_SECONDS = 90


def worker_ready(process: Process) -> bool:
    return "ready." in process.log()
