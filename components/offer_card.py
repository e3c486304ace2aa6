"""The answer the clerk came for, as the customer may see it: the store's offer, large, the
quote's id and validity, what lowered it (in words), the decision and the customer's PDF.

What is for the clerk only (market estimate, range, the arithmetic in reais, why, comparables,
versions) is in ``clerk_details``, below, folded. After a field changes the card is greyed out
and its PDF and decision are disabled until the clerk recalculates: a stale price must not be
given to the customer. Right after a click the card is scrolled into view.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import streamlit as st

from components.deduction_words import MARKET_LABEL, condition_words
from components.outcome_form import outcome_controls
from components.quote_download import pdf_download
from laptop_pricing.formatting import format_price
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.quote import TradeInQuote
from laptop_pricing.trade_in.quote_document import StoreIdentity

__all__ = ["MARKET_LABEL", "error_card", "offer_card", "scroll_into_view", "warm_card_elements"]

CARD_KEY = "offer_card"
STALE_KEY = "offer_stale"
OFFER_LABEL = "Oferta da loja"
ANSWER_THE_CONDITION = (
    "Responda às perguntas sobre o estado do notebook e clique de novo para ver a oferta da loja."
)
STALE = (
    "Os dados do notebook ou do estado mudaram depois deste cálculo: esta oferta não vale mais. "
    "Clique em **Calcular oferta** para atualizar."
)
# Greyed out, so nobody reads a stale price as the offer.
STALE_STYLE = f"<style>.st-key-{STALE_KEY} {{opacity: 0.45; filter: grayscale(1);}}</style>"


# Streamlit's browser code for these elements is a separate file fetched, parsed and run the
# first time such an element is drawn: on a fresh page that was the click on *Calcular oferta*
# (the offer's metric and PDF button), and the session's history table right after it.
CARD_ELEMENTS = ("Metric", "DownloadButton", "DataFrame")
WARM_SCRIPT = """<script>
(function () {
  if (window.__cardElementsWarm) return;
  window.__cardElementsWarm = true;
  const index = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!index) return;
  const files = %s;
  (window.requestIdleCallback || setTimeout)(function () {
    files.forEach(function (file) {
      import(new URL("./" + file, index.src).href).catch(function () {});
    });
  });
})();
</script>"""
# Even with its file loaded, an element type's first drawing on a page waits (the browser shows
# a placeholder and holds the element back up to 300 ms): one metric, never shown, is drawn
# with the form, so the offer's metric is the second.
WARM_KEY = "card_elements_warm"
WARM_LABEL = "Pré-carregamento"
WARM_STYLE = f"<style>.st-key-{WARM_KEY} {{display: none;}}</style>"


@functools.cache
def _element_files() -> tuple[str, ...]:
    """The installed Streamlit's file for each of ``CARD_ELEMENTS`` (named by a content hash)."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    return tuple(sorted(p.name for name in CARD_ELEMENTS for p in folder.glob(f"{name}.*.js")))


def warm_card_elements() -> None:
    """Load the browser code of the card's elements while the clerk fills the form, as the
    model is loaded (``components.pricing.warm_up``), so the click does not wait for it. The
    same file is imported once per page; a Streamlit without these files loads nothing early."""
    st.html(WARM_SCRIPT % json.dumps(list(_element_files())), unsafe_allow_javascript=True)
    st.html(WARM_STYLE)
    with st.container(key=WARM_KEY):
        st.metric(WARM_LABEL, "")


def scroll_into_view(key: str, nonce: int) -> None:
    """Bring the card into view once, right after the click that produced it (``nonce``
    changes per click, so a later rerun does not scroll the page again)."""
    selector = json.dumps(f".st-key-{key}")
    st.html(
        f"""<script data-nonce="{nonce}">
        (function () {{
          const started = Date.now();
          function bring() {{
            const card = document.querySelector({selector});
            if (card && card.getBoundingClientRect().height > 0) {{
              card.scrollIntoView({{block: "nearest"}});
            }}
            if (Date.now() - started < 1500) setTimeout(bring, 100);
          }}
          bring();
        }})();
        </script>""",
        unsafe_allow_javascript=True,
    )


def offer_card(
    quote: MarketEstimate,
    trade_in: TradeInQuote | None,
    spec: LaptopSpec | None,
    store: StoreIdentity,
    stale: bool = False,
    settings: Settings | None = None,
    clerk_email: str | None = None,
) -> None:
    """``settings`` given: the decision controls follow the offer (the client they name), and
    record ``clerk_email`` (masked) as the decision's author."""
    with st.container(border=True, key=CARD_KEY):
        if stale:
            st.warning(STALE, icon=":material/edit:")
            st.html(STALE_STYLE)
        with st.container(key=STALE_KEY if stale else "offer_current"):
            if trade_in is None:
                st.info(ANSWER_THE_CONDITION, icon=":material/checklist:")
                return
            _offer(quote, trade_in, spec, store, stale, settings, clerk_email)


def _offer(
    quote: MarketEstimate,
    trade_in: TradeInQuote,
    spec: LaptopSpec | None,
    store: StoreIdentity,
    stale: bool,
    settings: Settings | None,
    clerk_email: str | None,
) -> None:
    offer = trade_in.offer
    if offer.amount is not None:
        st.metric(OFFER_LABEL, format_price(offer.amount, quote.currency))
        if offer.basis == "parts":
            st.caption(offer.no_offer_reason or "")
    else:
        st.error(f"**Sem oferta.** {offer.no_offer_reason}", icon=":material/block:")
    st.markdown(
        f"Cotação **{trade_in.quote_id}**  \nVálida até **{trade_in.valid_until:%d/%m/%Y}**"
    )
    words = condition_words(trade_in)
    if words and offer.basis == "condition":
        st.caption(f"Descontos pelo estado: {words}")
    if settings is not None:
        outcome_controls(
            trade_in.quote_id,
            offer.amount,
            settings,
            "card",
            offer.no_offer_code,
            stale,
            clerk_email=clerk_email,
        )
    pdf_download(trade_in, spec, store, quote.currency, disabled=stale)


def error_card(message: str) -> None:
    st.error(message, icon=":material/error:")
