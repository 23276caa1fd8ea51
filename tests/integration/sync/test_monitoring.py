"""The alert rules and the Grafana dashboard in deploy/monitoring, checked offline: each query parses as PromQL,
and every metric it names is one `/metrics` serves (read from a real Redis holding every kind of count)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import promql_parser
import pytest
import redis
import yaml

from connector import app_lifecycle
from connector.daily_report import DayReport, record
from connector.deadletters import DeadLetter, DeadLetterStore
from connector.ingest.metrics import IngestMetrics
from connector.pipeline_metrics import PipelineMetrics, watch
from connector.redis_memory import read_memory

MONITORING = Path(__file__).resolve().parents[3] / "deploy" / "monitoring"
RULES = yaml.safe_load((MONITORING / "prometheus-rules.yaml").read_text())
DASHBOARD = json.loads((MONITORING / "grafana-dashboard.json").read_text())
NAME = re.compile(r"\bshopb1_[a-z0-9_]+")


def rules() -> list[dict]:
    return [rule for group in RULES["spec"]["groups"] for rule in group["rules"]]


def queries() -> list[str]:
    return [rule["expr"] for rule in rules()] + [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]]


def served(client: redis.Redis, prefix: str) -> set[str]:
    """The metric names /metrics shows once every part has counted something."""
    ingest = IngestMetrics(client, prefix)
    ingest.record("orders/create", "accepted", 0.01)
    metrics = PipelineMetrics(client, prefix)
    metrics.task("shopb1.orders.sync_order", "started")
    metrics.request("sl", "GET", "Orders", 200, 0.1)
    metrics.booked(3.0)
    metrics.totals.flush()
    read_memory(client, prefix)
    client.hset(app_lifecycle.metrics_key(prefix), "uninstalled_at", 1.0)
    record(client, prefix, DayReport(date(2026, 11, 27)))
    letters = DeadLetterStore(client, prefix)
    letters.record(DeadLetter(id="x", kind="data", step="s", subject="order 1", error_type="E", message="m",
                              retry_task="t", retry_kwargs={}))  # fmt: skip
    watch(client, prefix, {"shopb1.orders": f"{prefix}:celery:shopb1.orders"}, letters)
    text = ingest.render()
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            names |= {name} | ({f"{name}_bucket", f"{name}_sum", f"{name}_count"} if kind == "histogram" else set())
    return names


@pytest.mark.parametrize("query", queries())
def test_each_query_parses_as_promql(query: str) -> None:
    promql_parser.parse(query)


def test_every_metric_the_rules_and_the_dashboard_name_is_served(client: redis.Redis, prefix: str) -> None:
    named = {name for query in queries() for name in NAME.findall(query)}
    assert named - served(client, prefix) == set()
    assert len(named) >= 12


def test_every_rule_is_an_alert_an_operator_can_act_on() -> None:
    assert RULES["apiVersion"] == "monitoring.coreos.com/v1" and RULES["kind"] == "PrometheusRule"
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names)) >= 9
    for rule in rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]
