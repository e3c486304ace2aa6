"""A chain's purchase follows the ``[purchase]`` terms of the store that issued the quote, not
the deployment's: centro's quote is previewed and recorded with centro's store-credit bonus,
extra lock, photo minimum, seller-repeat threshold and retention (in the notice and the purge),
a default store's quote with the default's; over HTTP the preview the page draws carries
them; a quote of a store with no policy here is a 400 naming ``store_id``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from components.purchase_words import OTHER_STORE, refusal_words
from laptop_pricing.api.gateway import Gateway
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.purchase_route import PurchaseRoute
from laptop_pricing.api.server import build_app
from laptop_pricing.api.service import prediction_values
from laptop_pricing.client import HttpPricingClient, LocalPricingClient
from laptop_pricing.errors import PurchaseRefused
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.purchase.errors import InvalidPurchase
from laptop_pricing.purchase.policy_terms import StoreTerms, store_terms
from laptop_pricing.purchase.purchase import SELLER_REPEAT, Caller
from laptop_pricing.purchase.service import PurchaseService, purchase_service_from_settings
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.outcome import Outcome
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH, load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.store_policies import StorePolicies, read_store_policies
from tests.purchase_support import SELLER, WORN, Scene, local_purchase_store, stand_in_normalize
from tests.service_fixtures import running

COMMITTED = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
EXTRA_LOCK = "seller_receipt"
CENTRO = (
    COMMITTED.replace("store_credit_bonus_percent = 10", "store_credit_bonus_percent = 25")
    .replace("photos_min = 2", "photos_min = 3")
    .replace("retention_days = 730", "retention_days = 365")
    .replace("max_purchases_per_seller = 3", "max_purchases_per_seller = 1")
    + f"""
[[purchase.locks]]
id = "{EXTRA_LOCK}"
question = "O cliente mostrou a nota fiscal ou outro comprovante de que o notebook é dele?"
what_to_do = "Peça a nota fiscal ou um comprovante; sem ele a loja Centro não compra."
"""
)
CLERK = Caller("clerk", "ana@loja.com.br")
BRAND = str(LaptopSpec.default().brand)
API_KEY = "chave-do-balcao"


class Chain:
    """The purchase scene of the other purchase tests, its service a chain's: ``loja`` (the
    deployment, on default.toml) and ``centro`` (its own file); quotes issued per store."""

    def __init__(self, tmp_path: Path, policies: StorePolicies | None = None):
        folder = tmp_path / "policies"
        folder.mkdir(parents=True)
        (folder / "default.toml").write_text(COMMITTED, encoding="utf-8")
        (folder / "centro.toml").write_text(CENTRO, encoding="utf-8")
        self.policies = read_store_policies(folder, "loja")
        self.terms = store_terms(self.policies)
        self.scene = Scene(local_purchase_store(tmp_path / "store"))
        self.issuer = QuoteIssuer(
            self.policies.home_policy,
            self.scene.ids,
            clock=lambda: self.scene.now - timedelta(hours=1),
            policies=self.policies,
        )
        served = policies or self.policies
        self.service = PurchaseService(
            self.scene.lookup,
            self.scene.store,
            self.scene.vault,
            served,
            store_terms(served),
            clock=lambda: self.scene.now,
            normalize=stand_in_normalize,
        )

    def accepted(self, store_id: str) -> str:
        """A quote of ``store_id`` the customer accepted, an hour ago."""
        moment = self.scene.now - timedelta(hours=1)
        issued = self.issuer.issue(5000, WORN, store_id)
        values = prediction_values(LaptopSpec.default().as_dict(), 5000, "v1", "r-1", moment)
        self.scene.rows[issued.quote_id] = {
            **values,
            **issued.log_values(),
            "store_id": store_id,
        }
        outcome = Outcome(
            issued.quote_id, f"ev-{len(self.scene.outcomes):06d}", "accepted", None, None, "",
            None, issued.offer.amount, False, moment, store_id=store_id,
        )  # fmt: skip
        self.scene.outcomes.append(outcome.as_record())
        return issued.quote_id

    def body(self, quote_id: str, store_id: str, **changes: Any) -> dict[str, Any]:
        """A valid body under ``store_id``'s terms (its locks, its photo minimum)."""
        terms = self.terms.for_store(store_id)
        return self.scene.body(
            quote_id,
            **{
                "locks": {lock.id: True for lock in terms.locks_for(BRAND)},
                "photos": self.scene.photos(quote_id, terms.photos_min),
                **changes,
            },
        )


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    return Chain(tmp_path)


def test_a_centro_quotes_preview_has_centros_terms_and_a_loja_quotes_the_defaults(chain):
    centro = chain.service.preview({"quote_id": chain.accepted("centro")}, CLERK)
    loja = chain.service.preview({"quote_id": chain.accepted("loja")}, CLERK)

    assert [lock["id"] for lock in centro.locks][-1] == EXTRA_LOCK
    assert EXTRA_LOCK not in [lock["id"] for lock in loja.locks]
    assert (centro.photos_min, loja.photos_min) == (3, 2)
    credit = {p.method: p for p in centro.payout_options}["store_credit"]
    assert credit.bonus_percent == 25 and credit.amount == round(centro.revised_offer * 1.25)
    credit = {p.method: p for p in loja.payout_options}["store_credit"]
    assert credit.bonus_percent == 10 and credit.amount == round(loja.revised_offer * 1.10)
    assert "365 dias" in centro.privacy_notice_pt and "730 dias" in loja.privacy_notice_pt


def test_a_centro_purchase_is_recorded_under_centros_terms(chain):
    quote_id = chain.accepted("centro")
    body = chain.body(quote_id, "centro", payout={"method": "store_credit"})
    view = chain.service.record(body, CLERK).view.as_dict()
    assert view["store_id"] == "centro"
    assert view["locks"][EXTRA_LOCK] is True and len(view["photos"]) == 3
    assert view["payout"] == {
        "method": "store_credit",
        "amount": round(chain.scene.offer(quote_id) * 1.25),
        "bonus_percent": 25,
    }


def test_centros_extra_lock_and_photo_minimum_are_asked_of_centro_quotes_only(chain):
    centro = chain.accepted("centro")
    with pytest.raises(InvalidPurchase) as refused:
        chain.service.record(
            chain.body(centro, "centro", photos=chain.scene.photos(centro, 2)), CLERK
        )
    assert refused.value.fields == ["photos"]
    unlocked = chain.body(centro, "centro")
    del unlocked["locks"][EXTRA_LOCK]
    with pytest.raises(InvalidPurchase) as refused:
        chain.service.record(unlocked, CLERK)
    assert refused.value.fields == [f"locks.{EXTRA_LOCK}"]

    loja = chain.accepted("loja")
    body = chain.body(loja, "loja", payout={"method": "store_credit"})
    with pytest.raises(InvalidPurchase) as refused:
        chain.service.record({**body, "locks": {**body["locks"], EXTRA_LOCK: True}}, CLERK)
    assert refused.value.fields == [f"locks.{EXTRA_LOCK}"]  # not a lock of the default's
    view = chain.service.record(body, CLERK).view.as_dict()
    assert view["payout"]["bonus_percent"] == 10 and len(view["photos"]) == 2


def test_the_seller_repeat_flag_counts_to_the_quotes_stores_threshold(chain):
    """One earlier purchase from this seller: centro (at most 1) asks for the owner, the
    default (at most 3) does not."""
    chain.service.record(chain.body(chain.accepted("loja"), "loja"), CLERK)
    seller = {"cpf": SELLER["cpf"]}
    centro = chain.service.preview({"quote_id": chain.accepted("centro"), "seller": seller}, CLERK)
    loja = chain.service.preview({"quote_id": chain.accepted("loja"), "seller": seller}, CLERK)
    assert [(f.code, f.severity) for f in centro.flags] == [(SELLER_REPEAT, "warn")]
    assert loja.flags == ()


def test_the_purge_keeps_each_sellers_data_for_their_stores_retention(chain):
    centro, loja = chain.accepted("centro"), chain.accepted("loja")
    chain.service.record(chain.body(centro, "centro"), CLERK)
    chain.service.record(chain.body(loja, "loja"), CLERK)

    report = chain.service.purge(chain.scene.now + timedelta(days=400))
    assert (report.erased, report.kept) == (1, 1)
    assert chain.scene.store.erased_at(centro) is not None  # centro keeps 365 days
    assert chain.scene.store.erased_at(loja) is None  # the default 730


def test_a_quote_of_a_store_with_no_policy_here_is_refused_naming_store_id(tmp_path):
    single = StorePolicies.single(load_policy(), "loja")  # this service: one file, for loja
    chain = Chain(tmp_path, policies=single)
    quote_id = chain.accepted("centro")
    with pytest.raises(InvalidPurchase) as refused:
        chain.service.record(chain.body(quote_id, "centro"), CLERK)
    assert [(e.field, e.value) for e in refused.value.errors] == [("store_id", "centro")]
    assert chain.scene.store.read_purchase(quote_id) is None


def test_over_http_the_preview_the_page_draws_carries_the_quotes_stores_terms(tmp_path):
    chain = Chain(tmp_path / "chain")
    single = Chain(tmp_path / "single", policies=StorePolicies.single(load_policy(), "loja"))
    gateway = Gateway((API_KEY,))
    route = PurchaseRoute(chain.service, gateway.owner_key_ids)
    with running(build_app(PricingHandler(get_engine(), purchases=route), gateway)) as url:
        client = HttpPricingClient(url + "/predict", API_KEY)
        preview = client.preview_purchase({"quote_id": chain.accepted("centro")})
    assert [lock.id for lock in preview.locks][-1] == EXTRA_LOCK
    assert preview.photos_min == 3 and "365 dias" in preview.privacy_notice_pt
    credit = {p.method: p for p in preview.payout_options}["store_credit"]
    assert credit.bonus_percent == 25

    route = PurchaseRoute(single.service, gateway.owner_key_ids)
    with running(build_app(PricingHandler(get_engine(), purchases=route), gateway)) as url:
        client = HttpPricingClient(url + "/predict", API_KEY)
        with pytest.raises(PurchaseRefused) as refused:
            client.preview_purchase({"quote_id": single.accepted("centro")})
    assert (refused.value.status, refused.value.fields) == (400, ["store_id"])


def test_the_settings_service_reads_each_stores_terms_from_the_policy_folder(
    chain, monkeypatch, tmp_path
):
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("POLICY_PATH", str(tmp_path / "policies"))
    monkeypatch.delenv("STORE_ID", raising=False)
    service = purchase_service_from_settings(load_settings(), chain.scene.lookup)
    assert isinstance(service.terms, StoreTerms)
    bonus = {s: service.terms.for_store(s).store_credit_bonus_percent for s in ("centro", "sul")}
    assert bonus == {"centro": 25, "sul": 10}  # sul has no file: the default's
    assert service.terms.for_store("centro").policy_version.startswith("centro@")


def test_the_page_says_a_store_id_refusal_in_its_own_sentence(tmp_path):
    """The 400 naming ``store_id`` is no widget of the page: the clerk reads what to do."""
    single = Chain(tmp_path, policies=StorePolicies.single(load_policy(), "loja"))
    route = PurchaseRoute(single.service, frozenset())
    client = LocalPricingClient(PricingHandler(get_engine(), purchases=route))
    with pytest.raises(PurchaseRefused) as refused:
        client.preview_purchase({"quote_id": single.accepted("centro")})
    assert refusal_words(refused.value.fields, refused.value.message_pt) == OTHER_STORE
    assert refusal_words(["photos"], refused.value.message_pt) == refused.value.message_pt
