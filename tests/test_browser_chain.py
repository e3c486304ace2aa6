"""A chain in real Chromium: two clerks of two stores, signed in on one app whose POLICY-PATH
is a folder (default.toml, centro.toml, sul.toml), price the same laptop in the same condition
and see different offers on screen; each records the customer's decision, and the quote and
the decision read back from disk carry the clerk's store and its policy version. Then the
owners read Monitoramento: the owner of Centro sees only Centro's requests, the chain owner
sees both stores and the acceptance split by store.

One server, one OpenID Connect provider on 127.0.0.1; the clerks' stores come from their
``CLERK-EMAILS`` entries (``ana@…=centro``), the owners' from ``OWNER-EMAILS``."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from laptop_pricing.embedded import embedded_client
from laptop_pricing.formatting import format_int, masked_email
from laptop_pricing.monitoring.business import MIN_DECIDED
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome_service import quote_lookup_from_settings
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH
from tests.browser_support import (
    StreamlitServer,
    answer_condition,
    choose_laptop,
    chromium_browser,
    click_and_wait_for_the_card,
    screenshot,
    wait_for_app_idle,
)
from tests.oidc_support import OWNER, oidc_provider, sign_in, write_secrets

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CLERKS = {"centro": "ana@centro.loja.com.br", "sul": "bia@sul.loja.com.br"}
MARGINS = {"centro": 40, "sul": 10}  # the committed default keeps 20 %
CENTRO_OWNER = "gerente@centro.loja.com.br"  # reads Centro only; OWNER reads the chain
# Decisions added in-process (after the browser's one "accepted" per store, when the module
# runs whole), so that each store has the MIN_DECIDED decided offers the "Loja" split needs to
# draw its bar, and the two stores' counts differ (a view showing the other store's count
# cannot pass).
MORE_DECISIONS = {
    "centro": ("declined", "declined", "accepted", "accepted", "accepted"),
    "sul": ("accepted",) * 6,
}
SIZE = (1366, 768)
TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
QUOTE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def policy_folder(folder: Path) -> Path:
    committed = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "margin_pct = 20" in committed
    folder.mkdir(parents=True)
    (folder / "default.toml").write_text(committed, encoding="utf-8")
    for store, margin in MARGINS.items():
        own = committed.replace("margin_pct = 20", f"margin_pct = {margin}")
        (folder / f"{store}.toml").write_text(own, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The app of a chain, and the settings the test reads its records with."""
    folder = tmp_path_factory.mktemp("chain")
    entries = ", ".join(f"{email}={store}" for store, email in CLERKS.items())
    settings = {
        "CLERK-EMAILS": entries,
        "OWNER-EMAILS": f"{OWNER}, {CENTRO_OWNER}=centro",
        "POLICY-PATH": str(policy_folder(folder / "policies")),
        "PREDICTIONS-DIR": str(folder / "predictions"),
    }
    with oidc_provider() as provider:
        secrets = write_secrets(folder, provider, **settings)
        with StreamlitServer(secrets_file=secrets) as running:
            yield running, settings


def money(text: str) -> int:
    """``R$ 1.234,00`` -> 1234."""
    return int(re.sub(r"[^\d,]", "", text).split(",")[0])


def price_and_accept(browser, url: str, store: str) -> tuple[int, str]:
    """The clerk of ``store`` signs in, prices, records "Aceitou"; the offer and quote id."""
    context = browser.new_context(viewport={"width": SIZE[0], "height": SIZE[1]})
    page = context.new_page()
    sign_in(page, url, CLERKS[store])
    page.get_by_role("heading", name="Avaliar notebook usado").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    page.get_by_text(f"Loja: {store.capitalize()}").wait_for(timeout=30_000)  # the sidebar
    choose_laptop(page)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    card = page.locator(".st-key-offer_card")
    offer = money(card.locator("[data-testid='stMetricValue']").inner_text())
    quote_id = QUOTE_ID.search(card.inner_text()).group(0)
    card.get_by_text("O que o cliente decidiu?").click()
    card.get_by_text("Aceitou a oferta", exact=True).click()
    wait_for_app_idle(page)
    card.get_by_role("button", name="Registrar decisão").click()
    card.get_by_text("Registrado:").wait_for(timeout=30_000)
    wait_for_app_idle(page)
    card.scroll_into_view_if_needed()
    screenshot(page, f"chain-{store}", full_page=False)
    context.close()
    return offer, quote_id


def test_two_stores_price_the_same_laptop_differently_and_records_carry_the_store(
    browser, chain, monkeypatch
):
    running, settings = chain
    seen = {store: price_and_accept(browser, running.url, store) for store in CLERKS}
    assert seen["centro"][0] < seen["sul"][0]  # a 40 % margin against 10 %, on screen

    for key, value in settings.items():
        monkeypatch.setenv(key.replace("-", "_"), value)
    lookup = quote_lookup_from_settings(load_settings())
    for store, (offer, quote_id) in seen.items():
        found = lookup.find(quote_id)
        assert found.quote is not None, quote_id
        assert found.quote.store_id == store
        assert found.quote.policy_version.startswith(f"{store}@")
        assert found.quote.offer == offer
        assert [(o.decision, o.store_id) for o in found.outcomes] == [("accepted", store)]
        assert found.outcomes[0].recorded_by == masked_email(CLERKS[store])


def add_decided_quotes(settings: dict[str, str], monkeypatch) -> tuple[Counter[str], Counter[str]]:
    """``MORE_DECISIONS`` priced and decided through the service in this process, into the
    app's folder; the requests and the decided quotes each store has on disk afterwards,
    counted from the raw records rather than by the monitoring code the page reads them with."""
    for key, value in settings.items():
        monkeypatch.setenv(key.replace("-", "_"), value)
    client = embedded_client(load_settings())
    for store, decisions in MORE_DECISIONS.items():
        for n, decision in enumerate(decisions):
            _, quote = client.price_trade_in(LaptopSpec.default(), Condition.best(), store_id=store)
            reason = "offer_too_low" if decision == "declined" else None
            client.record_outcome(quote.quote_id, f"seed-{store}-{n:04d}", decision, reason=reason)
    return _per_store(settings, "laptop-prediction-real-data"), _per_store(
        settings, "laptop-trade-in-outcomes", distinct="quote_id"
    )


def _per_store(settings: dict[str, str], prefix: str, distinct: str = "") -> Counter[str]:
    """Records per store in a log's record files (``distinct``: one per value of that field)."""
    records = Path(settings["PREDICTIONS-DIR"]).glob(f"{prefix}/_records/*.jsonl")
    lines = (line for path in records for line in path.read_text().splitlines() if line.strip())
    found = {}
    for number, line in enumerate(lines):
        record = json.loads(line)
        found[record[distinct] if distinct else number] = record["store_id"]
    return Counter(found.values())


def metric_value(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return box.get_by_test_id("stMetricValue").inner_text()


def open_monitoring_as(browser, url: str, email: str):
    """A fresh browser context signed in as ``email``, on Monitoramento once it has drawn."""
    context = browser.new_context(viewport={"width": SIZE[0], "height": SIZE[1]})
    page = context.new_page()
    sign_in(page, url, email)
    link = page.locator('[data-testid="stSidebarNav"] a', has_text="Monitoramento")
    link.click(timeout=60_000)
    page.get_by_text("Pedidos no período").wait_for(timeout=90_000)
    wait_for_app_idle(page)
    return context, page


def lojas_filter(page):
    return page.get_by_test_id("stMultiSelect").filter(has_text="Lojas")


def chosen_stores(page) -> list[str]:
    """The stores the Lojas filter holds (its chips)."""
    chips = lojas_filter(page).get_by_role("group", name="Selected values").locator("[data-tag]")
    return [chip.strip() for chip in chips.all_inner_texts()]


def offered_stores(page) -> list[str]:
    """The stores the Lojas filter's list offers besides those chosen (not "Select all").

    The list closes when the page scrolls, and the scroll event of bringing the filter into
    view arrives a frame after the scroll: clicked at once, the list opened and closed again
    (7 times in 8 in a trial, 0 in 8 with the wait). So scroll, let two frames pass, open."""
    opener = lojas_filter(page).get_by_role("button", name="Open")  # the arrow beside the chips
    opener.scroll_into_view_if_needed()
    page.evaluate(TWO_FRAMES)
    opener.click()
    listbox = page.get_by_role("listbox")
    listbox.wait_for(timeout=10_000)
    offered = [o.strip() for o in listbox.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    listbox.wait_for(state="hidden", timeout=10_000)
    return [o for o in offered if o != "Select all"]


def segment_labels(page, title: str) -> list[str]:
    """The y-axis labels of the Plotly chart whose title starts with ``title``."""
    plot = page.locator(".js-plotly-plot").filter(has=page.locator(".gtitle", has_text=title))
    plot.locator(".ytick text").first.wait_for(timeout=30_000)
    return plot.first.locator(".yaxislayer-above .ytick text").all_text_contents()


def test_each_owner_reads_their_stores_and_the_chain_owner_the_split(browser, chain, monkeypatch):
    running, settings = chain
    requests, decided = add_decided_quotes(settings, monkeypatch)
    assert set(requests) == {"centro", "sul"} and requests["centro"] != requests["sul"]
    assert min(decided.values()) >= MIN_DECIDED
    offers = requests  # every request here is a quote with the condition answered

    context, page = open_monitoring_as(browser, running.url, CENTRO_OWNER)
    assert metric_value(page, "Pedidos no período") == format_int(requests["centro"])
    assert metric_value(page, "Ofertas feitas") == format_int(offers["centro"])  # the week
    assert chosen_stores(page) == ["Centro"]
    assert page.locator("[data-testid='stException']").count() == 0
    lojas_filter(page).scroll_into_view_if_needed()  # the filter and the requests' count
    page.evaluate(TWO_FRAMES)
    screenshot(page, "chain-owner-centro", full_page=False)
    lojas_filter(page).get_by_role("button", name="Remove Centro").click()
    wait_for_app_idle(page)
    assert offered_stores(page) == ["Centro"]  # Sul is never offered
    # Nothing chosen reads all of the owner's stores, never the chain's.
    assert metric_value(page, "Pedidos no período") == format_int(requests["centro"])
    context.close()

    context, page = open_monitoring_as(browser, running.url, OWNER)
    assert metric_value(page, "Pedidos no período") == format_int(requests.total())
    assert metric_value(page, "Ofertas feitas") == format_int(offers.total())
    assert chosen_stores(page) == []  # none chosen: "Toda a rede"
    assert {"Centro", "Sul"} <= set(offered_stores(page))  # and the deployment's own store
    page.locator(".st-key-business_segment").get_by_text("Loja", exact=True).click()
    wait_for_app_idle(page)
    labels = segment_labels(page, "Por loja")
    assert sorted(labels) == [f"Centro ({decided['centro']})", f"Sul ({decided['sul']})"]
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator(".st-key-business_segment").scroll_into_view_if_needed()
    screenshot(page, "chain-owner-chain", full_page=False)
    context.close()
