"""NOT PRODUCT CODE. The Shopify store emulator as a WSGI app: the Admin GraphQL API, and a control endpoint
for tests and demos.

POST /admin/api/<version>/graphql.json   the Admin API (X-Shopify-Access-Token; other versions answer 404)
GET  /emulator/state                     the shop and how many records it holds
POST /emulator/reset                     back to the seed ({"keep_subscriptions": true} keeps webhooks)
PATCH /emulator/throttle                 {"bucket_size": 2000, "restore_rate": 100, "refill": true}
PATCH /emulator/shop                     {"plan": "basic"}: Plus-only features refuse from now on
PATCH /emulator/faults                   {"lose_answers": {"fulfillmentCreate": 1}}: the next such mutation is
                                         applied and its answer lost (a 502 from the edge), as a partition would
POST /emulator/checkout                  an order as a storefront checkout places it (see checkout.py): tips,
                                         duties, cash rounding, payment terms, per-line locations, currencies
GET  /emulator/stats                     requests, throttled, points, the lowest bucket level seen, mutations run
POST /emulator/stats/reset
GET  /emulator/bulk/<id>.jsonl           the result file of a bulk operation (its `url`)
*    /emulator/webhooks...               the webhook sender's own control endpoint
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from connector.testing.shopify import checkout, messages
from connector.testing.shopify.admin_api import AdminApi
from connector.testing.shopify.bulk import BulkOperations
from connector.testing.shopify.cost import Bucket
from connector.testing.shopify.store import Store, StoreConfig

log = logging.getLogger(__name__)

GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class EmulatorConfig:
    access_token: str = "shpat_shopb1_demo_token"
    bucket_size: float = 2000
    restore_rate: float = 100
    store: StoreConfig = field(default_factory=StoreConfig)


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


class ShopifyEmulator:
    """The WSGI application; `sender` publishes the store's webhooks (and serves /emulator/webhooks)."""

    def __init__(self, config: EmulatorConfig | None = None, sender: Any = None) -> None:
        self.config = config or EmulatorConfig()
        self.sender = sender
        self.store = Store(self.config.store, publisher=sender)
        self.bucket = Bucket(self.config.bucket_size, self.config.restore_rate)
        self.api = AdminApi(self.store, self.bucket)
        self.bulk = BulkOperations(self.store, self.api.schema)
        self.api.bulk = self.bulk
        self.lose_answers: dict[str, int] = {}
        self.revoked_token = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            response = self.route(environ)
        except Exception:
            log.exception("emulator request failed path=%s", environ.get("PATH_INFO"))
            response = Response.json(500, {"errors": "Internal Server Error"})
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
        return [response.body]

    def route(self, environ: dict[str, Any]) -> Response:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/admin/"):
            return self._admin(environ, path, method)
        if path.startswith("/emulator/"):
            return self._control(environ, path.removeprefix("/emulator"), method)
        return Response.json(404, {"errors": "Not Found"})

    # --- the Admin API ---

    def _admin(self, environ: dict[str, Any], path: str, method: str) -> Response:
        token = environ.get("HTTP_X_SHOPIFY_ACCESS_TOKEN")
        if not self.config.access_token or token != self.config.access_token:
            return Response.json(401, {"errors": messages.INVALID_TOKEN})
        match = GRAPHQL_PATH.match(path)
        version = self.config.store.api_version
        if match is None or match.group(1) != version:
            return Response.json(404, {"errors": "Not Found"})
        if method != "POST":
            return Response.json(405, {"errors": "Method Not Allowed"})
        request = _graphql_request(environ)
        if request is None:
            return Response.json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        query, variables, operation_name = request
        answer = self.api.execute(query, variables, operation_name, _base_url(environ))
        if self._lose_answer(query):
            return Response(502, b"<html><body>502 Bad Gateway</body></html>", [("Content-Type", "text/html")])
        headers = [("X-Shopify-API-Version", version), ("X-Request-Id", str(uuid.uuid4()))]
        return Response.json(200, answer, headers)

    def _lose_answer(self, query: str) -> bool:
        with self.store.lock:
            for field_name, count in self.lose_answers.items():
                if count > 0 and re.search(rf"\b{re.escape(field_name)}\s*\(", query):
                    self.lose_answers[field_name] = count - 1
                    return True
        return False

    # --- the control endpoint ---

    def _control(self, environ: dict[str, Any], path: str, method: str) -> Response:
        if path.startswith("/webhooks"):
            if self.sender is None:
                return Response.json(404, {"error": "this emulator runs without a webhook sender"})
            query = environ.get("QUERY_STRING", "")
            status, payload = self.sender.control(
                method, path.removeprefix("/webhooks") + (f"?{query}" if query else ""), _json_body(environ)
            )
            return Response.json(status, payload)
        bulk = re.fullmatch(r"/bulk/(\d+)\.jsonl", path)
        if bulk and method == "GET":
            return self._bulk_file(int(bulk.group(1)))
        routes: dict[tuple[str, str], Callable[[dict[str, Any]], Response]] = {
            ("GET", "/state"): self._state,
            ("POST", "/reset"): self._reset,
            ("PATCH", "/throttle"): self._throttle,
            ("PATCH", "/shop"): self._shop,
            ("PATCH", "/faults"): self._faults,
            ("GET", "/faults"): lambda body: Response.json(200, {"lose_answers": self.lose_answers}),
            ("GET", "/stats"): self._stats,
            ("POST", "/stats/reset"): self._reset_stats,
            ("POST", "/checkout"): self._checkout,
            ("POST", "/app/uninstall"): self._uninstall,
            ("POST", "/app/install"): self._install,
        }
        handler = routes.get((method, path.rstrip("/")))
        if handler is None:
            return Response.json(404, {"error": f"no control endpoint {method} /emulator{path}"})
        try:
            return handler(_json_body(environ) or {})
        except (KeyError, TypeError, ValueError) as error:
            return Response.json(400, {"error": f"{type(error).__name__}: {error}"})

    def _state(self, body: dict[str, Any]) -> Response:
        shop = self.store.shop
        return Response.json(
            200,
            {
                "shop": {
                    "domain": shop.domain,
                    "currency": shop.currency,
                    "timezone": shop.timezone,
                    "plan": shop.plan,
                },
                "api_version": self.config.store.api_version,
                "counts": self.store.counts(),
            },
        )

    def _reset(self, body: dict[str, Any]) -> Response:
        self.store.reset(keep_subscriptions=bool(body.get("keep_subscriptions")))
        self.bucket.configure(refill=True)
        self.api.reset_stats()
        self.lose_answers = {}
        if self.sender is not None:
            self.sender.control("POST", "/reset", {})
        return self._state({})

    def _throttle(self, body: dict[str, Any]) -> Response:
        self.bucket.configure(body.get("bucket_size"), body.get("restore_rate"), refill=bool(body.get("refill")))
        return Response.json(200, {"throttleStatus": self.bucket.status().as_json()})

    def _shop(self, body: dict[str, Any]) -> Response:
        plan = body.get("plan")
        if plan not in ("plus", "basic"):
            raise ValueError("plan must be 'plus' or 'basic'")
        with self.store.lock:
            self.store.shop.plan = self.store.config.plan = plan
        return self._state({})

    def _uninstall(self, body: dict[str, Any]) -> Response:
        """The merchant uninstalls the app: Shopify sends app/uninstalled (its payload is the Shop resource), the
        access token stops working (401) and the app's webhook subscriptions are deleted."""
        shop = self.store.shop
        payload = {
            "id": shop.id, "name": shop.name, "email": shop.email, "domain": shop.domain,
            "myshopify_domain": shop.domain, "plan_name": shop.plan, "currency": shop.currency,
            "iana_timezone": shop.timezone, "country_code": "US",
        }  # fmt: skip
        if self.sender is not None:
            self.sender.publish("app/uninstalled", payload)
        with self.store.lock:
            self.revoked_token, self.config.access_token = self.config.access_token, ""
            self.store.subscriptions.clear()
        return Response.json(200, {"uninstalled": shop.domain})

    def _install(self, body: dict[str, Any]) -> Response:
        """Installed again: the token works again (a real reinstall gives a new one; here the old one returns)."""
        with self.store.lock:
            self.config.access_token = body.get("access_token") or self.revoked_token or self.config.access_token
        return Response.json(200, {"installed": self.store.shop.domain})

    def _faults(self, body: dict[str, Any]) -> Response:
        lose = body.get("lose_answers") or {}
        if not all(isinstance(name, str) and isinstance(count, int) for name, count in lose.items()):
            raise ValueError("lose_answers maps a mutation's field name to how many answers to lose")
        with self.store.lock:
            self.lose_answers = {name: count for name, count in lose.items() if count > 0}
        return Response.json(200, {"lose_answers": self.lose_answers})

    def _checkout(self, body: dict[str, Any]) -> Response:
        try:
            with self.store.lock:
                order = checkout.place(self.store, self.api.schema, body)
        except messages.MutationError as refusal:
            errors = [{"field": e.field, "message": e.message, "code": e.code} for e in refusal.errors]
            return Response.json(422, {"userErrors": errors})
        return Response.json(200, checkout.answer(order))

    def _stats(self, body: dict[str, Any]) -> Response:
        return Response.json(200, {"stats": {**self.api.stats_view(), "webhooks_published": self.store.published}})

    def _reset_stats(self, body: dict[str, Any]) -> Response:
        self.api.reset_stats()
        return self._stats({})

    def _bulk_file(self, operation_id: int) -> Response:
        with self.store.lock:
            operation = self.store.bulk_operations.get(operation_id)
            result = operation.result if operation else None
        if result is None:
            return Response.json(404, {"errors": "Not Found"})
        return Response(200, result, [("Content-Type", "application/jsonl")])


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _json_body(environ: dict[str, Any]) -> dict[str, Any] | None:
    raw = _read_body(environ)
    if not raw:
        return None
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _graphql_request(environ: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """(query, variables, operationName) of a JSON or application/graphql body; None when there is no query."""
    raw = _read_body(environ)
    if (environ.get("CONTENT_TYPE") or "").startswith("application/graphql"):
        query = raw.decode(errors="replace")
        return (query, None, None) if query.strip() else None
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return None
    variables = body.get("variables")
    if isinstance(variables, str):  # some clients send the variables as a JSON string
        try:
            variables = json.loads(variables or "{}")
        except ValueError:
            return None
    if variables is not None and not isinstance(variables, dict):
        return None
    return body["query"], variables, body.get("operationName") or None


def _base_url(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
