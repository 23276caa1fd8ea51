"""A redis-server of a test's own, which the test may stop and start again (its data kept in an AOF file)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import redis

from connector.testing.processes import Process, start

# As deploy/kubernetes/base/redis/redis.yaml sets them: an order's state hash has values longer than Redis's
# default 64 bytes (its sales order row, its trail of up to 1 KB), which would turn the whole hash from the compact
# listpack into a hash table of twice the size; an hour's shard of delivery marks (connector/ingest/events.py)
# holds up to 512 fields.
SHIPPED_SETTINGS = ["--hash-max-listpack-value", "1024", "--hash-max-listpack-entries", "512"]


@dataclass
class RestartableRedis:
    port: int
    data_dir: str
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed: run make setup"
        # appendfsync always: a test that restarts Redis must not lose the last second of writes.
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                   "--appendfsync", "always", "--dir", self.data_dir, *SHIPPED_SETTINGS]  # fmt: skip
        self.process = start("redis", command, port=self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)
