"""Who prices the offers now, on the model card: the policy's rule, or the store model trained
on the store's own sales (``model/store-model/``, ``trade_in.used_price_model``), with the
held-out numbers it won on against the rule.

``offer_source_sentences(metadata)`` is pure (the sentences, tested on their own);
``render_offer_source()`` reads the shipped metadata and draws them.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from laptop_pricing.formatting import format_day, format_int, format_percent
from laptop_pricing.pricing.artifact import ArtifactError
from laptop_pricing.trade_in.used_price_model import (
    ALL_STORES,
    StoreModelMetadata,
    read_store_model_metadata,
)

RULE_SENTENCE = (
    "**A oferta é calculada pela regra da política**: estimativa de mercado × parte de revenda, "
    "menos os descontos pelo estado do aparelho, a margem e o custo de preparo."
)


def offer_source_sentences(metadata: StoreModelMetadata | None) -> tuple[str, ...]:
    """The card's sentences: which one prices, where, and the held-out numbers."""
    if metadata is None:
        return (RULE_SENTENCE,)
    numbers = (
        f"Nas {format_int(metadata.n_test)} vendas mais recentes (desde "
        f"{format_day(date.fromisoformat(metadata.cutoff))}), que o modelo não viu no "
        f"treino, ele errou em média {format_percent(metadata.model_mape)} do preço de venda; "
        f"a regra errou {format_percent(metadata.rule_mape)}."
    )
    if metadata.pricing_source != "store_model":
        return (
            RULE_SENTENCE,
            f"O modelo da loja (versão {metadata.version}) não superou a regra por "
            f"{metadata.margin_pct}% e não calcula ofertas. {numbers}",
        )
    where = (
        "Vale para todas as lojas."
        if ALL_STORES in metadata.store_ids
        else f"Vale para as lojas {', '.join(metadata.store_ids)}; as demais usam a regra."
    )
    sentences = [
        f"**A oferta é calculada pelo modelo da loja** (versão {metadata.version}), treinado "
        "com as vendas da própria loja: ele estima por quanto o notebook, no estado "
        "informado, será revendido; a margem e o custo de preparo seguem a política. " + where,
        numbers,
    ]
    if metadata.synthetic:
        sentences.append("Atenção: este modelo foi treinado com um ano sintético (demonstração).")
    return tuple(sentences)


def render_offer_source() -> None:
    """The section "Quem calcula a oferta" of the model card."""
    st.subheader("Quem calcula a oferta")
    try:
        metadata = read_store_model_metadata()
    except ArtifactError:
        st.warning(
            "O modelo da loja instalado não pode ser lido. Peça ao responsável pelo sistema "
            "para exportá-lo de novo (pasta model/store-model/)."
        )
        return
    for sentence in offer_source_sentences(metadata):
        st.markdown(sentence)
