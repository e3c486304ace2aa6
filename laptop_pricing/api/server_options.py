"""The local server's command line and environment: flags, the usage plan they make, and the
keys (``PRICING_API_KEYS`` for the app, ``PRICING_OWNER_API_KEYS`` for owners; never flags).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import Any

from laptop_pricing.api.gateway import DEFAULT_BURST, DEFAULT_QUOTA, DEFAULT_RATE, UsagePlan

HEADER_TIMEOUT = 10.0  # seconds for a request line and headers to arrive
BODY_TIMEOUT = 10.0  # seconds for the whole body to arrive once the headers are in
MAX_CONNECTIONS = 256  # open connections (or requests in flight) before answering 503
MAX_CONNECTIONS_PER_CLIENT = 64  # from one address: a quarter of the server; the app is one


def _env_number(name: str, cast: Callable[[str], Any]) -> Any:
    raw = os.environ.get(name, "").strip()
    return cast(raw) if raw else None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.api.server",
        description="Local pricing API: the Lambda handler behind an API Gateway stand-in. "
        "API keys come from the environment variable PRICING_API_KEYS (comma-separated), "
        "never from the command line.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--rate",
        type=float,
        default=_env_number("PRICING_API_RATE", float),
        help=f"requests/second per key, refilled (env PRICING_API_RATE; default {DEFAULT_RATE:g} "
        "when keys are set, unlimited otherwise; 0 = unlimited)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=_env_number("PRICING_API_BURST", int),
        help=f"token-bucket capacity per key (env PRICING_API_BURST; default {DEFAULT_BURST})",
    )
    parser.add_argument(
        "--quota",
        type=int,
        default=_env_number("PRICING_API_QUOTA", int),
        help=f"requests per key per UTC day (env PRICING_API_QUOTA; default {DEFAULT_QUOTA} "
        "when keys are set, unlimited otherwise; 0 = unlimited)",
    )
    parser.add_argument(
        "--timeout", type=float, default=29.0, help="integration timeout in seconds (504 after)"
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_TIMEOUT,
        help="seconds for a request's line and headers to arrive (connection closed after)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=BODY_TIMEOUT,
        help="seconds for a request's body to arrive (408 after)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help="open connections before a request gets 503",
    )
    parser.add_argument(
        "--max-connections-per-client",
        type=int,
        default=MAX_CONNECTIONS_PER_CLIENT,
        help="open connections from one client address before a request gets 503",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn's own log level")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace, keys_set: bool) -> UsagePlan:
    rate = args.rate if args.rate is not None else (DEFAULT_RATE if keys_set else None)
    burst = args.burst if args.burst is not None else (DEFAULT_BURST if keys_set else None)
    quota = args.quota if args.quota is not None else (DEFAULT_QUOTA if keys_set else None)
    return UsagePlan(rate=rate or None, burst=burst or None, quota=quota or None)


def keys_from_env(name: str = "PRICING_API_KEYS") -> list[str]:
    """Comma-separated keys of ``name`` (``PRICING_OWNER_API_KEYS`` for the owners')."""
    return [k.strip() for k in os.environ.get(name, "").split(",") if k.strip()]
