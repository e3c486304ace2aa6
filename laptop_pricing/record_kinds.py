"""Every record kind the store holds, for the code that handles all of them (the compactor,
the monitoring page's locations). A new kind is declared by its owner and added here."""

from __future__ import annotations

from collections.abc import Mapping

from laptop_pricing.request_log.kind import PREDICTIONS
from laptop_pricing.storage.layout import RecordKind
from laptop_pricing.trade_in.outcome import OUTCOMES

KINDS: Mapping[str, RecordKind] = {kind.name: kind for kind in (PREDICTIONS, OUTCOMES)}

__all__ = ["KINDS", "OUTCOMES", "PREDICTIONS"]
