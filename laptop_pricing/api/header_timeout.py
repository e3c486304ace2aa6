"""A deadline for each request's line and headers, which uvicorn does not have.

uvicorn's keep-alive timer runs only between requests and stops at the first byte, so a client
sending half a request line would hold a connection (and a slot under the server's connection
limit) forever. Imported only when the local server starts (uvicorn is not in the Lambda image).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from laptop_pricing.api import telemetry


def header_timeout_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol whose connections close when a request's headers take longer than
    ``header_timeout`` seconds: the timer runs while a connection waits for headers and stops
    when a request starts."""

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

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
            super().connection_lost(exc)

    return HeaderTimeoutProtocol
