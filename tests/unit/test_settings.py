"""Settings come from SHOPB1_* variables; a bad value is refused at once, naming the variable."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from connector.settings import EnvReader, RedisSettings, ServiceLayerSettings, SettingsError, ShopifySettings
from workers.celery_app import celery_config


def test_defaults_point_at_the_local_emulator_demo_company():
    settings = ServiceLayerSettings.from_env({})

    assert settings.url == "http://127.0.0.1:50000/b1s/v2"
    assert (settings.company, settings.user, settings.password) == ("SHOPB1_DEMO", "manager", "manager")
    assert settings.language is None
    assert settings.verify is True
    assert settings.timeout == (5.0, 60.0)
    assert (settings.read_retries, settings.page_size) == (3, 100)


def test_every_variable_is_read(tmp_path):
    bundle = tmp_path / "sl.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = ServiceLayerSettings.from_env(
        {
            "SHOPB1_SAP_URL": "https://b1.example.com:50000/b1s/v1/",
            "SHOPB1_SAP_COMPANY": "SBODEMOUS",
            "SHOPB1_SAP_USER": "shopify",
            "SHOPB1_SAP_PASSWORD": "pw",
            "SHOPB1_SAP_LANGUAGE": "23",
            "SHOPB1_SAP_CA_BUNDLE": str(bundle),
            "SHOPB1_SAP_CONNECT_TIMEOUT": "2.5",
            "SHOPB1_SAP_READ_TIMEOUT": "90",
            "SHOPB1_SAP_READ_RETRIES": "0",
            "SHOPB1_SAP_PAGE_SIZE": "500",
        }
    )

    assert settings.url == "https://b1.example.com:50000/b1s/v1"
    assert (settings.service_root_path, settings.odata_version) == ("/b1s/v1", "v1")
    assert (settings.company, settings.user, settings.password, settings.language) == (
        "SBODEMOUS",
        "shopify",
        "pw",
        23,
    )
    assert settings.verify == str(bundle)
    assert settings.timeout == (2.5, 90.0)
    assert (settings.read_retries, settings.page_size) == (0, 500)


@pytest.mark.parametrize("url", ["http://sl:50000/b1s/v2", "http://sl:50000/b1s/v2/", "http://sl:50000/b1s/v2//"])
def test_url_is_accepted_with_or_without_trailing_slash(url):
    assert ServiceLayerSettings.from_env({"SHOPB1_SAP_URL": url}).url == "http://sl:50000/b1s/v2"


@pytest.mark.parametrize("url", ["http://sl:50000/b1s", "http://sl:50000/b1s/v3", "sl:50000/b1s/v2", "ftp://sl/b1s/v1"])
def test_url_that_is_not_a_service_root_is_refused(url):
    with pytest.raises(SettingsError, match="SHOPB1_SAP_URL"):
        ServiceLayerSettings.from_env({"SHOPB1_SAP_URL": url})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOPB1_SAP_READ_TIMEOUT", "abc", "SHOPB1_SAP_READ_TIMEOUT must be a number, got 'abc'"),
        (
            "SHOPB1_SAP_CONNECT_TIMEOUT",
            "nan",
            "SHOPB1_SAP_CONNECT_TIMEOUT must be a finite number, got 'nan'",
        ),
        ("SHOPB1_SAP_READ_TIMEOUT", "0", "SHOPB1_SAP_READ_TIMEOUT must be positive"),
        ("SHOPB1_SAP_READ_RETRIES", "three", "SHOPB1_SAP_READ_RETRIES must be an integer, got 'three'"),
        ("SHOPB1_SAP_READ_RETRIES", "-1", "SHOPB1_SAP_READ_RETRIES must be 0 or more"),
        ("SHOPB1_SAP_PAGE_SIZE", "0", "SHOPB1_SAP_PAGE_SIZE must be 1 or more"),
        ("SHOPB1_SAP_LANGUAGE", "en", "SHOPB1_SAP_LANGUAGE must be an integer, got 'en'"),
        ("SHOPB1_SAP_VERIFY_TLS", "maybe", "SHOPB1_SAP_VERIFY_TLS must be true or false, got 'maybe'"),
        ("SHOPB1_SAP_PASSWORD", "", "SHOPB1_SAP_PASSWORD must not be empty"),
        ("SHOPB1_SAP_CA_BUNDLE", "/no/such/file.pem", "SHOPB1_SAP_CA_BUNDLE must name a readable file"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name, value, message):
    with pytest.raises(SettingsError) as raised:
        ServiceLayerSettings.from_env({name: value})

    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("0", False), ("No", False), ("TRUE", True)])
def test_tls_verification_switch_reads_common_spellings(value, expected):
    assert ServiceLayerSettings.from_env({"SHOPB1_SAP_VERIFY_TLS": value}).verify is expected


def test_ca_bundle_with_verification_switched_off_is_contradictory(tmp_path):
    bundle = tmp_path / "sl.pem"
    bundle.write_text("x")

    with pytest.raises(SettingsError, match="SHOPB1_SAP_CA_BUNDLE"):
        ServiceLayerSettings.from_env({"SHOPB1_SAP_CA_BUNDLE": str(bundle), "SHOPB1_SAP_VERIFY_TLS": "false"})


def test_empty_optional_values_count_as_unset():
    settings = ServiceLayerSettings.from_env({"SHOPB1_SAP_LANGUAGE": "", "SHOPB1_SAP_CA_BUNDLE": " "})

    assert (settings.language, settings.ca_bundle) == (None, None)


def test_repr_never_shows_the_password():
    settings = ServiceLayerSettings.from_env({"SHOPB1_SAP_PASSWORD": "hunter2-very-secret"})

    assert "hunter2-very-secret" not in repr(settings)
    assert "hunter2-very-secret" not in str(settings)
    assert "SHOPB1_DEMO" in repr(settings)


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        ServiceLayerSettings().password = "x"  # type: ignore[misc]


def test_env_reader_serves_other_settings_modules_too():
    env = EnvReader({"SHOPB1_X": " 7 ", "SHOPB1_Y": "on"})

    assert env.integer("SHOPB1_X", 1) == 7
    assert env.flag("SHOPB1_Y", False) is True
    assert env.text("SHOPB1_Z", "fallback") == "fallback"


def test_service_layer_requests_are_unlimited_unless_a_maximum_is_set():
    assert ServiceLayerSettings.from_env({}).max_concurrent == 0
    assert ServiceLayerSettings.from_env({"SHOPB1_SAP_MAX_CONCURRENT": "8"}).max_concurrent == 8
    with pytest.raises(SettingsError, match="SHOPB1_SAP_MAX_CONCURRENT"):
        ServiceLayerSettings.from_env({"SHOPB1_SAP_MAX_CONCURRENT": "-1"})


def test_catalog_intervals_and_page_size_are_read_and_checked():
    from connector.settings import CatalogSettings

    defaults = CatalogSettings.from_env({})
    assert (defaults.poll_interval, defaults.poll_overlap, defaults.stock_sweep_interval, defaults.page_size) == (
        60.0, 120.0, 900.0, 100,
    )  # fmt: skip
    tuned = CatalogSettings.from_env({"SHOPB1_CATALOG_POLL_INTERVAL": "15", "SHOPB1_CATALOG_PAGE_SIZE": "250"})
    assert (tuned.poll_interval, tuned.page_size) == (15.0, 250)
    for name, value in [("SHOPB1_CATALOG_POLL_INTERVAL", "0"), ("SHOPB1_CATALOG_STOCK_SWEEP_INTERVAL", "-5"),
                        ("SHOPB1_CATALOG_POLL_OVERLAP", "-1"), ("SHOPB1_CATALOG_PAGE_SIZE", "501")]:  # fmt: skip
        with pytest.raises(SettingsError, match=name):
            CatalogSettings.from_env({name: value})


def test_a_real_shop_gets_no_demo_app_secret():
    settings = ShopifySettings.from_env({"SHOPB1_SHOPIFY_SHOP": "example-outdoor.myshopify.com"})
    with pytest.raises(SettingsError, match="SHOPB1_SHOPIFY_APP_SECRET must be set"):
        settings.webhook_secrets  # noqa: B018


def test_the_demo_secret_signs_for_the_demo_shop_only():
    assert ShopifySettings.from_env({}).webhook_secrets == ("shopb1_demo_app_secret",)
    for variable in ("SHOPB1_SHOPIFY_APP_SECRET", "SHOPB1_SHOPIFY_PREVIOUS_APP_SECRET"):
        environ = {"SHOPB1_SHOPIFY_SHOP": "example-outdoor.myshopify.com", "SHOPB1_SHOPIFY_APP_SECRET": "own-secret",
                   variable: "shopb1_demo_app_secret"}  # fmt: skip
        with pytest.raises(SettingsError, match="public demo secret"):
            ShopifySettings.from_env(environ).webhook_secrets  # noqa: B018
    own = {"SHOPB1_SHOPIFY_SHOP": "example-outdoor.myshopify.com", "SHOPB1_SHOPIFY_APP_SECRET": "own-secret"}
    assert ShopifySettings.from_env(own).webhook_secrets == ("own-secret",)


def test_redis_over_tls_always_verifies_the_server_and_may_name_a_ca_bundle(tmp_path):
    plain = RedisSettings.from_env({"SHOPB1_REDIS_URL": "rediss://worker:pw@redis.example.com:6380/0"})
    assert plain.url == "rediss://worker:pw@redis.example.com:6380/0?ssl_cert_reqs=required"
    bundle = tmp_path / "redis-ca.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    environ = {"SHOPB1_REDIS_URL": "rediss://worker:pw@redis.example.com:6380/0", "SHOPB1_REDIS_CA_BUNDLE": str(bundle)}
    assert RedisSettings.from_env(environ).url.endswith(
        f"?ssl_cert_reqs=required&ssl_ca_certs={quote(str(bundle), safe='')}"
    )
    # Built again from its own URL (a process passing its settings on), the URL stays the same.
    assert RedisSettings(url=plain.url).url == plain.url


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SHOPB1_REDIS_URL": "rediss://h:6380/0?ssl_cert_reqs=none"}, "must be verified"),
        ({"SHOPB1_REDIS_URL": "redis://h:6379/0", "SHOPB1_REDIS_CA_BUNDLE": "/etc/ca.crt"}, "not a rediss:// URL"),
        ({"SHOPB1_REDIS_URL": "rediss://h:6380/0", "SHOPB1_REDIS_CA_BUNDLE": "/nonexistent.crt"}, "readable file"),
    ],
)
def test_redis_tls_settings_that_would_not_verify_are_refused(environ, message):
    with pytest.raises(SettingsError, match=message):
        RedisSettings.from_env(environ)


def test_redis_sentinel_settings_give_celery_sentinel_urls_with_the_masters_name():
    environ = {"SHOPB1_REDIS_URL": "redis://:s3cret@ignored:6379/2",
               "SHOPB1_REDIS_SENTINELS": "10.0.0.1:26379, sentinel-b:26380,[fd00::3]:26379",
               "SHOPB1_REDIS_SENTINEL_MASTER": "shopb1", "SHOPB1_REDIS_SENTINEL_PASSWORD": "watch"}  # fmt: skip
    settings = RedisSettings.from_env(environ)

    assert settings.sentinels == (("10.0.0.1", 26379), ("sentinel-b", 26380), ("fd00::3", 26379))
    assert settings.celery_url() == (
        "sentinel://:s3cret@10.0.0.1:26379/2;sentinel://:s3cret@sentinel-b:26380/2;sentinel://:s3cret@[fd00::3]:26379/2"
    )
    assert settings.celery_sentinel_options() == {"master_name": "shopb1", "sentinel_kwargs": {"password": "watch"}}
    config = celery_config(settings)
    assert config["broker_transport_options"]["master_name"] == "shopb1"
    assert config["result_backend_transport_options"]["master_name"] == "shopb1"
    # Without sentinels nothing changes.
    plain = RedisSettings.from_env({"SHOPB1_REDIS_URL": "redis://redis:6379/0"})
    assert plain.celery_url() == "redis://redis:6379/0" and plain.celery_sentinel_options() == {}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SHOPB1_REDIS_SENTINELS": "10.0.0.1:26379"}, "go together"),
        ({"SHOPB1_REDIS_SENTINEL_MASTER": "shopb1"}, "go together"),
        ({"SHOPB1_REDIS_SENTINELS": "10.0.0.1", "SHOPB1_REDIS_SENTINEL_MASTER": "shopb1"}, "host:port pairs"),
        ({"SHOPB1_REDIS_SENTINELS": "h:99999", "SHOPB1_REDIS_SENTINEL_MASTER": "shopb1"}, "host:port pairs"),
    ],
)
def test_redis_sentinel_settings_that_cannot_work_are_refused(environ, message):
    with pytest.raises(SettingsError, match=message):
        RedisSettings.from_env(environ)


def test_the_shop_id_is_read_when_set():
    assert ShopifySettings.from_env({}).shop_id is None
    assert ShopifySettings.from_env({"SHOPB1_SHOPIFY_SHOP_ID": "954889"}).shop_id == 954889


def test_an_orders_trail_is_kept_at_most_as_long_as_its_state():
    from connector.settings import PipelineSettings

    assert PipelineSettings.from_env({}).trail_days == 14
    assert PipelineSettings.from_env({"SHOPB1_TRAIL_DAYS": "3"}).trail_days == 3
    for environ in ({"SHOPB1_TRAIL_DAYS": "0"}, {"SHOPB1_ORDER_STATE_DAYS": "7", "SHOPB1_TRAIL_DAYS": "8"}):
        with pytest.raises(SettingsError, match="SHOPB1_TRAIL_DAYS"):
            PipelineSettings.from_env(environ)
