"""Issue 21's outcome fuzz, re-run through the local server (real HTTP on 127.0.0.1): random JSON,
huge, control, unicode and customer-data notes, odd amounts, replayed event ids. A seeded,
bounded loop: never a 5xx, and every stored outcome keeps every rule."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from laptop_pricing import free_text
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.outcome import (
    AMOUNT_DECISIONS,
    DECISIONS,
    DECLINED,
    MAX_AMOUNT_FACTOR,
    REASONS,
    amount_band,
)
from tests.service_fixtures import ApiServer

KEY = "fuzz-key"
REQUESTS = 800
CONDITION = {
    "powers_on": True,
    "screen": "scratched",
    "body": "like_new",
    "keyboard_ports": "ok",
    "battery": "normal",
    "charger": True,
    "locks_removed": True,
}
NOTES = [
    "",
    "achou baixo",
    '=HYPERLINK("http://x","y")',
    "a\x00b",
    "x\ud800y",
    "\u202eevil",
    "esc\x1b[2J",
    "linha\nquebrada\tcom tab",
    "ç ã é 日本語 🙂",
    "cpf 529.982.247-25",
    "ligar (11) 98765-4321",
    "x" * 200,
    "x" * 201,
    "y" * 20_000,  # over the 16 KiB body cap: 413
    "\u212aarl",
]
MUTATED = (
    *("quote_id", "event_id", "decision", "amount", "reason", "note", "changed_answer"),
    *("clerk_email", "extra", "offer", "recorded_at"),
)
AMOUNTS: list[Any] = [None, -1, 0, 1, 10.5, 1e308, "12", " 900 ", True, 10**30, "NaN", [], {}]
EMAILS: list[Any] = [None, "ana@loja.com.br", "ANA@LOJA.COM.BR", "\u212aarl@loja.com.br", 7, "x"]


def price(session: requests.Session, url: str) -> tuple[str, int]:
    body = {"data": LaptopSpec.default().to_payload()["data"], "condition": CONDITION}
    answer = session.post(url + "/predict", json=body, headers={"x-api-key": KEY}, timeout=60)
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    return payload["quote_id"], payload["offer"]


def random_body(rng: random.Random, quotes: list[tuple[str, int]], events: list[str]) -> Any:
    """A valid body for a random decision, then 0 to 2 hostile changes (or any JSON at all)."""
    if rng.random() < 0.05:
        return rng.choice([None, [], 3, "x", [{"a": 1}], {"quote_id": []}, {"": {"": None}}])
    quote_id, offer = rng.choice(quotes)
    decision = rng.choice(DECISIONS)
    event = rng.choice(events) if rng.random() < 0.3 else f"fz-{rng.getrandbits(48):x}"
    body: dict[str, Any] = {"quote_id": quote_id, "event_id": event, "decision": decision}
    if decision in AMOUNT_DECISIONS:
        body["amount"] = int(offer * rng.uniform(0.5, 1.5))
    if decision == "revised":
        body["changed_answer"] = rng.choice(["screen", "battery"])
    if decision == DECLINED:
        body["reason"] = rng.choice(REASONS)
    if rng.random() < 0.5:
        body["note"] = rng.choice(NOTES[:3] + NOTES[8:9])
    if rng.random() < 0.5:
        body["clerk_email"] = "ana@loja.com.br"
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        field = rng.choice(MUTATED)
        if field == "quote_id":
            body[field] = rng.choice([quote_id.lower(), "0000-0000-0000", "x" * 40, 5, None])
        elif field == "event_id":
            body[field] = rng.choice(["short", "ü" * 10, "a" * 65, 7, None])
        elif field == "decision":
            body[field] = rng.choice([*DECISIONS, "sold", None, 1])
        elif field == "amount":
            scale = rng.choice([0.2, 0.49, 1.51, 3.0, 10.0, 10.01])
            body[field] = rng.choice([int(offer * scale), *AMOUNTS])
        elif field == "reason":
            body[field] = rng.choice([*REASONS, *NOTES[:12], None, 3])
        elif field == "note":
            body[field] = rng.choice([*NOTES, None, 5, ["a"]])
        elif field == "changed_answer":
            body[field] = rng.choice(["screen", "nope", None])
        elif field == "clerk_email":
            body[field] = rng.choice(EMAILS)
        else:
            body[field] = 1
    return {k: v for k, v in body.items() if v is not None or rng.random() < 0.2}


@pytest.mark.usefixtures("clean_env")
def test_outcome_fuzz_through_the_local_server(tmp_path: Path, monkeypatch) -> None:
    log = tmp_path / "log"
    monkeypatch.setenv("PREDICTIONS_DIR", str(log))
    env = {"PREDICTIONS_DIR": str(log), "PRICING_API_KEYS": KEY}
    rng = random.Random(21)
    statuses: Counter[int] = Counter()
    with ApiServer(tmp_path, env, ["--rate", "0", "--quota", "0"]) as server:
        with requests.Session() as session:
            quotes = [price(session, server.url) for _ in range(3)]
            events = [f"replayed-{n:04d}" for n in range(12)]
            for _ in range(REQUESTS):
                body = random_body(rng, quotes, events)
                data = json.dumps(body).encode() if rng.random() > 0.02 else b"\xff{not json"
                answer = session.post(
                    server.url + "/outcome",
                    data=data,
                    headers={"x-api-key": KEY, "Content-Type": "application/json"},
                    timeout=60,
                )
                statuses[answer.status_code] += 1
        assert server.stop() == 0
    print(f"outcome fuzz statuses: {dict(sorted(statuses.items()))}")
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[201] > 20 and statuses[200] > 5 and statuses[400] > 100  # all paths ran

    stored = read_outcomes(LogLocation.from_settings(load_settings(), OUTCOMES)).outcomes
    offers = dict(quotes)
    assert len(stored) == statuses[201]  # each created outcome stored exactly once
    assert stored["event_id"].is_unique
    for row in stored.to_dict("records"):
        assert row["decision"] in DECISIONS and row["quote_id"] in offers
        for text in (str(row["note"] or ""), str(row["reason"] or "")):
            assert free_text.fault(text) is None, text
            assert "\n" not in text and len(text) <= 201  # neutralised: one "'" at most
        if row["decision"] in AMOUNT_DECISIONS:
            amount, offer = int(row["amount"]), offers[row["quote_id"]]
            assert 1 <= amount <= MAX_AMOUNT_FACTOR * offer
            low, high = amount_band(offer)
            assert low <= amount <= high or row["reason"], row
        assert "clerk_email" not in row and "recorded_by" not in row  # no author in the frame
    written = b"".join(p.read_bytes() for p in log.rglob("*") if p.is_file())
    assert b"a***@loja.com.br" in written and b"ana@loja.com.br" not in written  # masked
    print(f"outcome fuzz stored: {len(stored)} rows, every rule kept")
