"""Serving a WSGI app with gunicorn from inside the `shopb1` command (emulators, ingest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Callable[..., Any], options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            if value is not None:
                self.cfg.set(name, value)

    def load(self) -> Callable[..., Any]:
        return self.application


def serve(
    app: Callable[..., Any],
    *,
    host: str,
    port: int,
    name: str,
    workers: int = 1,
    threads: int = 32,
    certfile: str | None = None,
    keyfile: str | None = None,
    access_log: bool = False,
    timeout: int = 300,
) -> None:
    """Run `app` under gunicorn's threaded worker until SIGTERM or SIGINT.

    Stateful apps (the emulators keep their company in memory) must run with one worker process.
    """
    _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "proc_name": name,
            "certfile": certfile,
            "keyfile": keyfile,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            # A request held by injected latency or a full concurrency cap must not get the worker killed.
            "timeout": timeout,
            "graceful_timeout": 5,
            "keepalive": 30,
        },
    ).run()
