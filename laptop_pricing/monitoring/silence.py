"""Silence is an alert: a store of the chain that priced nothing in its last N business hours.

A store is known from its requests in the days read (``SilenceRule.window_days``); its silence
is measured back from ``now`` over business hours only (Brasília time, ``business_hours``), so
a night or the hours before opening never count: 4 business hours at 10:00 reach back to
16:00 of the day before. Rows written before stores existed count for the default store.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.monitoring.alert_rules import SilenceRule
from laptop_pricing.store_id import DEFAULT_STORE_ID

SILENCE = "silence"


def silence_start(rule: SilenceRule, now: datetime) -> datetime:
    """The start of the earliest of the last ``rule.hours`` business hours before ``now``
    (an hour under way counts only for its part before ``now``)."""
    opening, closing = rule.opening
    local = now.astimezone(BRASILIA)
    hour_start = local.replace(minute=0, second=0, microsecond=0)
    counted = 0
    while True:
        if opening <= hour_start.hour < closing:
            counted += 1
            if counted >= rule.hours:
                return hour_start
        hour_start -= timedelta(hours=1)


def silent_stores(rule: SilenceRule, requests: pd.DataFrame, now: datetime) -> dict[str, datetime]:
    """Each known store with no request since ``silence_start``: its last request's time."""
    if requests.empty or not rule.enabled:
        return {}
    stores = (
        requests[log_columns.STORE_ID_COLUMN].astype("string").fillna(DEFAULT_STORE_ID)
        if log_columns.STORE_ID_COLUMN in requests
        else pd.Series(DEFAULT_STORE_ID, index=requests.index, dtype="string")
    )
    stores = stores.mask(stores == "", DEFAULT_STORE_ID)
    last = requests[log_columns.TIMESTAMP_COLUMN].groupby(stores.to_numpy()).max()
    start = silence_start(rule, now)
    return {
        str(store): moment.to_pydatetime()
        for store, moment in last.items()
        if moment < pd.Timestamp(start)
    }


def silence_messages(rule: SilenceRule, silent: dict[str, datetime]) -> list[str]:
    """One pt-BR line per silent store, naming it and its last request (Brasília time)."""
    return [
        f"Loja {store} sem nenhum pedido nas últimas {rule.hours} horas de funcionamento "
        f"({rule.business_hours}h); o último foi em "
        f"{moment.astimezone(BRASILIA):%d/%m/%Y às %H:%M}. Confira o tablet, a chave da API "
        "e o registro de pedidos da loja."
        for store, moment in sorted(silent.items())
    ]
