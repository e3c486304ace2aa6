"""The purchase page in AppTest, against the embedded service (local folder): entered from the
offer card after an accepted decision, each step's own message, a lock answered "não" blocks,
the revised offer when an inspection answer changes, a refused CPF beside its step, and a
purchase concluded, with its success card and nothing stored before "Concluir compra"."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.purchase_declaration import SIGNED_KEY
from components.purchase_inspection import AMOUNT_KEY
from components.purchase_machine import BRAND_KEY, MODEL_KEY, SERIAL_KEY
from components.purchase_photos import FILES_KEY
from components.purchase_quote import condition_key
from components.purchase_seller import (
    CPF_KEY,
    DOCUMENT_NUMBER_KEY,
    DOCUMENT_TYPE_KEY,
    NAME_KEY,
    PAYOUT_KEY,
    PRIVACY_KEY,
)
from components.purchase_start import BUY_LABEL
from components.purchase_words import (
    PAYOUT_MISSING,
    PHOTOS_FEW,
    SELLER_FIELDS,
    SERIAL_MISSING,
    UNSIGNED,
)
from tests.app_fixtures import SCRATCHED, answer, app, submit, texts
from tests.purchase_media_support import jpeg, photo_like

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")

CPF = "529.982.247-25"  # a valid CPF (check digits), nobody's
SELLER = {
    NAME_KEY: "Maria da Silva",
    CPF_KEY: CPF,
    DOCUMENT_NUMBER_KEY: "12.345.678-9",
}


def on_purchase_page():
    """A quote priced, the customer's "yes" recorded on the card, "Comprar este notebook"."""
    at = submit(answer(app(), SCRATCHED))
    at.button(key="outcome_card_submit").click()  # accepted, the first choice
    at.run()
    assert not at.exception and not at.error, texts(at)
    buy = at.button(key="buy_card")
    assert buy.label == BUY_LABEL
    buy.click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Comprar notebook"]
    return at


def quote_id_of(at) -> str:
    return str(at.session_state["purchase_quote_id"])


def errors(at) -> list[str]:
    return [str(e.value) for e in at.error]


def conclude(at):
    at.button(key="purchase_conclude").click()
    return at.run()


def lock_keys(at) -> list[str]:
    return [str(r.key) for r in at.radio if str(r.key).startswith("purchase_lock_")]


def answer_locks(at, value: bool = True):
    keys = lock_keys(at)
    assert keys, "no lock asked"
    for key in keys:
        at.radio(key=key).set_value(value)
        at.run()
    return at


def fill_all(at):
    """Every step filled as a clerk would, the inspection as the customer said."""
    at = answer_locks(at)
    at.text_input(key=SERIAL_KEY).set_value("5cd1234xyz")
    at.text_input(key=BRAND_KEY).set_value("HP")
    at.text_input(key=MODEL_KEY).set_value("EliteBook 840 G5")
    at.run()
    photos = [(f"foto{n}.jpg", jpeg(photo_like(800, 600, seed=n)), "image/jpeg") for n in (1, 2)]
    at.file_uploader(key=FILES_KEY).set_value(photos)
    at.run()
    for key, value in SELLER.items():
        at.text_input(key=key).set_value(value)
    at.selectbox(key=DOCUMENT_TYPE_KEY).set_value("rg")
    at.run()
    at.checkbox(key=PRIVACY_KEY).check()
    at.run()
    at.radio(key=PAYOUT_KEY).set_value("store_credit")
    at.run()
    at.checkbox(key=SIGNED_KEY).check()
    return at.run()


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_page_opens_from_the_offer_card_with_the_answers_of_the_quote():
    at = on_purchase_page()
    headings = [h.value for h in at.subheader]
    assert headings == [
        "1. Inspeção",
        "2. Travas",
        "3. Máquina",
        "4. Fotos",
        "5. Vendedor",
        "6. Pagamento",
        "7. Declaração",
    ]
    for key, value in SCRATCHED.items():
        assert at.radio(key=condition_key(key)).value == value
    assert at.query_params["cotacao"] == quote_id_of(at)


def test_each_step_says_what_it_lacks_after_concluir_compra(clean_env):
    at = on_purchase_page()
    before = stored_files(clean_env)
    at = conclude(at)
    shown = errors(at)
    assert any(e.startswith("Responda a cada trava") for e in shown), shown
    assert SERIAL_MISSING in shown
    assert PHOTOS_FEW.format(min=2, count=0) in shown
    assert SELLER_FIELDS["seller.name"] in shown
    assert PAYOUT_MISSING in shown
    assert UNSIGNED in shown
    assert any(e.startswith("Falta completar") for e in shown)
    assert stored_files(clean_env) == before  # nothing stored by a click that lacks things


def test_a_lock_answered_no_says_what_to_do_and_blocks_the_purchase():
    at = answer_locks(on_purchase_page())
    at.radio(key=lock_keys(at)[0]).set_value(False)
    at.run()
    assert any(e.startswith("Não é possível comprar com") for e in errors(at)), errors(at)
    assert at.button(key="purchase_conclude").disabled


def test_an_answer_changed_at_inspection_shows_the_revised_offer():
    at = on_purchase_page()
    at.radio(key=condition_key("screen")).set_value("broken")
    at.run()
    revised = [str(w.value) for w in at.warning if "Oferta revista na inspeção" in str(w.value)]
    assert revised, texts(at)
    assert "(na cotação: R$" in revised[0] and "Tela" in revised[0]
    at.run()
    amount_above = [e for e in errors(at) if e.startswith("O valor combinado")]
    assert at.number_input(key=AMOUNT_KEY).value > 0 and not amount_above  # not before a click
    at = conclude(at)
    assert any(e.startswith("O valor combinado") for e in errors(at)), errors(at)


def test_an_invalid_cpf_is_said_in_the_sellers_step(clean_env):
    at = fill_all(on_purchase_page())
    at.text_input(key=CPF_KEY).set_value("529.982.247-24")
    at.run()
    at = conclude(at)
    assert SELLER_FIELDS["seller.cpf"] in errors(at)
    assert not any("purchases/" in name for name in stored_files(clean_env))


def test_a_purchase_concluded_shows_its_id_the_declaration_and_the_next_customer(clean_env):
    at = fill_all(on_purchase_page())
    quote_id = quote_id_of(at)
    assert [d.label for d in at.get("download_button")][-1].startswith("Baixar a declaração")
    at = conclude(at)
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)
    success = [str(s.value) for s in at.success]
    assert f"**Compra registrada: {quote_id}**" in success
    page = texts(at)
    assert "5CD1234XYZ" in page and "Crédito na loja (+10 %)" in page
    assert at.button(key="purchase_next").label == "Nova compra / Novo cliente"
    names = stored_files(clean_env)
    assert any(f"purchases/{quote_id}.json" in name for name in names), names
    assert sum(f"photos/{quote_id}/" in name for name in names) == 2, names
