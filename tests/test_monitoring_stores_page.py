"""Monitoramento for a chain through AppTest: an owner limited to one store reads only that
store's requests, offers and outcomes (the Lojas filter offers nothing else), a chain owner
reads the whole chain and can narrow it to one store."""

from __future__ import annotations

import zlib
from pathlib import Path

import pandas as pd
import pytest

from components import business_data, monitoring_data
from components.store_filter import LABEL as STORE_FILTER_LABEL
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.store_id import STORE_ID_FIELD
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH
from tests.app_fixtures import OWNER, app
from tests.monitoring_fixtures import week_up_to_today

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")
REQUESTS_LABEL = "Pedidos no período"


def store_for(key: str) -> str:
    return "centro" if zlib.crc32(key.encode()) % 2 else "sul"


def two_stores(folder: Path) -> dict[str, int]:
    """The week of ``week_up_to_today``, each request and outcome given to centro or sul (by its
    quote id, so a quote and its outcomes share a store); the requests each store got."""
    week_up_to_today(folder, acceptance=0.7)
    counts = {"centro": 0, "sul": 0}
    for path in folder.rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        keys = frame["quote_id"] if "quote_id" in frame else pd.Series(frame.index.astype(str))
        keys = [k or str(i) for i, k in enumerate(keys)]
        frame[STORE_ID_FIELD] = [store_for(k) for k in keys]
        frame.to_csv(path, index=False)
        if "prediction" in path.name:
            for store in frame[STORE_ID_FIELD]:
                counts[store] += 1
    return counts


def policies(folder: Path) -> Path:
    policy_folder = folder / "policies"
    policy_folder.mkdir()
    text = DEFAULT_POLICY_PATH.read_text()
    for name in ("default", "centro", "sul"):
        (policy_folder / f"{name}.toml").write_text(text)
    return policy_folder


def requests_shown(at) -> str:
    return next(m.value for m in at.metric if m.label == REQUESTS_LABEL)


def test_an_owner_of_one_store_reads_only_that_store(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = two_stores(clean_env / "predictions")
    secrets = {"OWNER-EMAILS": f"{OWNER}=centro", "POLICY-PATH": str(policies(clean_env))}
    reads = []

    def recorded(*args, **kwargs):  # the real reader, its scope and rows noted
        result = read_log(*args, **kwargs)
        reads.append((kwargs.get("stores"), set(result.rows[STORE_ID_FIELD].astype(str))))
        return result

    outcome_reads = []

    def outcomes_recorded(*args, **kwargs):  # the real outcome reader, likewise
        result = read_outcomes(*args, **kwargs)
        stores = set(result.outcomes[STORE_ID_FIELD].astype(str))
        outcome_reads.append((kwargs.get("stores"), stores, len(result.outcomes)))
        return result

    monkeypatch.setattr(monitoring_data, "read_log", recorded)
    monkeypatch.setattr(business_data, "read_outcomes", outcomes_recorded)
    at = app(secrets, user=OWNER, url_path="monitoring")
    assert not at.exception, [e.value for e in at.exception]
    assert reads and all(read == ({"centro"}, {"centro"}) for read in reads)  # never Sul's rows
    assert outcome_reads and all(read[:2] == ({"centro"}, {"centro"}) for read in outcome_reads)
    assert max(count for _, _, count in outcome_reads) > 0  # Centro's outcomes, and only those
    assert requests_shown(at) == f"{counts['centro']:,}".replace(",", ".")
    lojas = next(w for w in at.multiselect if w.label == STORE_FILTER_LABEL)
    assert lojas.options == ["Centro"] and lojas.value == ["centro"]


def test_a_chain_owner_reads_the_chain_then_one_store(clean_env: Path) -> None:
    counts = two_stores(clean_env / "predictions")
    at = app({"POLICY-PATH": str(policies(clean_env))}, user=OWNER, url_path="monitoring")
    assert not at.exception, [e.value for e in at.exception]
    assert requests_shown(at) == f"{counts['centro'] + counts['sul']:,}".replace(",", ".")
    lojas = next(w for w in at.multiselect if w.label == STORE_FILTER_LABEL)
    assert {"Centro", "Sul"} <= set(lojas.options) and lojas.value == []
    at = lojas.set_value(["sul"]).run()
    assert not at.exception
    assert requests_shown(at) == f"{counts['sul']:,}".replace(",", ".")
