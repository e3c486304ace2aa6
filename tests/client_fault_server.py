"""A small real HTTP server on 127.0.0.1 that answers like the pricing API — or fails like it.

Each path is one behaviour (``/ok``, ``/403``, ``/429``, ``/slow``, ``/wrapped`` ...), so one server
serves every test; ``/handler`` forwards to our Lambda handler with a gateway event. Requests are
recorded (path, headers, body) so tests can check what the client sent, and how many times.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PRICE_BODY = {
    "prediction": 6712,
    "version": "7",
    "currency": "BRL",
    "range": {"low": 5900, "high": 7600, "coverage": 0.8},
}
FIELD_ERRORS_BODY = {
    "message": "Invalid request",
    "errors": [
        {"field": "ram_gb", "value": 252, "reason": "not an allowed value", "allowed": [4, 8]},
        {"field": "processor_name", "value": "ryzen 7", "reason": "not made", "allowed": []},
    ],
}
SLOW_SECONDS = 3.0


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


# path -> (status, headers, body bytes); dynamic behaviours are handled in the handler.
STATIC: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {}, _json(PRICE_BODY)),
    "/ok-minimal": (200, {}, _json({"prediction": 6712.4, "version": "3"})),
    "/wrapped": (200, {}, _json({"statusCode": 200, "body": json.dumps(PRICE_BODY)})),
    "/wrapped-400": (200, {}, _json({"statusCode": 400, "body": json.dumps(FIELD_ERRORS_BODY)})),
    "/inr": (200, {}, _json({"statusCode": 200, "prediction": 51234, "version": "1"})),
    "/403": (403, {}, _json({"message": "Forbidden"})),
    "/401": (401, {}, _json({"message": "Unauthorized"})),
    "/429": (429, {"Retry-After": "30"}, _json({"message": "Too Many Requests"})),
    "/400": (400, {}, _json(FIELD_ERRORS_BODY)),
    "/422": (422, {}, _json(FIELD_ERRORS_BODY)),
    "/500": (500, {}, _json({"message": "Internal server error"})),
    "/502": (502, {}, _json({"message": "Internal server error"})),
    "/503": (503, {}, _json({"message": "Service Unavailable"})),
    "/504": (504, {}, _json({"message": "Endpoint request timed out"})),
    "/not-json": (200, {"Content-Type": "text/html"}, b"<html><body>Bad gateway</body></html>"),
    "/no-prediction": (200, {}, _json({"version": "7", "currency": "BRL"})),
    "/bad-prediction": (200, {}, _json({"prediction": "muito", "version": "7"})),
}


class FaultServer:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.hits[self.path] += 1
                    hit = server.hits[self.path]
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                status, headers, payload = server.answer(self.path, hit, body)
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        return Handler

    def answer(self, path: str, hit: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if path in STATIC:
            return STATIC[path]
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
            return STATIC["/ok"]
        if path == "/429-then-ok":  # throttled once, with a short Retry-After, then priced
            return (429, {"Retry-After": "1"}, b"{}") if hit == 1 else STATIC["/ok"]
        if path == "/503-then-ok":
            return STATIC["/503"] if hit == 1 else STATIC["/ok"]
        if path == "/handler":
            return self._our_handler(body)
        return 404, {}, _json({"message": "Not Found"})

    def _our_handler(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        from laptop_pricing.api.handler import handler
        from laptop_pricing.client import gateway_event

        response = handler(gateway_event(json.loads(body)), None)
        payload = response["body"]
        return response["statusCode"], {}, payload.encode() if isinstance(payload, str) else payload


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()
