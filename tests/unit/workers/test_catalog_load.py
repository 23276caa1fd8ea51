"""What an operator sees of a full catalog load: the progress line, the report, the completeness check."""

from __future__ import annotations

from connector.sync.catalog import Completeness
from connector.sync.catalog_state import WalkProgress
from workers.catalog_load import RETRY_FAILED, completeness_report, progress_line, report


def progress(done: dict[str, int], total: int = 2000, finished_at: float | None = None) -> WalkProgress:
    status = "done" if finished_at else "running"
    return WalkProgress("3f2a", status, "GEN-01000", total, done, 10, 1000.0, 1025.0, finished_at)


def test_the_progress_line_shows_counts_rate_and_time_left() -> None:
    line = progress_line(progress({"created": 900, "updated": 50, "unchanged": 40, "failed": 10}), now=1025.0)
    assert line.startswith("[############------------] 1,000/2,000  50%")
    assert "created 900  updated 50  unchanged 40  failed 10" in line
    assert line.endswith("40.0 items/s  ETA 0:25")


def test_a_finished_load_shows_its_final_rate() -> None:
    line = progress_line(progress({"created": 2000}, finished_at=1050.0), now=5000.0)
    assert "2,000/2,000 100%" in line and line.endswith("40.0 items/s  ETA done")


def test_the_report_counts_each_outcome_and_says_how_to_retry_failures() -> None:
    text = report(progress({"created": 1990, "failed": 10}, finished_at=1050.0))
    assert "2,000 items in 0:50 (40.0 items/s)" in text
    assert "created        1,990" in text and "failed            10" in text
    assert RETRY_FAILED in text and RETRY_FAILED == "shopb1 failed retry --all --step shopb1.catalog.sync_item"
    assert "retry" not in report(progress({"created": 2000}, finished_at=1050.0))


def test_the_completeness_check_lists_what_is_missing() -> None:
    missing = [f"GEN-{n:05d}" for n in range(1, 26)]
    text = completeness_report(Completeness(in_b1=2000, in_shopify=1975, missing=missing))
    assert "2,000 items in scope in B1, 1,975 of them in Shopify" in text
    assert "missing (25): GEN-00001" in text and "GEN-00020 and 5 more" in text
    assert "nothing missing" in completeness_report(Completeness(in_b1=3, in_shopify=3))
