"""The clerk at the counter, customer after customer, in AppTest: nothing chosen for the clerk,
"Novo cliente", a stale offer disabled, one quote per identical click, what the customer may
see, "Sem oferta" decisions and *Buscar cotação*'s inspection details (issue 22, items 1-7)."""

from __future__ import annotations

import pytest

from components.clerk_details import TITLE as DETAILS_TITLE
from components.offer_card import MARKET_LABEL, OFFER_LABEL, WARM_LABEL
from components.quote_search import MISTYPED
from laptop_pricing.trade_in.outcome import REASON_LABELS
from tests.app_fixtures import SCRATCHED, answer, app, fill, submit, texts

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")
LOCKED = {**SCRATCHED, "locks_removed": False}


def shown_metrics(at):
    """The page's metrics but the one drawn hidden to load the metric's code early."""
    return [m for m in at.metric if m.label != WARM_LABEL]


def selectbox(at, name):
    return next(s for s in at.selectbox if s.key == f"field_{name}")


def quote_id_of(at) -> str:
    line = next(m.value for m in at.markdown if str(m.value).startswith("Cotação **"))
    return str(line).split("**")[1]


def history_rows(at) -> int:
    from components.history import HISTORY_KEY

    return len(at.session_state[HISTORY_KEY]) if HISTORY_KEY in at.session_state else 0


def test_a_new_customer_finds_brand_processor_ram_and_ssd_unchosen_and_is_told_which():
    at = app(chosen=None)
    for name in ("brand", "processor_name", "ram_gb", "ssd"):
        assert selectbox(at, name).value is None, name
    assert next(r for r in at.radio if r.key == "field_processor_brand").value is None
    at = submit(fill(at, {"brand": "lenovo", "ram_gb": 16}))
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Falta escolher:")
    assert "Fabricante do processador" in message and "Processador" in message
    assert "Marca" not in message and "Memória RAM" not in message
    assert not shown_metrics(at)


def test_novo_cliente_clears_the_laptop_the_condition_and_the_offer():
    at = submit(answer(fill(app(), {"brand": "lenovo"}), SCRATCHED))
    assert any(m.label == OFFER_LABEL for m in at.metric)
    at.button(key="new_customer").click().run()
    assert not at.exception
    assert selectbox(at, "brand").value is None and selectbox(at, "ssd").value is None
    assert all(r.value is None for r in at.radio if r.key.startswith("condition_"))
    assert not shown_metrics(at) and MARKET_LABEL not in texts(at)


def test_a_stale_offer_disables_its_pdf_and_its_decision_until_recalculated():
    at = submit(answer(app(), SCRATCHED))
    assert not at.get("download_button")[0].disabled
    at = fill(at, {"ram_gb": 16})
    assert at.warning and "não vale mais" in at.warning[0].value
    assert at.get("download_button")[0].disabled
    assert at.button(key="outcome_card_submit").disabled
    assert at.radio(key="outcome_card_decision").disabled
    at = submit(at)
    assert not at.warning and not at.get("download_button")[0].disabled


def test_the_second_identical_click_gives_the_same_quote_without_asking_again():
    at = submit(answer(app(), SCRATCHED))
    first, rows = quote_id_of(at), history_rows(at)
    at = submit(at)
    assert quote_id_of(at) == first and history_rows(at) == rows
    at = submit(fill(at, {"ram_gb": 16}))
    assert quote_id_of(at) != first and history_rows(at) == rows + 1


def test_the_clerks_details_are_folded_and_the_setting_hides_them():
    at = submit(answer(app(), SCRATCHED))
    details = next(e for e in at.expander if e.label == DETAILS_TITLE)
    assert MARKET_LABEL in "\n".join(str(m.value) for m in details.markdown)
    assert "Revenda de um usado perfeito" in texts(at) and "estimativa de mercado" in texts(at)
    policy_lines = [c.value for c in at.caption if "Política:" in str(c.value)]
    assert policy_lines and all(c in details.caption for c in at.caption if c.value in policy_lines)
    hidden = submit(answer(app({"SHOW-CLERK-DETAILS": False}), SCRATCHED))
    assert not hidden.exception and any(m.label == OFFER_LABEL for m in hidden.metric)
    page = texts(hidden)
    assert MARKET_LABEL not in page and "Política:" not in page
    assert not [e for e in hidden.expander if e.label == DETAILS_TITLE]
    assert "Descontos pelo estado: Tela: Riscos leves" in page


def test_a_quote_without_offer_has_its_own_decisions():
    at = submit(answer(app(), LOCKED))
    assert not shown_metrics(at) and "Sem oferta" in at.error[0].value
    reasons = at.radio(key="outcome_card_no_offer_reason")
    assert reasons.options == [REASON_LABELS["took_back"], REASON_LABELS["removing_locks"]]
    assert not [r for r in at.radio if r.key == "outcome_card_decision"]
    reasons.set_value("removing_locks").run()
    at.button(key="outcome_card_submit").click().run()
    assert not at.exception and not at.error[1:], texts(at)
    assert "Sem compra: vai remover as senhas e volta" in texts(at)


def test_buscar_cotacao_shows_what_the_clerk_checks_at_inspection():
    at = submit(answer(fill(app(), {"processor_gnrtn": "11th"}), SCRATCHED))
    quote_id = quote_id_of(at)
    at.text_input(key="quote_lookup").input(quote_id).run()
    card = texts(at)
    assert "Geração do processador: 11ª geração" in card and "Marca: Dell" in card
    assert "Estado informado pelo cliente:" in card and "Tela: Riscos leves" in card
    assert "Descontos:" in card and "Bateria" in card
    typo = quote_id[:-1] + ("0" if quote_id[-1] != "0" else "1")
    at.text_input(key="quote_lookup").input(typo).run()
    assert MISTYPED in [e.value for e in at.error]


def test_after_novo_cliente_the_next_choices_survive_a_visit_to_another_page():
    at = submit(answer(app(user="dona@loja.com.br"), SCRATCHED))
    at.button(key="new_customer").click().run()
    at = fill(at, {"brand": "lenovo"})
    at.switch_page("views/monitoring.py").run()
    at.switch_page("views/estimate.py").run()
    assert selectbox(at, "brand").value == "lenovo" and selectbox(at, "ssd").value is None
