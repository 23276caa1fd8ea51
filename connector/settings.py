"""Where and as whom the connector works, read from SHOPB1_* environment variables.

Everything is validated when it is read, so a bad value stops the process at start-up with a message that
names the variable, instead of failing on the first order of the day.
"""

from __future__ import annotations

import math
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.connection import parse_url

DEFAULT_SAP_URL = "http://127.0.0.1:50000/b1s/v2"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


class EnvReader:
    """Typed access to environment variables; every error names the variable and the value it got."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(name)
        return None if value is None else value.strip()

    def text(self, name: str, default: str) -> str:
        value = self._raw(name)
        if value is None:
            return default
        if not value:
            # An empty value is almost always a templating mistake; silently using the default would hide it.
            raise SettingsError(f"{name} must not be empty")
        return value

    def optional_text(self, name: str) -> str | None:
        return self._raw(name) or None

    def integer(self, name: str, default: int) -> int:
        value = self.optional_integer(name)
        return default if value is None else value

    def optional_integer(self, name: str) -> int | None:
        value = self._raw(name)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise SettingsError(f"{name} must be an integer, got {value!r}") from None

    def number(self, name: str, default: float) -> float:
        value = self._raw(name)
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise SettingsError(f"{name} must be a finite number, got {value!r}")
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if not value:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise SettingsError(f"{name} must be true or false, got {value!r}")


def _service_root(url: str) -> str:
    """The SL service root without a trailing slash, or SettingsError."""
    root = url.rstrip("/")
    parts = urlsplit(root)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"SHOPB1_SAP_URL must be an http(s) URL, got {url!r}")
    if parts.query or parts.fragment or not (parts.path.endswith("/b1s/v1") or parts.path.endswith("/b1s/v2")):
        raise SettingsError(f"SHOPB1_SAP_URL must end in /b1s/v1 or /b1s/v2, got {url!r}")
    return root


@dataclass(frozen=True)
class ServiceLayerSettings:
    """How to reach and log in to one SAP Business One company through its Service Layer."""

    url: str = DEFAULT_SAP_URL
    # The defaults match the emulator's demo company, so a developer needs no configuration at all.
    company: str = "SHOPB1_DEMO"
    user: str = "manager"
    password: str = field(default="manager", repr=False)
    language: int | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    read_retries: int = 3
    page_size: int = 100
    # Service Layer requests in flight at once across every connector process (0: no limit). A real SL slows
    # down well before it refuses (reference §7: throughput saturates around 40 concurrent requests).
    max_concurrent: int = 0
    # SHOPB1_DRY_RUN: read and map everything, write nothing (every write is refused at the client).
    dry_run: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", _service_root(self.url))
        if self.connect_timeout <= 0:
            raise SettingsError(f"SHOPB1_SAP_CONNECT_TIMEOUT must be positive, got {self.connect_timeout!r}")
        if self.read_timeout <= 0:
            raise SettingsError(f"SHOPB1_SAP_READ_TIMEOUT must be positive, got {self.read_timeout!r}")
        if self.read_retries < 0:
            raise SettingsError(f"SHOPB1_SAP_READ_RETRIES must be 0 or more, got {self.read_retries!r}")
        # odata.maxpagesize=0 would switch paging off and fetch a whole table in one answer.
        if self.page_size < 1:
            raise SettingsError(f"SHOPB1_SAP_PAGE_SIZE must be 1 or more, got {self.page_size!r}")
        if self.max_concurrent < 0:
            raise SettingsError(f"SHOPB1_SAP_MAX_CONCURRENT must be 0 (no limit) or more, got {self.max_concurrent!r}")
        if self.ca_bundle is not None:
            if not self.verify_tls:
                raise SettingsError("SHOPB1_SAP_CA_BUNDLE is set but SHOPB1_SAP_VERIFY_TLS is false; choose one")
            if not os.path.isfile(self.ca_bundle):
                raise SettingsError(f"SHOPB1_SAP_CA_BUNDLE must name a readable file, got {self.ca_bundle!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ServiceLayerSettings:
        env = EnvReader(environ)
        return cls(
            url=env.text("SHOPB1_SAP_URL", cls.url),
            company=env.text("SHOPB1_SAP_COMPANY", cls.company),
            user=env.text("SHOPB1_SAP_USER", cls.user),
            password=env.text("SHOPB1_SAP_PASSWORD", cls.password),
            language=env.optional_integer("SHOPB1_SAP_LANGUAGE"),
            verify_tls=env.flag("SHOPB1_SAP_VERIFY_TLS", True),
            ca_bundle=env.optional_text("SHOPB1_SAP_CA_BUNDLE"),
            connect_timeout=env.number("SHOPB1_SAP_CONNECT_TIMEOUT", 5.0),
            read_timeout=env.number("SHOPB1_SAP_READ_TIMEOUT", 60.0),
            read_retries=env.integer("SHOPB1_SAP_READ_RETRIES", 3),
            page_size=env.integer("SHOPB1_SAP_PAGE_SIZE", 100),
            max_concurrent=env.integer("SHOPB1_SAP_MAX_CONCURRENT", 0),
            dry_run=env.flag("SHOPB1_DRY_RUN", False),
        )

    @property
    def service_root_path(self) -> str:
        """The root as the SL writes it in links and batch request lines, e.g. "/b1s/v2"."""
        return urlsplit(self.url).path

    @property
    def odata_version(self) -> str:
        """Either "v1" (OData V3) or "v2" (OData V4)."""
        return self.service_root_path.rsplit("/", 1)[-1]

    @property
    def verify(self) -> bool | str:
        """The value for requests' `verify`: the CA bundle when one is set, else the on/off switch."""
        return self.ca_bundle if self.ca_bundle is not None else self.verify_tls

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


DEFAULT_SHOPIFY_API_VERSION = "2026-07"
DEMO_SHOP = "shopb1-demo.myshopify.com"
# Public (it is in this repository): it may sign the demo shop's webhooks and nothing else.
DEMO_APP_SECRET = "shopb1_demo_app_secret"


@dataclass(frozen=True)
class ShopifySettings:
    """The shop, the app's credentials and the Admin API version the connector speaks."""

    # The shop's permanent domain; the Admin API lives at https://<shop>/admin/api/<version>/graphql.json.
    shop: str = DEMO_SHOP
    # Where to send Admin API calls when it is not https://<shop> (the emulator: http://127.0.0.1:8081).
    admin_url: str | None = "http://127.0.0.1:8081"
    access_token: str = field(default="shpat_shopb1_demo_token", repr=False)
    # The app's client secret: Shopify signs every webhook with it (HMAC-SHA256). Empty: not configured (a real
    # shop gets no default; the processes that verify webhooks refuse to start without it).
    app_secret: str = field(default=DEMO_APP_SECRET, repr=False)
    # The previous secret, accepted for an hour or so after rotating it.
    previous_app_secret: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_SHOPIFY_API_VERSION
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 5
    # The shop's numeric id (shop_id in privacy requests); when set, a request naming another id is refused.
    shop_id: int | None = None
    # SHOPB1_DRY_RUN: no mutation is sent (every one is refused at the client).
    dry_run: bool = False

    def __post_init__(self) -> None:
        if "/" in self.shop or "." not in self.shop:
            raise SettingsError(f"SHOPB1_SHOPIFY_SHOP must be a domain like shop.myshopify.com, got {self.shop!r}")
        if self.admin_url is not None:
            parts = urlsplit(self.admin_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(f"SHOPB1_SHOPIFY_ADMIN_URL must be an http(s) URL, got {self.admin_url!r}")
            object.__setattr__(self, "admin_url", self.admin_url.rstrip("/"))
        if self.api_version != "unstable" and not re.fullmatch(r"\d{4}-\d{2}", self.api_version):
            raise SettingsError(f"SHOPB1_SHOPIFY_API_VERSION must look like 2026-07, got {self.api_version!r}")
        if self.retries < 0:
            raise SettingsError(f"SHOPB1_SHOPIFY_RETRIES must be 0 or more, got {self.retries!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ShopifySettings:
        env = EnvReader(environ)
        shop = env.text("SHOPB1_SHOPIFY_SHOP", cls.shop)
        # A real shop is reached at its own domain unless told otherwise; only the demo shop is the emulator.
        default_admin = cls.admin_url if shop == cls.shop else None
        return cls(
            shop=shop,
            admin_url=env.optional_text("SHOPB1_SHOPIFY_ADMIN_URL") or default_admin,
            access_token=env.text("SHOPB1_SHOPIFY_ACCESS_TOKEN", cls.access_token),
            app_secret=env.text("SHOPB1_SHOPIFY_APP_SECRET", cls.app_secret if shop == DEMO_SHOP else ""),
            previous_app_secret=env.optional_text("SHOPB1_SHOPIFY_PREVIOUS_APP_SECRET"),
            api_version=env.text("SHOPB1_SHOPIFY_API_VERSION", DEFAULT_SHOPIFY_API_VERSION),
            connect_timeout=env.number("SHOPB1_SHOPIFY_CONNECT_TIMEOUT", 5.0),
            read_timeout=env.number("SHOPB1_SHOPIFY_READ_TIMEOUT", 30.0),
            retries=env.integer("SHOPB1_SHOPIFY_RETRIES", 5),
            shop_id=env.optional_integer("SHOPB1_SHOPIFY_SHOP_ID"),
            dry_run=env.flag("SHOPB1_DRY_RUN", False),
        )

    @property
    def graphql_url(self) -> str:
        base = self.admin_url or f"https://{self.shop}"
        return f"{base}/admin/api/{self.api_version}/graphql.json"

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        """Secrets a webhook may be signed with: the current one, and the previous one during a rotation.

        SettingsError for a real shop without its own secret: anyone can sign with the demo secret.
        """
        secrets = (self.app_secret,) + ((self.previous_app_secret,) if self.previous_app_secret else ())
        if not self.app_secret:
            raise SettingsError(f"SHOPB1_SHOPIFY_APP_SECRET must be set to the app's client secret for {self.shop}")
        if self.shop != DEMO_SHOP and DEMO_APP_SECRET in secrets:
            raise SettingsError(
                f"SHOPB1_SHOPIFY_APP_SECRET (or _PREVIOUS_APP_SECRET) is the public demo secret, which signs the "
                f"demo shop's webhooks only; set the app's own client secret for {self.shop}"
            )
        return secrets


@dataclass(frozen=True)
class RedisSettings:
    """The Redis that carries the queues, the webhook events, the dedupe keys and the shared cost budget."""

    url: str = "redis://127.0.0.1:6379/0"
    # Prefix of every key the connector writes, so that one Redis can serve several shops or environments.
    key_prefix: str = "shopb1"
    # For rediss://: the CA bundle that signed the server's certificate (a managed Redis's own CA), else the
    # system's CAs are trusted.
    ca_bundle: str | None = None
    # Redis Sentinel: (host, port) of each sentinel and the name of the master they watch. The primary is then
    # asked of them, again after a failover; SHOPB1_REDIS_URL gives only the password, database and TLS.
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_master: str | None = None
    sentinel_password: str | None = None  # when the sentinels themselves ask for one (requirepass in sentinel.conf)

    def __post_init__(self) -> None:
        scheme = urlsplit(self.url).scheme
        if scheme not in ("redis", "rediss", "unix"):
            raise SettingsError(f"SHOPB1_REDIS_URL must be a redis://, rediss:// or unix:// URL, got {self.url!r}")
        if bool(self.sentinels) != bool(self.sentinel_master):
            raise SettingsError("SHOPB1_REDIS_SENTINELS and SHOPB1_REDIS_SENTINEL_MASTER go together: set both or none")
        if self.sentinels and scheme == "unix":
            raise SettingsError("with SHOPB1_REDIS_SENTINELS, SHOPB1_REDIS_URL must be redis:// or rediss://")
        if self.ca_bundle is not None:
            if scheme != "rediss":
                raise SettingsError("SHOPB1_REDIS_CA_BUNDLE is set but SHOPB1_REDIS_URL is not a rediss:// URL")
            if not os.path.isfile(self.ca_bundle):
                raise SettingsError(f"SHOPB1_REDIS_CA_BUNDLE must name a readable file, got {self.ca_bundle!r}")
        if scheme == "rediss":
            object.__setattr__(self, "url", _verified_tls_url(self.url, self.ca_bundle))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> RedisSettings:
        env = EnvReader(environ)
        return cls(
            url=env.text("SHOPB1_REDIS_URL", cls.url),
            key_prefix=env.text("SHOPB1_REDIS_KEY_PREFIX", cls.key_prefix),
            ca_bundle=env.optional_text("SHOPB1_REDIS_CA_BUNDLE"),
            sentinels=_host_ports("SHOPB1_REDIS_SENTINELS", env.optional_text("SHOPB1_REDIS_SENTINELS")),
            sentinel_master=env.optional_text("SHOPB1_REDIS_SENTINEL_MASTER"),
            sentinel_password=env.optional_text("SHOPB1_REDIS_SENTINEL_PASSWORD"),
        )

    def connect(self, *, socket_connect_timeout: float, socket_timeout: float, **options: Any) -> redis.Redis:
        """A client of the primary: by the URL, or (Sentinel) of whichever server the sentinels name as master,
        asked again when a connection fails or the server turns out to be a replica after a failover."""
        if not self.sentinels:
            return redis.Redis.from_url(
                self.url, socket_connect_timeout=socket_connect_timeout, socket_timeout=socket_timeout, **options
            )
        connection = {k: v for k, v in parse_url(self.url).items() if k not in ("host", "port", "connection_class")}
        if urlsplit(self.url).scheme == "rediss":
            connection["ssl"] = True  # SentinelConnectionPool then makes TLS connections to the master it finds
        timeouts = {"socket_connect_timeout": socket_connect_timeout, "socket_timeout": socket_timeout}
        sentinel_kwargs = {**timeouts, **({"password": self.sentinel_password} if self.sentinel_password else {})}
        sentinel = redis.Sentinel(list(self.sentinels), sentinel_kwargs=sentinel_kwargs, **timeouts, **connection)
        assert self.sentinel_master is not None
        return sentinel.master_for(self.sentinel_master, **options)

    def celery_url(self) -> str:
        """The broker's and result backend's URL: SHOPB1_REDIS_URL, or kombu's list of sentinel:// URLs (the master's
        name goes in the transport options, `celery_sentinel_options`)."""
        if not self.sentinels:
            return self.url
        parts = urlsplit(self.url)
        auth = f"{parts.username or ''}:{parts.password}@" if parts.password else ""
        database = parts.path or "/0"
        hosts = [(f"[{host}]" if ":" in host else host, port) for host, port in self.sentinels]
        return ";".join(f"sentinel://{auth}{host}:{port}{database}" for host, port in hosts)

    def celery_sentinel_options(self) -> dict[str, Any]:
        """Transport options of the broker and the result backend under Sentinel (kombu's and Celery's names)."""
        if not self.sentinels:
            return {}
        options: dict[str, Any] = {"master_name": self.sentinel_master}
        if self.sentinel_password:
            options["sentinel_kwargs"] = {"password": self.sentinel_password}
        if urlsplit(self.url).scheme == "rediss":
            query = dict(parse_qsl(urlsplit(self.url).query))
            options["ssl"] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
            if "ssl_ca_certs" in query:
                options["ssl"]["ssl_ca_certs"] = query["ssl_ca_certs"]
        return options


def _host_ports(name: str, value: str | None) -> tuple[tuple[str, int], ...]:
    """host:port,host:port (IPv6 hosts in brackets) as (host, port) pairs."""
    if not value:
        return ()
    pairs = []
    for item in value.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} must be host:port pairs separated by commas, got {value!r}")
        pairs.append((host.strip("[]"), int(port)))
    return tuple(pairs)


def _verified_tls_url(url: str, ca_bundle: str | None) -> str:
    """A rediss:// URL that makes redis-py, kombu and Celery's result backend verify the server's certificate.

    All three read ssl_cert_reqs and ssl_ca_certs from the URL's query; without them kombu's broker connection
    would accept any certificate (it falls back to CERT_NONE with a warning).
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if query.setdefault("ssl_cert_reqs", "required") not in ("required", "CERT_REQUIRED"):
        raise SettingsError(
            f"SHOPB1_REDIS_URL asks for ssl_cert_reqs={query['ssl_cert_reqs']}: the server's certificate must be "
            f"verified (leave ssl_cert_reqs out, and set SHOPB1_REDIS_CA_BUNDLE for a private CA)"
        )
    if ca_bundle is not None:
        query["ssl_ca_certs"] = ca_bundle
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class CatalogSettings:
    """How often the catalog is synchronised and in what portions; what to synchronise is the mapping file's."""

    # B1 items changed since the last poll reach Shopify within about this many seconds.
    poll_interval: float = 60.0
    # Each poll reads again what changed this long before its checkpoint: UpdateTime has whole seconds, and a
    # change committed late (a long transaction, clocks apart) would otherwise fall behind the checkpoint.
    poll_overlap: float = 120.0
    # Stock moved by documents does not always touch an item's UpdateDate, so every item's stock is compared
    # this often as well.
    stock_sweep_interval: float = 900.0
    # Items per task: one page of B1 items is read, written to Shopify and checkpointed at a time.
    page_size: int = 100

    def __post_init__(self) -> None:
        for name, value in (
            ("SHOPB1_CATALOG_POLL_INTERVAL", self.poll_interval),
            ("SHOPB1_CATALOG_STOCK_SWEEP_INTERVAL", self.stock_sweep_interval),
        ):
            if value <= 0:
                raise SettingsError(f"{name} must be positive, got {value!r}")
        if self.poll_overlap < 0:
            raise SettingsError(f"SHOPB1_CATALOG_POLL_OVERLAP must be 0 or more, got {self.poll_overlap!r}")
        if not 1 <= self.page_size <= 500:
            raise SettingsError(f"SHOPB1_CATALOG_PAGE_SIZE must be 1 to 500, got {self.page_size!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> CatalogSettings:
        env = EnvReader(environ)
        return cls(
            poll_interval=env.number("SHOPB1_CATALOG_POLL_INTERVAL", cls.poll_interval),
            poll_overlap=env.number("SHOPB1_CATALOG_POLL_OVERLAP", cls.poll_overlap),
            stock_sweep_interval=env.number("SHOPB1_CATALOG_STOCK_SWEEP_INTERVAL", cls.stock_sweep_interval),
            page_size=env.integer("SHOPB1_CATALOG_PAGE_SIZE", cls.page_size),
        )


@dataclass(frozen=True)
class PipelineSettings:
    """How the workers hold orders: the broker's redelivery time and how long Redis remembers an order."""

    # Longer than any task, retry countdown or ETA we schedule: a message unacknowledged for longer is delivered
    # again (a worker killed as a whole gets its tasks back after this). Tests shorten it to see that happen.
    visibility_timeout: int = 2 * 3600
    # How long Redis keeps an order's facts after their last change; afterwards B1's key table answers.
    order_state_days: int = 45
    # How long an order's trail (`shopb1 order`'s "connector, in time order") keeps the order's hash after its last
    # entry. The trail is a field of that hash, which the state's own writes keep `order_state_days`: this matters
    # for an order that has a trail and no state. At most the state's days.
    trail_days: int = 14
    # Seconds a customers/* webhook waits before its customer is compared with the partner: the order that made
    # Shopify send it books (and marks) the partner first, so the comparison costs nothing.
    customer_sync_delay: float = 20.0
    # When (HH:MM, the shop's time) the morning report checks the day before against B1.
    daily_report_at: str = "07:00"

    def __post_init__(self) -> None:
        if self.visibility_timeout < 1:
            raise SettingsError(f"SHOPB1_CELERY_VISIBILITY_TIMEOUT must be positive, got {self.visibility_timeout!r}")
        if not 0 <= self.customer_sync_delay < self.visibility_timeout:
            raise SettingsError(
                f"SHOPB1_CUSTOMER_SYNC_DELAY must be 0 or more and below SHOPB1_CELERY_VISIBILITY_TIMEOUT, got "
                f"{self.customer_sync_delay!r}"
            )
        if self.order_state_days < 1:
            raise SettingsError(f"SHOPB1_ORDER_STATE_DAYS must be 1 or more, got {self.order_state_days!r}")
        if not 1 <= self.trail_days <= self.order_state_days:
            raise SettingsError(
                f"SHOPB1_TRAIL_DAYS must be 1 to SHOPB1_ORDER_STATE_DAYS ({self.order_state_days}), got "
                f"{self.trail_days!r}"
            )
        try:
            time.fromisoformat(self.daily_report_at)
        except ValueError:
            raise SettingsError(
                f"SHOPB1_DAILY_REPORT_AT must be a time of day as HH:MM, got {self.daily_report_at!r}"
            ) from None

    @property
    def lease_seconds(self) -> int:
        """An order's synchronisation lease: longer than a normal synchronisation; if it dies, the next event or
        the sweep takes over after this. A canvas can die without failing (so without its errback releasing the
        order): a worker SIGKILLed between popping a message and recording it as unacknowledged loses that
        message, a gap of kombu's Redis transport. A killed worker's other messages come back after one
        visibility timeout, so three of them leave a live synchronisation time to finish; at most 10 minutes."""
        return min(600, 3 * self.visibility_timeout)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PipelineSettings:
        env = EnvReader(environ)
        return cls(
            visibility_timeout=env.integer("SHOPB1_CELERY_VISIBILITY_TIMEOUT", cls.visibility_timeout),
            order_state_days=env.integer("SHOPB1_ORDER_STATE_DAYS", cls.order_state_days),
            trail_days=env.integer("SHOPB1_TRAIL_DAYS", cls.trail_days),
            customer_sync_delay=env.number("SHOPB1_CUSTOMER_SYNC_DELAY", cls.customer_sync_delay),
            daily_report_at=env.text("SHOPB1_DAILY_REPORT_AT", cls.daily_report_at),
        )


@dataclass(frozen=True)
class FulfilmentSettings:
    """How often B1's deliveries are looked at for the fulfilments they make in Shopify."""

    # A delivery added in B1 reaches Shopify within about this many seconds.
    poll_interval: float = 60.0
    # Each poll reads again what changed this long before its checkpoint (late commits, clocks apart).
    poll_overlap: float = 120.0
    page_size: int = 100

    def __post_init__(self) -> None:
        if self.poll_interval <= 0:
            raise SettingsError(f"SHOPB1_FULFILMENT_POLL_INTERVAL must be positive, got {self.poll_interval!r}")
        if self.poll_overlap < 0:
            raise SettingsError(f"SHOPB1_FULFILMENT_POLL_OVERLAP must be 0 or more, got {self.poll_overlap!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> FulfilmentSettings:
        env = EnvReader(environ)
        return cls(
            poll_interval=env.number("SHOPB1_FULFILMENT_POLL_INTERVAL", cls.poll_interval),
            poll_overlap=env.number("SHOPB1_FULFILMENT_POLL_OVERLAP", cls.poll_overlap),
        )
