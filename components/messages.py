"""What the clerk reads when a price cannot be given: short, in pt-BR, saying what to do."""

from __future__ import annotations

import math
from collections.abc import Iterable

from laptop_pricing.errors import (
    AuthError,
    BadRequest,
    ConnectionFailed,
    InvalidResponse,
    PricingError,
    QuoteExpired,
    QuoteNotFound,
    RateLimited,
    ServiceUnavailable,
    Timeout,
    UpstreamError,
)
from laptop_pricing.free_text import CONTROL_REASON, PERSONAL_DATA_REASON
from laptop_pricing.pricing.schema import FIELDS_BY_NAME

AUTH = (
    "Chave de acesso inválida ou ausente: o serviço de preços recusou a consulta. "
    "Avise o responsável pelo sistema para conferir a chave da API."
)
RATE_LIMITED = (
    "Muitas consultas em pouco tempo. Aguarde {wait} e clique em **Calcular oferta** de novo."
)
SERVICE_DOWN = (
    "O serviço de preços está fora do ar no momento. Tente de novo em alguns minutos; "
    "se continuar, avise o responsável pelo sistema."
)
TIMEOUT = (
    "Tempo esgotado: o serviço de preços demorou demais para responder. "
    "Clique em **Calcular oferta** de novo em instantes."
)
CONNECTION = (
    "Não foi possível conectar ao serviço de preços. Verifique a conexão com a internet "
    "e tente de novo."
)
INVALID_RESPONSE = (
    "O serviço de preços respondeu de um jeito inesperado. Tente de novo; "
    "se continuar, avise o responsável pelo sistema."
)
INVALID_FIELDS = "Dados inválidos em: {fields}. Confira esses campos e tente de novo."
INVALID_DATA = "Dados inválidos: confira os campos do formulário e tente de novo."
UNEXPECTED = (
    "Não foi possível calcular o preço agora. Tente de novo; "
    "se continuar, avise o responsável pelo sistema."
)


UNANSWERED = "Falta responder sobre o estado: {questions}. Responda e clique de novo."
UNCHOSEN = "Falta escolher: {fields}. Confira no notebook e clique de novo."


def unanswered(labels: Iterable[str]) -> str:
    names = ", ".join(label.rstrip("?") for label in labels)
    return UNANSWERED.format(questions=names)


def unchosen(labels: Iterable[str]) -> str:
    return UNCHOSEN.format(fields=", ".join(labels))


def invalid_fields(names: Iterable[str]) -> str:
    """Name the form fields at fault by their labels. Anything else the service names ("data",
    "body", an unknown key) is not something the clerk can fix on the form, nor pt-BR."""
    labels = list(dict.fromkeys(FIELDS_BY_NAME[n].label for n in names if n in FIELDS_BY_NAME))
    return INVALID_FIELDS.format(fields=", ".join(labels)) if labels else INVALID_DATA


def wait_text(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return "alguns segundos"
    whole = math.ceil(seconds)
    if whole < 120:
        return f"{whole} s"
    return f"{math.ceil(whole / 60)} min"


def for_error(error: PricingError) -> str:
    """The clerk's message for one typed error (the most specific type first)."""
    if isinstance(error, AuthError):
        return AUTH
    if isinstance(error, RateLimited):
        return RATE_LIMITED.format(wait=wait_text(error.retry_after))
    if isinstance(error, BadRequest):
        return invalid_fields(error.fields)
    if isinstance(error, ServiceUnavailable | UpstreamError):
        return SERVICE_DOWN
    if isinstance(error, Timeout):
        return TIMEOUT
    if isinstance(error, ConnectionFailed):
        return CONNECTION
    if isinstance(error, InvalidResponse):
        return INVALID_RESPONSE
    return UNEXPECTED


# Recording what the customer decided (POST /outcome). A retry is always safe: the same
# decision carries the same event id and is stored once.
OUTCOME_NOT_FOUND = (
    "Cotação {quote_id} não encontrada no registro. Confira o código; se ela acabou de ser "
    "feita, aguarde alguns segundos e registre de novo."
)
OUTCOME_EXPIRED = (
    "Cotação vencida em {day}: a política da loja não registra decisões depois da validade. "
    "Faça uma nova avaliação."
)
OUTCOME_RETRY = (
    "A decisão não foi confirmada pelo serviço. Clique em **Registrar decisão** de novo: "
    "ela não será registrada duas vezes."
)
OUTCOME_RATE_LIMITED = "Muitas consultas em pouco tempo. Aguarde {wait} e registre de novo."
OUTCOME_FIELDS = {
    "amount": "Valor fora do permitido: use entre R$ 1 e 10 vezes a oferta.",
    "note": "Observação longa demais: use até 200 caracteres.",
    "reason": "Escolha o motivo da recusa ou, para um valor muito diferente da oferta, "
    "escreva o motivo do valor.",
    "changed_answer": "Escolha qual resposta mudou na inspeção.",
    "quote_id": "Esta cotação não tem oferta: só é possível registrar a recusa.",
    "event_id": "Registro repetido de outra cotação: recarregue a página e registre de novo.",
}
OUTCOME_INVALID = "Confira os dados da decisão e registre de novo."
# Free text refused for what it holds, whichever field (note, reason): said as such.
OUTCOME_TEXT_REASONS = {
    PERSONAL_DATA_REASON: "Apague o CPF ou telefone do texto: não escreva CPF, telefone ou nome "
    "do cliente. Depois registre de novo.",
    CONTROL_REASON: "O texto tem caracteres inválidos: apague e escreva de novo.",
}


def for_outcome_error(error: PricingError) -> str:
    """The clerk's message when a decision could not be recorded."""
    if isinstance(error, QuoteNotFound):
        return OUTCOME_NOT_FOUND.format(quote_id=error.quote_id)
    if isinstance(error, QuoteExpired):
        day = f"{error.valid_until:%d/%m/%Y}" if error.valid_until else "seu último dia"
        return OUTCOME_EXPIRED.format(day=day)
    if isinstance(error, BadRequest):
        for field_error in error.errors:  # what the text holds says more than its field
            if field_error.reason in OUTCOME_TEXT_REASONS:
                return OUTCOME_TEXT_REASONS[field_error.reason]
        known = [OUTCOME_FIELDS[name] for name in error.fields if name in OUTCOME_FIELDS]
        return " ".join(dict.fromkeys(known)) or OUTCOME_INVALID
    if isinstance(error, RateLimited):
        return OUTCOME_RATE_LIMITED.format(wait=wait_text(error.retry_after))
    if isinstance(error, AuthError):
        return AUTH
    return OUTCOME_RETRY  # not stored, no answer, or an answer we cannot read: send it again
