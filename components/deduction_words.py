"""The offer's arithmetic in the clerk's words: each deduction's label, the market estimate and
the step from it to the resale value of a perfect used laptop. Pure text, shared by the offer
card, the clerk's details and *Buscar cotação*."""

from __future__ import annotations

from laptop_pricing.formatting import format_price
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.trade_in.condition import QUESTIONS_BY_KEY
from laptop_pricing.trade_in.offer import (
    CONDITION_RULE,
    MARGIN_RULE,
    PRICING_SOURCE_MODEL,
    PROCESSING_RULE,
    ROUNDING_RULE,
    Deduction,
)
from laptop_pricing.trade_in.quote import TradeInQuote

MARKET_LABEL = "Estimativa de mercado do modelo (não é a oferta)"


def percent_text(value: float) -> str:
    return f"{value:g}".replace(".", ",") + " %"


def deduction_label(deduction: Deduction) -> str:
    if deduction.rule == MARGIN_RULE:
        return f"Margem da loja ({percent_text(deduction.percent or 0)})"
    if deduction.rule == PROCESSING_RULE:
        return "Custo de preparo (limpeza, testes, formatação)"
    if deduction.rule == ROUNDING_RULE:
        return "Arredondamento"
    if deduction.rule == CONDITION_RULE:
        return f"Estado do aparelho, pelas vendas da loja ({percent_text(deduction.percent or 0)})"
    question_key, answer_key = deduction.rule.split(".", 1)
    question = QUESTIONS_BY_KEY.get(question_key)
    if question is None:
        return deduction.rule
    answer = question.answer_by_key(answer_key)
    percent = f" ({percent_text(deduction.percent)})" if deduction.percent is not None else ""
    return f"{question.short_label}: {answer.label.lower()}{percent}"


def condition_words(trade_in: TradeInQuote) -> str | None:
    """What lowered the offer, in words the customer may read (no amounts): "Tela: riscos
    leves · Bateria: dura pouco"; None when nothing about the condition did."""
    if trade_in.offer.pricing_source == PRICING_SOURCE_MODEL:  # one line prices every answer
        lowered = [(q, a) for q, a in trade_in.condition.answers() if a != q.answers[0]]
        return " · ".join(f"{q.short_label}: {a.label}" for q, a in lowered) or None
    words = []
    for deduction in trade_in.offer.answer_deductions:
        question_key, answer_key = deduction.rule.split(".", 1)
        question = QUESTIONS_BY_KEY.get(question_key)
        if question is not None:
            words.append(f"{question.short_label}: {question.answer_by_key(answer_key).label}")
    return " · ".join(words) or None


def market_text(quote: MarketEstimate) -> str:
    text = f"{MARKET_LABEL}: **{format_price(quote.price, quote.currency)}**"
    if quote.low is not None and quote.high is not None:
        low = format_price(quote.low, quote.currency)
        high = format_price(quote.high, quote.currency)
        text += f"  \nFaixa provável: entre {low} e {high}"
    return text


def resale_step(trade_in: TradeInQuote, currency: str) -> str:
    """Why the resale value is about half the market estimate, in one line."""
    offer = trade_in.offer
    share = round(100 * offer.resale_value / offer.market_estimate) if offer.market_estimate else 0
    if offer.pricing_source == PRICING_SOURCE_MODEL:
        return (
            f"Revenda de um usado perfeito: {format_price(offer.resale_value, currency)} "
            f"({share} % da estimativa de mercado, pelo modelo treinado com as vendas da loja)"
        )
    return (
        f"Revenda de um usado perfeito: {format_price(offer.resale_value, currency)} "
        f"({share} % da estimativa de mercado, que é o preço de um notebook novo igual: "
        "um usado em perfeito estado revende por essa parte)"
    )


def breakdown_lines(trade_in: TradeInQuote, currency: str) -> str:
    """From the market estimate to the offer, one line per step, amounts in reais."""
    offer = trade_in.offer
    lines = [
        f"Estimativa de mercado (notebook novo): {format_price(offer.market_estimate, currency)}",
        resale_step(trade_in, currency),
    ]
    for deduction in offer.deductions:
        lines.append(f"− {deduction_label(deduction)}: {format_price(deduction.amount, currency)}")
    lines.append(f"= Oferta: {format_price(offer.amount or 0, currency)}")
    return "  \n".join(lines)
