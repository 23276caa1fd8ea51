"""Emulators started with their own flags: a short idle timeout, and HTTPS with a self-signed certificate."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connector.sapb1 import ServiceLayerClient, ServiceLayerError
from connector.testing.processes import free_port, running, shopb1
from tests.support.sapb1 import EmulatedServiceLayer

IDLE_SECONDS = 1.5


@pytest.fixture(scope="module")
def short_lived_sessions() -> Iterator[EmulatedServiceLayer]:
    port = free_port()
    command = shopb1("emulate", "sapb1", "--port", str(port), "--session-idle-seconds", str(IDLE_SECONDS))
    with running("sapb1-short-sessions", command, port=port) as process:
        yield EmulatedServiceLayer(process, port)


def login(emulator: EmulatedServiceLayer) -> requests.Session:
    http = requests.Session()
    response = http.post(
        f"{emulator.service_root(2)}/Login",
        json={"CompanyDB": "SHOPB1_DEMO", "UserName": "manager", "Password": "manager"},
        timeout=10,
    )
    response.raise_for_status()
    return http


def test_each_request_extends_the_session_and_idleness_ends_it(
    short_lived_sessions: EmulatedServiceLayer,
) -> None:
    http = login(short_lived_sessions)
    url = f"{short_lived_sessions.service_root(2)}/Items/$count"
    for _ in range(6):  # 6 x 0.5 s: twice the idle timeout, yet never idle that long
        time.sleep(IDLE_SECONDS / 3)
        assert http.get(url, timeout=10).status_code == 200
    time.sleep(IDLE_SECONDS + 0.3)
    expired = http.get(url, timeout=10)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "301"


def test_client_logs_in_again_after_idle_expiry(short_lived_sessions: EmulatedServiceLayer) -> None:
    short_lived_sessions.reset()
    client = ServiceLayerClient(short_lived_sessions.settings(2))
    assert client.count("Items") == 24
    time.sleep(IDLE_SECONDS + 0.3)
    assert client.count("Items") == 24
    assert short_lived_sessions.stats()["logins"] == 2


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, like the one a Service Layer installs by default."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "sl.crt", folder / "sl.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def https_emulator(certificate: tuple[Path, Path]) -> Iterator[EmulatedServiceLayer]:
    cert, key = certificate
    port = free_port()
    command = shopb1("emulate", "sapb1", "--port", str(port), "--certfile", str(cert), "--keyfile", str(key))
    with running("sapb1-https", command, port=port) as process:
        yield EmulatedServiceLayer(process, port, scheme="https")


def test_self_signed_certificate_is_refused_by_default_with_a_clear_message(
    https_emulator: EmulatedServiceLayer,
) -> None:
    client = ServiceLayerClient(https_emulator.settings(2))
    with pytest.raises(ServiceLayerError) as caught:
        client.count("Items")
    assert "SHOPB1_SAP_CA_BUNDLE" in str(caught.value)
    assert https_emulator.stats()["logins"] == 0


def test_ca_bundle_setting_trusts_the_service_layer_certificate(
    https_emulator: EmulatedServiceLayer, certificate: tuple[Path, Path]
) -> None:
    cert, _ = certificate
    client = ServiceLayerClient(https_emulator.settings(2, ca_bundle=cert))
    assert client.count("Items") == 24
