"""The systemd units of deploy/systemd (a small install on one or two VMs) match the code they run: every queue
has a worker instance, every command line is one the CLI accepts, workers outlive their longest task, and the
example settings are ones the connector reads and accepts."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from connector.settings import RedisSettings, ServiceLayerSettings, ShopifySettings
from tasks.queues import Queue
from workers.celery_app import celery_config
from workers.cli import build_parser

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))


def directives(path: Path) -> dict[str, list[str]]:
    """Every Key=value of a unit file (a key may repeat, as systemd allows)."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_target_wants_a_worker_for_every_queue_and_one_beat() -> None:
    wanted = " ".join(directives(UNITS / "shopb1.target")["Wants"]).split()
    workers = {unit.removeprefix("shopb1-worker@").removesuffix(".service") for unit in wanted
               if unit.startswith("shopb1-worker@")}  # fmt: skip
    assert {f"shopb1.{name}" for name in workers} == {queue.value for queue in Queue}
    assert wanted.count("shopb1-beat.service") == 1
    templates = {unit.split("@")[0] + "@.service" if "@" in unit else unit for unit in wanted}
    assert all((UNITS / name).exists() for name in templates)


@pytest.mark.parametrize("unit", SERVICES, ids=lambda path: path.name)
def test_each_unit_runs_a_command_the_cli_accepts_as_the_shopb1_user(unit: Path) -> None:
    found = directives(unit)
    [command] = found["ExecStart"]
    argv = shlex.split(command.replace("%i", "orders"))
    assert argv[0] == "/opt/shopb1/.venv/bin/shopb1"
    arguments = build_parser().parse_args(argv[1:])
    assert callable(arguments.handler)
    assert found["User"] == ["shopb1"] and found["EnvironmentFile"] == ["/etc/shopb1/shopb1.env"]
    assert found["Restart"] == ["always"] and found["NoNewPrivileges"] == ["yes"]


def test_a_worker_stops_warm_and_outlives_its_longest_task() -> None:
    found = directives(UNITS / "shopb1-worker@.service")
    assert found["KillMode"] == ["mixed"] and found["KillSignal"] == ["SIGTERM"]
    assert int(found["TimeoutStopSec"][0]) > celery_config(RedisSettings())["task_time_limit"]
    assert "--queues shopb1.%i" in found["ExecStart"][0]


def example_settings(*, commented: bool = False) -> dict[str, str]:
    """The example file's settings (with `commented`, also those commented out, the Sentinel ones)."""
    found = {}
    for raw in (UNITS / "shopb1.env.example").read_text().splitlines():
        line = raw.removeprefix("#") if commented and raw.startswith("#SHOPB1_") else raw
        if line.startswith("SHOPB1_"):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def test_the_example_settings_are_read_and_accepted() -> None:
    environ = example_settings()
    assert RedisSettings.from_env(environ).url.startswith("redis://")
    assert ServiceLayerSettings.from_env(environ).company == "SBODEMOUS"
    assert ShopifySettings.from_env(environ).shop == "example-outdoor.myshopify.com"
    with_sentinels = {k: v for k, v in example_settings(commented=True).items() if v}
    assert len(RedisSettings.from_env(with_sentinels).sentinels) == 3
