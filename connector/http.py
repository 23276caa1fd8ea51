"""One requests.Session per thread for a client shared by threads (sessions are not guaranteed thread-safe).

The sessions keep their connection pools; `close_all` closes every thread's, and `reset` forgets them in a
forked child, whose sockets must not be the parent's.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import requests

# Told of each HTTP exchange a client makes: (method or kind, path or document, status or None, seconds).
RequestObserver = Callable[[str, str, "int | None", float], None]


class ThreadSessions:
    def __init__(
        self,
        factory: Callable[[], requests.Session],
        prepare: Callable[[requests.Session], None] | None = None,
    ) -> None:
        self._factory = factory
        self._prepare = prepare
        self.reset()

    def reset(self) -> None:
        self._local = threading.local()
        self._sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        """This thread's session, made on first use."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._factory()
            if self._prepare is not None:
                self._prepare(session)
            self._local.session = session
            with self._lock:
                self._sessions.add(session)
        return session

    def close_all(self) -> None:
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.close()
