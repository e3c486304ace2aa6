"""The purchase page's words: step titles, what each step lacks, and which step a field the
service refused belongs to (so its sentence appears beside the widget that caused it)."""

from __future__ import annotations

from collections.abc import Iterable

STEPS = {
    1: "Inspeção",
    2: "Travas",
    3: "Máquina",
    4: "Fotos",
    5: "Vendedor",
    6: "Pagamento",
    7: "Declaração",
}

# A refused field's first part -> its step (``condition.screen`` -> 1, ``seller.cpf`` -> 5).
FIELD_STEPS = {
    "condition": 1,
    "agreed_amount": 1,
    "amount_reason": 1,
    "locks": 2,
    "machine": 3,
    "photos": 4,
    "seller": 5,
    "privacy_notice_read": 5,
    "payout": 6,
    "declaration_signed": 7,
    "declaration_photo": 7,
}

# Each step's own check, before anything is sent.
UNANSWERED = "Falta responder na inspeção: {questions}."
AMOUNT_ABOVE = (
    "O valor combinado ({agreed}) passa da oferta revista ({revised}): combine um novo valor "
    "com o cliente ou peça a aprovação do dono."
)
AMOUNT_REASON = "Escreva o motivo do valor: ele é diferente da oferta revista."
LOCKS_UNANSWERED = "Responda a cada trava com o cliente: falta {locks}."
LOCK_NO = "Não é possível comprar com “{question}” em não. {what_to_do}"
SERIAL_MISSING = "Digite o número de série da etiqueta ou leia o código de barras."
SERIAL_INVALID = (
    "Número de série inválido: use de 3 a 40 letras, números, hífen, ponto, barra ou espaço."
)
LABEL_MISSING = "Escreva a marca e o modelo como estão na etiqueta."
PHOTOS_FEW = "Faltam fotos: são pelo menos {min} (tem {count})."
PHOTOS_MANY = "Fotos demais: são no máximo {max} (tem {count}); remova {extra}."
PRIVACY_UNREAD = "Leia para o cliente o aviso de privacidade e marque que leu."
PAYOUT_MISSING = "Escolha como o cliente vai receber."
UNSIGNED = "Marque que a declaração foi assinada pelo vendedor e guardada."
OWNER_NEEDED = "Só o dono da loja pode aprovar esta compra: chame o dono para entrar e aprovar."
BARCODE_NONE = (
    "Não encontrei código de barras nesta foto: aproxime a câmera da etiqueta ou digite o número."
)
BARCODE_READ = "Número de série lido do código de barras: {serial}. Confira com a etiqueta."

SELLER_FIELDS = {
    "seller.name": "Escreva o nome completo do vendedor, como no documento.",
    "seller.cpf": "CPF inválido: confira os 11 números com o documento do vendedor.",
    "seller.document_type": "Escolha o tipo de documento do vendedor.",
    "seller.document_number": "Escreva o número do documento do vendedor.",
    "seller.phone": "Telefone inválido: use DDD e número, ou deixe em branco.",
}
SELLER_INVALID = "Confira os dados do vendedor."

# When the service could not be asked or answered something we cannot place.
UNAVAILABLE = "Não foi possível falar com o serviço agora. Tente de novo em instantes."
NOT_STORED = (
    "A compra não foi confirmada pelo serviço. Clique em **Concluir compra** de novo: ela não "
    "será registrada duas vezes."
)
REFUSED = "O serviço recusou a compra: {message}"
# A refused field that is no widget of the page: its own sentence instead of the service's.
OTHER_STORE = (
    "Esta cotação é de uma loja cuja política de compra este serviço não tem: faça uma nova "
    "cotação nesta loja."
)
FIELD_WORDS = {"store_id": OTHER_STORE}
DECLARATION_WAITS = "Complete {steps} para gerar a declaração."


def step_title(number: int) -> str:
    return f"{number}. {STEPS[number]}"


def step_of(field: str) -> int | None:
    return FIELD_STEPS.get(field.split(".", 1)[0])


def refusal_step(fields: Iterable[str]) -> int | None:
    """The first step that holds one of the refused fields (None: none of the form's)."""
    steps = [step for step in (step_of(f) for f in fields) if step is not None]
    return min(steps) if steps else None


def refusal_words(fields: Iterable[str], message_pt: str) -> str:
    """What the clerk reads of a refusal: a field's own sentence, else the service's."""
    return next((FIELD_WORDS[f] for f in fields if f in FIELD_WORDS), message_pt)


def steps_text(numbers: Iterable[int]) -> str:
    """ "1, 3 e 5" for the steps still lacking something."""
    words = [str(n) for n in sorted(set(numbers))]
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " e " + words[-1]
