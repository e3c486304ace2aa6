"""The local API server against slow, greedy and vanishing clients, on raw sockets on 127.0.0.1:
a client gone mid-body is one log line, slow headers and bodies are cut off, an oversized body is
refused before it spends quota, and connections past the limit get 503."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.raw_http_support import PAYLOAD, connect, head, status_line
from tests.service_fixtures import ApiServer, post_predict
from tests.waiting_support import wait_until

KEY = "limits-test-key"


def test_a_client_gone_mid_body_leaves_no_traceback(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "PRICING_API_KEYS": KEY}
    with ApiServer(tmp_path, env) as server:
        for _ in range(3):
            with connect(server) as sock:
                sock.sendall(head(len(PAYLOAD), KEY) + PAYLOAD[:20])
        with requests.Session() as session:  # still serving
            assert post_predict(session, server.url, LaptopSpec.default(), KEY).status_code == 200
        server.stop()
        output = server.output()
    assert "Traceback" not in output and "Exception in ASGI" not in output, output
    assert "client disconnected before sending the whole body" in output


def test_slow_headers_are_cut_off_and_a_slow_body_gets_408(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "PRICING_API_KEYS": KEY}
    args = ["--header-timeout", "1", "--body-timeout", "1"]
    with ApiServer(tmp_path, env, args) as server:
        with connect(server) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            started = time.monotonic()
            assert sock.recv(4096) == b""  # the server closed it
            assert time.monotonic() - started < 8
        with connect(server) as sock:
            sock.sendall(head(len(PAYLOAD), KEY) + PAYLOAD[:20])  # the rest never comes
            assert status_line(sock) == "HTTP/1.1 408 Request Timeout"
        with requests.Session() as session:  # a prompt client is not affected
            assert post_predict(session, server.url, LaptopSpec.default(), KEY).status_code == 200
    assert "Traceback" not in server.output()


def test_an_oversized_body_is_refused_before_it_spends_quota(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "PRICING_API_KEYS": KEY}
    args = ["--quota", "1", "--rate", "1000", "--burst", "1000"]
    with ApiServer(tmp_path, env, args) as server:
        with connect(server) as sock:  # declared too large: refused before any byte of body
            sock.sendall(head(2 * 1024 * 1024, KEY))
            assert status_line(sock) == "HTTP/1.1 413 Request Entity Too Large"
        with connect(server) as sock:  # chunked, no length: refused once past 1 MiB
            sock.sendall(
                f"POST /predict HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            chunk = b"x" * 65536
            try:
                for _ in range(20):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass  # the server may close while we are still sending
            assert status_line(sock) == "HTTP/1.1 413 Request Entity Too Large"
        with requests.Session() as session:  # the day's one request is still there
            assert post_predict(session, server.url, LaptopSpec.default(), KEY).status_code == 200
            assert post_predict(session, server.url, LaptopSpec.default(), KEY).status_code == 429


def test_connections_past_the_limit_get_503(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log")}
    args = ["--max-connections", "3", "--header-timeout", "30"]
    with ApiServer(tmp_path, env, args) as server:
        idle = [connect(server) for _ in range(3)]

        def refused() -> bool:  # once the server holds the three idle connections
            with connect(server) as sock:
                sock.sendall(head(len(PAYLOAD)) + PAYLOAD)
                return status_line(sock) == "HTTP/1.1 503 Service Unavailable"

        try:
            assert wait_until(refused, 10, 0.1)
        finally:
            for sock in idle:
                sock.close()
        with requests.Session() as session:  # once they are gone, requests pass again
            passed = wait_until(
                lambda: post_predict(session, server.url, LaptopSpec.default()).status_code == 200,
                10,
                0.1,
            )
            assert passed
