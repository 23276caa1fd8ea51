"""The store emulator as a real process, shared with the integration suite's Shopify tests."""

from __future__ import annotations

from tests.integration.shopify.conftest import shopify_emulator, shopify_emulator_process

__all__ = ["shopify_emulator", "shopify_emulator_process"]
