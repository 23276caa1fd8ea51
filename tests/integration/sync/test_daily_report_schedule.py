"""The morning report on beat's schedule, with a real Redis: run once a day when due, kept, shown on /metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

import redis

from connector.daily_report import DayReport, Difference, kept, record, render, report_if_due

ZONE = ZoneInfo("Europe/Berlin")
SEVEN = time(7, 0)


class Reporter:
    """Stands in for the report's reading of Shopify and B1 (tests/integration/pipeline runs the real one)."""

    def __init__(self) -> None:
        self.days: list[date] = []

    def report(self, day: date, timezone: tzinfo) -> DayReport:
        self.days.append(day)
        result = DayReport(day)
        result.differences.append(Difference(1, "#1", "missing", "no sales order"))
        return result


def test_the_report_of_the_day_before_runs_once_after_the_hour_in_shop_time(client: redis.Redis, prefix: str) -> None:
    reporter = Reporter()

    def ask(hour: int, minute: int) -> DayReport | None:
        now = datetime(2026, 11, 28, hour, minute, tzinfo=UTC)  # Berlin is UTC+1 in November
        return report_if_due(reporter, client, prefix, now=now, timezone=ZONE, at=SEVEN, token="beat")  # type: ignore[arg-type]

    assert ask(5, 50) is None  # 06:50 in Berlin: not yet
    first = ask(6, 0)
    assert first is not None and first.day == date(2026, 11, 27)
    assert ask(6, 10) is None and ask(22, 0) is None  # kept: not again that day
    assert reporter.days == [date(2026, 11, 27)]
    assert kept(client, prefix, date(2026, 11, 27))["differences"][0]["problem"] == "missing"
    assert 0 < client.ttl(f"{prefix}:reports:day:2026-11-27") <= 40 * 86400


def test_the_last_report_is_on_metrics_and_nothing_before_the_first(client: redis.Redis, prefix: str) -> None:
    assert render(client, prefix) == ""
    report = DayReport(date(2026, 11, 27))
    report.differences.append(Difference(1, "#1", "amount", "off"))

    record(client, prefix, report)

    gauges = dict(line.split(" ") for line in render(client, prefix).splitlines() if not line.startswith("#"))
    assert gauges["shopb1_daily_report_differences"] == "1"
    assert gauges["shopb1_daily_report_orders"] == "0"
    assert float(gauges["shopb1_daily_report_timestamp_seconds"]) > 0
