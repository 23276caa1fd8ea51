"""Serving a WSGI app with gunicorn from inside the `shopb1` command (emulators, ingest).

Two ways: gunicorn's threaded worker (the emulators), or its gevent worker (the ingest, which faces the internet).
A thread reads a request's head and body without a deadline, so a few clients sending a byte a second hold every
thread; with gevent a connection costs a greenlet, thousands fit in a process, and gunicorn gives a request's
head `keepalive` seconds to arrive (the gevent worker reads it under a Timeout of that length).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Callable[..., Any]], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            if value is not None:
                self.cfg.set(name, value)

    def load(self) -> Callable[..., Any]:
        # Called in each worker process after the fork: sockets, pools and threads belong to that process.
        return self.factory()


def serve(
    app: Callable[..., Any] | None = None,
    *,
    factory: Callable[[], Callable[..., Any]] | None = None,
    host: str,
    port: int,
    name: str,
    workers: int = 1,
    threads: int = 32,
    certfile: str | None = None,
    keyfile: str | None = None,
    access_log: bool = False,
    timeout: int = 300,
    worker_class: str = "gthread",
    connections: int = 1000,
    keepalive: int = 30,
) -> None:
    """Run a WSGI app under gunicorn until SIGTERM or SIGINT.

    Pass `factory` to build the app inside each worker process (anything holding sockets or threads), or a
    ready `app`. Stateful apps (the emulators keep their data in memory) must run with one worker process.
    `threads` is the gthread worker's; `connections` bounds the connections a gevent worker process holds.
    """
    if (app is None) == (factory is None):
        raise ValueError("pass exactly one of app and factory")
    _Gunicorn(
        factory or (lambda: app),
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": worker_class,
            "threads": threads,
            "worker_connections": connections,
            "proc_name": name,
            "certfile": certfile,
            "keyfile": keyfile,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            # A request held by injected latency or a full concurrency cap must not get the worker killed.
            "timeout": timeout,
            "graceful_timeout": 5,
            "keepalive": keepalive,
        },
    ).run()
