"""A deadline for each request's line and headers, and a cap on connections per client address,
neither of which uvicorn has.

uvicorn's keep-alive timer runs only between requests and stops at the first byte, so a client
sending half a request line would hold a connection (and a slot under the server's connection
limit) forever. Its connection limit is global, so one address could hold every slot: past
``max_per_client`` open connections from one address, a new one is answered 503 and closed.
Imported only when the local server starts (uvicorn is not in the Lambda image).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from uvicorn.protocols.http.h11_impl import H11Protocol

from laptop_pricing.api import telemetry

BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"content-length: 35\r\nconnection: close\r\n\r\n"
    b'{"message": "Service Unavailable"}\n'
)


def header_timeout_protocol(
    header_timeout: float, max_per_client: int | None = None
) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol whose connections close when a request's headers take longer than
    ``header_timeout`` seconds: the timer runs while a connection waits for headers and stops
    when a request starts. ``max_per_client``: open connections one address may hold."""
    open_by_client: Counter[str] = Counter()
    guard = threading.Lock()

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None
        _client: str | None = None

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                telemetry.logger.info("connection closed: request headers too slow")
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
            with guard:
                crowded = max_per_client is not None and open_by_client[client] >= max_per_client
                if not crowded:
                    open_by_client[client] += 1
                    self._client = client
            if crowded:
                telemetry.logger.info("connection refused: too many from one client address")
                transport.write(BUSY)
                transport.close()
                return
            self._arm()

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not before:  # a request line and its headers arrived
                self._disarm()

        def on_response_complete(self) -> None:
            self._arm()  # before super(): a pipelined request it starts disarms it again
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._client is not None:
                with guard:
                    open_by_client[self._client] -= 1
                    if open_by_client[self._client] <= 0:
                        del open_by_client[self._client]
                self._client = None
            super().connection_lost(exc)

    return HeaderTimeoutProtocol
