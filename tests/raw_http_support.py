"""The local API server on raw sockets: a connection from a chosen loopback address, a POST
/predict head written by hand (so a test controls when, and whether, the body follows), and the
status line read back. Shared by tests/test_server_limits.py and tests/test_server_doors.py."""

from __future__ import annotations

import json
import socket

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.service_fixtures import ApiServer

PAYLOAD = json.dumps({"data": LaptopSpec.default().to_payload()["data"]}).encode()


def connect(server: ApiServer, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", server.port), timeout=10, source_address=(source, 0)
    )


def head(length: int, key: str = "") -> bytes:
    """The head of a POST /predict of ``length`` bytes; no ``x-api-key`` line when ``key`` is
    empty."""
    key_line = f"x-api-key: {key}\r\n" if key else ""
    return (
        f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n{key_line}"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def status_line(sock: socket.socket) -> str:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()
