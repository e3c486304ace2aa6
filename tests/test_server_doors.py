"""Issue 21 item 15 on raw sockets: clients without a key cannot lock keyed ones out.

The key is checked from the headers before any body is read, the body is capped at 16 KiB,
one client address holds at most ``--max-connections-per-client`` connections (the whole
127.0.0.0/8 is loopback on Linux: 127.0.0.2 plays the other client), and without
``PRICING_API_KEYS`` the server will not listen off loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.browser_support import REPO_ROOT
from tests.raw_http_support import PAYLOAD, connect, head, status_line
from tests.service_fixtures import ApiServer, post_predict

KEY = "doors-test-key"


def test_a_request_without_a_key_is_refused_before_its_body_arrives(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "PRICING_API_KEYS": KEY}
    with ApiServer(tmp_path, env, ["--body-timeout", "30"]) as server, connect(server) as sock:
        sock.sendall(head(len(PAYLOAD)) + PAYLOAD[:10])  # the rest never comes
        assert status_line(sock) == "HTTP/1.1 403 Forbidden"  # not 408 after 30 s


def test_slow_bodies_without_a_key_do_not_lock_out_a_keyed_client(tmp_path: Path) -> None:
    """The issue's attack, scaled down: more unkeyed slow-body connections than the whole
    server's limit, from one address; a keyed client from another still gets its price."""
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "PRICING_API_KEYS": KEY}
    args = ["--max-connections", "8", "--max-connections-per-client", "4"]
    args += ["--header-timeout", "30", "--body-timeout", "30"]
    with ApiServer(tmp_path, env, args) as server, contextlib.ExitStack() as stack:
        answers = []
        for _ in range(10):
            sock = stack.enter_context(connect(server, "127.0.0.2"))
            sock.sendall(head(len(PAYLOAD)) + PAYLOAD[:10])
            answers.append(status_line(sock))
        assert set(answers) <= {"HTTP/1.1 403 Forbidden", "HTTP/1.1 503 Service Unavailable"}
        with requests.Session() as session:
            answer = post_predict(session, server.url, LaptopSpec.default(), KEY)
            assert answer.status_code == 200


def test_one_address_holds_at_most_its_share_of_connections(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log")}
    args = ["--max-connections-per-client", "3", "--header-timeout", "30"]
    with ApiServer(tmp_path, env, args) as server, contextlib.ExitStack() as stack:
        for _ in range(3):  # idle: no request line yet
            stack.enter_context(connect(server, "127.0.0.2"))
        with connect(server, "127.0.0.2") as sock:
            sock.sendall(head(len(PAYLOAD)) + PAYLOAD)
            assert status_line(sock) == "HTTP/1.1 503 Service Unavailable"
        with connect(server, "127.0.0.1") as sock:  # another address is served
            sock.sendall(head(len(PAYLOAD)) + PAYLOAD)
            assert status_line(sock) == "HTTP/1.1 200 OK"


def test_a_body_over_16_kib_is_refused(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "PRICING_API_KEYS": KEY}
    with ApiServer(tmp_path, env) as server:
        big = json.dumps({"data": {"brand": "dell"}, "pad": "x" * 17_000}).encode()
        with connect(server) as sock:
            sock.sendall(head(len(big), KEY))
            assert status_line(sock) == "HTTP/1.1 413 Request Entity Too Large"


def test_without_keys_the_server_refuses_to_listen_off_loopback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_API_")}
    env["PREDICTIONS_DIR"] = str(tmp_path / "log")
    command = [sys.executable, "-m", "laptop_pricing.api.server", "--host", "0.0.0.0"]
    done = subprocess.run(
        command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "PRICING_API_KEYS" in line and "0.0.0.0" in line
    assert "Traceback" not in done.stderr
