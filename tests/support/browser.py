"""Debian's Chromium, headless, driven by Selenium through Debian's ChromeDriver: the browser for tests of pages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["CHROMEDRIVER", "CHROMIUM", "By", "WebDriverWait", "chromium", "expected_conditions"]

# Packages chromium and chromium-driver (make test installs them).
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# No network but loopback here: without these, Chromium keeps calling Google's services at start and after.
_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1600,900",
)  # fmt: skip


@contextlib.contextmanager
def chromium(workdir: Path) -> Iterator[webdriver.Chrome]:
    """A fresh browser with its own empty profile under `workdir`, closed on leaving."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*_FLAGS, f"--user-data-dir={workdir / 'chromium-profile'}"):
        options.add_argument(flag)
    # An explicit driver: Selenium Manager (which would look for one on the internet) is not run.
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()
