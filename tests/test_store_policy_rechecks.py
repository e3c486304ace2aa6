"""A chain's purchases and late outcomes follow the policy of the store that issued the quote,
never the deployment's: the inspection re-check of a ``centro`` quote uses centro's deductions,
and a late outcome is accepted or refused as the quote's store's policy says."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.errors import QuoteExpired
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.purchase.errors import InvalidPurchase, PurchaseConflict
from laptop_pricing.purchase.purchase import Caller
from laptop_pricing.purchase.service import PurchaseService, purchase_service_from_settings
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import compute_offer
from laptop_pricing.trade_in.outcome import Outcome, QuoteTerms
from laptop_pricing.trade_in.outcome_service import recorder_from_settings
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from laptop_pricing.trade_in.store_policies import read_store_policies

COMMITTED = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
WORN = dataclasses.replace(Condition.best(), body="worn")
INSPECTED = dataclasses.replace(WORN, screen="scratched")
CLERK = Caller("clerk")
MARKET = 5000


def chain_folder(folder: Path) -> Path:
    """default.toml (the committed policy) and centro.toml: a scratched screen costs 25 %, not
    10 %, and centro records outcomes after the validity (the default refuses them)."""
    folder.mkdir(parents=True)
    (folder / "default.toml").write_text(COMMITTED, encoding="utf-8")
    centro = COMMITTED.replace("scratched = 10", "scratched = 25")
    assert centro != COMMITTED
    centro += '\n[outcomes]\nafter_validity = "accept"\n'
    (folder / "centro.toml").write_text(centro, encoding="utf-8")
    return folder


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A deployment of store ``loja`` whose POLICY-PATH is the chain's folder."""
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("POLICY_PATH", str(chain_folder(tmp_path / "policies")))
    monkeypatch.delenv("STORE_ID", raising=False)
    return tmp_path / "policies"


class Quotes:
    """Quotes issued by the real issuer for a store, accepted by the customer, found by the
    real lookup (rows kept in memory, as the purchase tests' scene does)."""

    def __init__(self, folder: Path):
        self.now = datetime.now(UTC)
        self.issuer = QuoteIssuer.for_stores(read_store_policies(folder, "loja"))
        self.rows: dict[str, dict[str, Any]] = {}
        self.outcomes: list[dict[str, str]] = []
        self.lookup = QuoteLookup(
            lambda day: [],
            today=lambda: self.now.astimezone(BRASILIA).date(),
            outcome_rows=lambda day: list(self.outcomes),
            quote_row=self.rows.get,
        )

    def accepted(self, store_id: str) -> str:
        issued = self.issuer.issue(MARKET, WORN, store_id)
        values = prediction_values(LaptopSpec.default().as_dict(), MARKET, "v1", "r-1", self.now)
        self.rows[issued.quote_id] = {
            **values,
            **issued.log_values(),
            "store_id": store_id,
        }
        offer = issued.offer.amount
        moment = self.now + timedelta(minutes=1)
        decided = Outcome(
            issued.quote_id, f"ev-{len(self.outcomes):06d}", "accepted", None, None, "", None,
            offer, False, moment, store_id=store_id,
        )  # fmt: skip
        self.outcomes.append(decided.as_record())
        return issued.quote_id


def revised_offer(service: PurchaseService, quote_id: str) -> int | None:
    preview = service.preview({"quote_id": quote_id, "condition": INSPECTED.as_dict()}, CLERK)
    return preview.revised_offer


def test_a_purchase_recheck_of_a_centro_quote_uses_centros_deductions(chain: Path) -> None:
    quotes = Quotes(chain)
    service = purchase_service_from_settings(load_settings(), quotes.lookup)
    policies = read_store_policies(chain, "loja")
    centro, default = policies.for_store("centro"), policies.for_store("loja")
    by_centro = compute_offer(MARKET, INSPECTED, centro).amount
    by_default = compute_offer(MARKET, INSPECTED, default).amount
    assert by_centro is not None and by_default is not None and by_centro < by_default

    assert revised_offer(service, quotes.accepted("centro")) == by_centro
    assert revised_offer(service, quotes.accepted("loja")) == by_default
    preview = service.preview(
        {"quote_id": quotes.accepted("centro"), "condition": INSPECTED.as_dict()}, CLERK
    )
    assert preview.policy_version.startswith("centro@")
    screen = [c for c in preview.changed_deductions if c.label_pt.startswith("Tela")]
    assert len(screen) == 1 and screen[0].amount > 0


def test_the_deployments_policy_alone_could_not_recheck_another_stores_quote(
    chain: Path,
) -> None:
    """What the quote's store's policy fixes: under loja's policy a centro quote's version
    differs, so a changed answer asked for a new quote."""
    quotes = Quotes(chain)
    chained = purchase_service_from_settings(load_settings(), quotes.lookup)
    home = read_store_policies(chain, "loja").home_policy
    alone = PurchaseService(  # the same service with the deployment's policy only
        quotes.lookup, chained.store, chained.vault(), home, chained.terms
    )
    quote_id = quotes.accepted("centro")
    with pytest.raises(PurchaseConflict) as conflict:
        revised_offer(alone, quote_id)
    assert conflict.value.reason_code == "policy_changed"
    assert revised_offer(chained, quote_id) is not None


def test_a_quote_of_a_store_with_no_policy_here_is_a_400_naming_store_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    quotes = Quotes(chain_folder(tmp_path / "policies"))  # issued by the chain...
    quote_id = quotes.accepted("centro")
    single = purchase_service_from_settings(load_settings(), quotes.lookup)  # ...one file here
    with pytest.raises(InvalidPurchase) as refused:
        revised_offer(single, quote_id)
    assert [(e.field, e.value) for e in refused.value.errors] == [("store_id", "centro")]


def test_a_late_outcome_follows_the_quotes_stores_policy(chain: Path) -> None:
    valid_until = date(2026, 3, 12)
    terms = {
        "QCENTRO1": QuoteTerms("QCENTRO1", 2000, valid_until, "centro"),
        "QLOJA001": QuoteTerms("QLOJA001", 2000, valid_until, "loja"),
    }
    later = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
    recorder = dataclasses.replace(
        recorder_from_settings(load_settings()), find_quote=terms.get, clock=lambda: later
    )
    made = recorder.record(
        {"quote_id": "QCENTRO1", "event_id": "evt-late-centro", "decision": "accepted"}
    )
    assert made.status == 201 and made.outcome.late is True
    assert made.outcome.store_id == "centro"
    with pytest.raises(QuoteExpired):
        recorder.record(
            {"quote_id": "QLOJA001", "event_id": "evt-late-loja01", "decision": "accepted"}
        )
