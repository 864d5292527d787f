"""Network honesty (issue 11, item 7): TLS trust and its real cause, a dead proxy named as the
proxy, and a dropped connection failing only the test it happened in."""

from __future__ import annotations

import socket
import ssl
import xml.etree.ElementTree as ET  # our own report files, not untrusted input
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from suite_gateway import Gateway, PathContains
from suite_runner import run_suite

from devtune_contract.server.embedded import EmbeddedServer
from devtune_contract.suite.engine.ledger import RED
from devtune_contract.suite.engine.unanswered import AnswerLost

# Each test here runs the whole suite, a build or a type check: seconds each.
pytestmark = pytest.mark.slow

UNREACHABLE = 8


@pytest.fixture
def tls_gateway(server: EmbeddedServer, tmp_path: Path) -> Iterator[tuple[Gateway, Path]]:
    """The server behind TLS with a certificate of a private CA, and that CA's PEM file."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    gateway = Gateway(server.server.port, tls=context)
    yield gateway, ca_file
    gateway.close()


def test_tls_failure_says_its_cause_and_the_fix(
    server: EmbeddedServer, tls_gateway: tuple[Gateway, Path], tmp_path: Path
) -> None:
    gateway, _ = tls_gateway
    environment = {**server.environment(), "DEVTUNE_BASE_URL": gateway.base_url()}
    run = run_suite(environment, tmp_path, unset=("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"))
    assert run.returncode == UNREACHABLE
    assert "unable to get local issuer certificate" in run.output
    assert "REQUESTS_CA_BUNDLE or SSL_CERT_FILE" in run.output


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_tls_trust_follows_the_ca_variables(
    server: EmbeddedServer, tls_gateway: tuple[Gateway, Path], tmp_path: Path, variable: str
) -> None:
    gateway, ca_file = tls_gateway
    environment = {
        **server.environment(),
        "DEVTUNE_BASE_URL": gateway.base_url(),
        "DEVTUNE_PROBE": "off",
        variable: str(ca_file),
    }
    run = run_suite(environment, tmp_path, unset=("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"))
    assert run.returncode == 0, run.output[-3000:]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_dead_proxy_is_named_as_the_proxy(server: EmbeddedServer, tmp_path: Path) -> None:
    proxy = f"http://127.0.0.1:{closed_port()}"
    environment = {**server.environment(), "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy}
    run = run_suite(environment, tmp_path, unset=("NO_PROXY", "no_proxy", "http_proxy"))
    assert run.returncode == UNREACHABLE
    assert f"the proxy {proxy} failed" in run.output


def test_a_dropped_connection_fails_only_its_own_test(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    """Was: one dropped connection failed every remaining test."""
    gateway = Gateway(server.server.port, drop=PathContains(b"/webhooks/not-a-uuid/"))
    try:
        environment = {
            **server.environment(),
            "DEVTUNE_BASE_URL": gateway.base_url(),
            "DEVTUNE_PROBE": "off",
        }
        run = run_suite(environment, tmp_path)
    finally:
        gateway.close()
    assert run.returncode == 1
    red = {n: s["verdict"] for n, s in run.summary["scenarios"].items() if s["verdict"] in RED}
    assert red == {"test_malformed_ids_get_a_documented_4xx[webhookId-word]": "error"}
    detail = run.summary["scenarios"]["test_malformed_ids_get_a_documented_4xx[webhookId-word]"]
    assert detail["detail"] == (
        f"{AnswerLost.name}: {gateway.base_url('')} connection dropped before the response "
        "was complete"
    )
    # In the JUnit it is an error (the network failed), not a contract failure.
    root = ET.parse(tmp_path / "contract-junit.xml").getroot()  # noqa: S314 (our own file)
    errors = [case.get("name") for case in root.iter("testcase") if case.find("error") is not None]
    assert errors == ["test_malformed_ids_get_a_documented_4xx[webhookId-word]"]
    assert not [case for case in root.iter("testcase") if case.find("failure") is not None]
