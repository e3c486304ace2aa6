"""The stock page's words: states, channels, actions, and what the clerk reads after each
change or refusal. The service's own pt-BR sentence is shown as sent when there is one."""

from __future__ import annotations

from laptop_pricing.errors import BadRequest, PricingError, StockRefused
from laptop_pricing.stock.events import CHANNEL_LABELS, STATE_LABELS
from laptop_pricing.stock.query import AGE_LABELS

TITLE = "Estoque"
INTRO = (
    "Cada notebook comprado entra aqui em preparo. Ponha à venda, registre a venda ou "
    "descarte para peças: cada mudança fica no histórico."
)
STATES = STATE_LABELS
CHANNELS = CHANNEL_LABELS
AGES = AGE_LABELS
ALL = "Todos"
SEARCH_LABEL = "Buscar por número de série ou código da compra"
EMPTY = "Nenhum notebook no estoque com esses filtros."
PICK_LABEL = "Escolha um notebook desta página para ver o histórico e as ações"
HISTORY_WORDS = {
    "em_preparo": "Entrou em preparo",
    "a_venda": "Posto à venda",
    "vendido": "Vendido",
    "descartado": "Descartado",
    "pecas": "Separado para peças",
    "correcao_venda": "Venda corrigida pelo dono",
}
ROLE_WORDS = {"owner": "dono", "clerk": "balconista"}
LIST_ACTION = "Pôr à venda"
RELIST_ACTION = "Mudar preço de venda"
SELL_ACTION = "Registrar venda"
SCRAP_ACTION = "Descartar / peças"
BACK_ACTION = "Voltar para preparo"
CORRECT_ACTION = "Corrigir venda"
LIST_PRICE_LABEL = "Preço de venda (R$)"
SUGGESTED_HELP = (
    "Sugestão da política da loja: {share} da estimativa de mercado ({estimate}). Mude se precisar."
)
SALE_PRICE_LABEL = "Preço da venda (R$)"
SALE_DATE_LABEL = "Data da venda"
CHANNEL_LABEL = "Canal"
SCRAP_LABEL = "O que fazer com ele"
SCRAP_CHOICES = {"descartado": "Descartar", "pecas": "Separar para peças"}
CLERK_CANNOT_CORRECT = "Venda registrada. Só o dono da loja pode corrigir uma venda."
CLOSED = "Este notebook saiu do estoque; o histórico fica guardado."
DONE = {
    "a_venda": "Registrado: à venda por {price}.",
    "vendido": "Registrado: vendido por {price}.",
    "correcao_venda": "Venda corrigida: {price}.",
    "descartado": "Registrado: descartado.",
    "pecas": "Registrado: separado para peças.",
    "em_preparo": "Registrado: de volta ao preparo.",
}
UNAVAILABLE = "O estoque não pode ser lido agora. Tente de novo em instantes."
CHANGED = "Outra pessoa alterou este notebook agora há pouco: a página foi recarregada, confira."
SHOWING = "{shown} de {total} notebooks · página {page} de {pages}"


def refusal_words(error: PricingError) -> str:
    """One pt-BR sentence for a refused change or an unreadable stock."""
    if isinstance(error, StockRefused) and error.message_pt:
        return error.message_pt
    if isinstance(error, BadRequest):
        return "Confira os valores e envie de novo."
    return UNAVAILABLE
