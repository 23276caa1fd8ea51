"""The ingest: a thin WSGI app that takes Shopify's webhooks, proves they are Shopify's, keeps them, queues them.

`POST /webhooks/shopify` checks the HMAC over the raw body before anything else, refuses what is too big, stores
the event and queues the task that hands it to the pipeline (`handoff` builds it) before answering 200 — never
200 without the event safely in Redis, so that Shopify retries whatever we could not keep. It does no business
work: that happens in the workers. `GET /healthz` (alive), `/readyz` (Redis reachable), `/metrics` (Prometheus text).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import redis

from connector.ingest.events import EventStore, Handoff
from connector.ingest.metrics import IngestMetrics
from connector.shopify.webhooks import HANDLED_TOPICS, HMAC_HEADER, Delivery, verify

log = logging.getLogger(__name__)

# Shopify's largest payloads (orders with hundreds of lines) stay well under this.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024

Response = tuple[int, list[tuple[str, str]], bytes]
# Topic labels of the metrics besides the handled topics: a request whose signature is not proven, and a signed
# delivery of a topic the connector does not handle.
UNVERIFIED = "unverified"
OTHER = "other"


@dataclass(frozen=True)
class IngestConfig:
    secrets: Sequence[str]
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    handled_topics: frozenset[str] = HANDLED_TOPICS
    # Deliveries for another shop are refused; empty accepts any shop (one app serving several shops).
    shop_domains: frozenset[str] = frozenset()


class IngestApp:
    def __init__(self, config: IngestConfig, store: EventStore, handoff: Handoff, metrics: IngestMetrics) -> None:
        self.config = config
        self.store = store
        self.handoff = handoff
        self.metrics = metrics

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/webhooks/shopify" and method == "POST":
            status, headers, body = self._webhook(environ)
        elif path == "/healthz" and method == "GET":
            status, headers, body = _text(200, "ok")
        elif path == "/readyz" and method == "GET":
            status, headers, body = self._ready()
        elif path == "/metrics" and method == "GET":
            status, headers, body = self._metrics()
        else:
            status, headers, body = _text(404, "not found")
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _webhook(self, environ: dict[str, Any]) -> Response:
        started = time.perf_counter()
        status, result, topic = self._receive(environ)
        # Labels from fixed sets only: the result's kind (not an error's detail) and a topic that is either
        # proven (signed) and handled, or one of two fixed words.
        self.metrics.record(topic, result.partition(":")[0], time.perf_counter() - started)
        return _text(status, result)

    def _receive(self, environ: dict[str, Any]) -> tuple[int, str, str]:
        """(status, result, topic label). Before the signature is proven nothing the client chose is read but
        the length and the body's bytes: an unsigned request can only add to a counter of fixed labels."""
        length = _content_length(environ)
        if length is None:
            return 411, "length_required", UNVERIFIED
        if length > self.config.max_body_bytes:
            return 413, "too_large", UNVERIFIED
        body = environ["wsgi.input"].read(length) if length else b""
        if not verify(body, environ.get(f"HTTP_{_wsgi_name(HMAC_HEADER)}"), self.config.secrets):
            return 401, "bad_signature", UNVERIFIED
        headers = {name[5:].replace("_", "-"): value for name, value in environ.items() if name.startswith("HTTP_")}
        delivery = Delivery.from_headers(headers)
        # The topic header is not covered by the signature either, but a signed request comes from Shopify.
        topic = environ.get("HTTP_X_SHOPIFY_TOPIC", "")
        label = topic if topic in self.config.handled_topics else OTHER
        if delivery is None:
            return 400, "missing_headers", label
        if self.config.shop_domains and delivery.shop_domain not in self.config.shop_domains:
            return 403, "unknown_shop", label
        if delivery.topic not in self.config.handled_topics:
            # Acknowledged so that Shopify stops sending it; counted so that an operator sees it.
            return 200, "ignored_topic", label
        try:
            outcome = self.store.accept(delivery, body, self.handoff)
        except (redis.RedisError, OSError) as error:
            log.warning(
                "ingest_unavailable topic=%s webhook_id=%s error=%s",
                delivery.topic,
                delivery.webhook_id,
                error,
            )
            return 503, "unavailable", label
        except Exception as error:  # building the task message can fail in many ways: Shopify must retry
            log.exception("ingest_enqueue_failed topic=%s webhook_id=%s", delivery.topic, delivery.webhook_id)
            return 503, f"unavailable:{type(error).__name__}", label
        log.info("ingest_%s topic=%s webhook_id=%s shop=%s", outcome.value, delivery.topic, delivery.webhook_id,
                 delivery.shop_domain)  # fmt: skip
        return 200, outcome.value, label

    def _ready(self) -> Response:
        try:
            self.store.redis.ping()
        except redis.RedisError as error:
            return _text(503, f"redis unavailable: {type(error).__name__}")
        return _text(200, "ready")

    def _metrics(self) -> Response:
        try:
            text = self.metrics.render()
        except redis.RedisError:
            return _text(503, "redis unavailable")
        return 200, [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], text.encode()


def _text(status: int, text: str) -> Response:
    body = json.dumps({"result": text}).encode()
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = environ.get("CONTENT_LENGTH")
    if not raw:
        return 0 if environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked" else None
    try:
        return int(raw)
    except ValueError:
        return None


def _wsgi_name(header: str) -> str:
    return header.upper().replace("-", "_")
