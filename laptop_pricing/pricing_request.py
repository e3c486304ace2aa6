"""The body a pricing request sends: the one place that says what goes beside ``data``."""

from __future__ import annotations

from typing import Any

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.store_id import STORE_ID_FIELD
from laptop_pricing.trade_in.condition import PAYLOAD_KEY, Condition


def request_payload(
    spec: LaptopSpec,
    *,
    explain: bool = False,
    comparables: bool = False,
    condition: Condition | None = None,
    store_id: str | None = None,
) -> dict[str, Any]:
    """The course's ``{"data": {...}}``, plus beside it: ``"explain": true`` and
    ``"comparables": true`` when asked, the laptop's ``condition`` for a trade-in offer, and
    ``store_id`` (the store of a chain that prices). Nothing about who asks (no e-mail, name
    or token): the request log must not keep it."""
    payload: dict[str, Any] = spec.to_payload()
    if condition is not None:
        payload[PAYLOAD_KEY] = condition.as_dict()
    if explain:
        payload["explain"] = True
    if comparables:
        payload["comparables"] = True
    if store_id:
        payload[STORE_ID_FIELD] = store_id
    return payload
