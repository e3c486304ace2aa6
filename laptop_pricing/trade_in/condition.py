"""The one definition of the condition questions a trade-in asks, as ``schema`` is for the laptop.

Every consumer reads the seven questions from here: the clerk's condition form (pt-BR labels,
help, answers, widget), the API validator (``Condition.from_payload``, errors named
``condition.<key>``), the store policy (which refers to answers as ``<question>.<answer key>``),
the offer arithmetic, the request-log columns and the PDF quote.

Answers are ordered best first. The policy loader relies on that order: a worse answer may never
cost less than a better one, so a worse answer can never raise the offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from laptop_pricing.log_columns import CONDITION_LOG_COLUMNS
from laptop_pricing.pricing.laptop_spec import FieldError, preview

AnswerValue = bool | str
PAYLOAD_KEY = "condition"


@dataclass(frozen=True)
class Answer:
    """One allowed answer: its API value, the key the policy uses, and what the clerk reads."""

    value: AnswerValue
    key: str
    label: str


@dataclass(frozen=True)
class Question:
    """A condition question: its answers (best first), pt-BR label and help, and its widget."""

    key: str
    kind: Literal["boolean", "choice"]
    label: str
    help: str
    answers: tuple[Answer, ...]
    short_label: str
    widget: Literal["radio"] = "radio"

    values: tuple[AnswerValue, ...] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Read on every request: computed once (a cached_property takes a lock on each read).
        object.__setattr__(self, "values", tuple(answer.value for answer in self.answers))

    @property
    def field(self) -> str:
        """How API errors name this question."""
        return f"{PAYLOAD_KEY}.{self.key}"

    @property
    def log_column(self) -> str:
        return f"condition_{self.key}"

    def answer(self, value: AnswerValue) -> Answer:
        for answer in self.answers:
            if answer.value == value and type(answer.value) is type(value):
                return answer
        raise KeyError(f"{self.key}: {value!r} is not an answer")

    def answer_by_key(self, key: str) -> Answer:
        for answer in self.answers:
            if answer.key == key:
                return answer
        raise KeyError(f"{self.key}: no answer {key!r}")

    def rank(self, value: AnswerValue) -> int:
        """0 for the best answer, growing as the answer gets worse."""
        return self.answers.index(self.answer(value))


def _yes_no(yes: str = "Sim", no: str = "Não") -> tuple[Answer, ...]:
    return (Answer(True, "yes", yes), Answer(False, "no", no))


QUESTIONS: tuple[Question, ...] = (
    Question(
        key="powers_on",
        kind="boolean",
        label="Liga e inicia o sistema?",
        short_label="Liga e inicia o sistema",
        help="Ligue o notebook na tomada e espere a tela de login ou a área de trabalho.",
        answers=_yes_no(),
    ),
    Question(
        key="screen",
        kind="choice",
        label="Tela",
        short_label="Tela",
        help="Olhe a tela ligada, com fundo branco e com fundo preto.",
        answers=(
            Answer("perfect", "perfect", "Perfeita"),
            Answer("scratched", "scratched", "Riscos leves"),
            Answer("broken", "broken", "Trincada, manchas, linhas ou pixels mortos"),
        ),
    ),
    Question(
        key="body",
        kind="choice",
        label="Carcaça e dobradiças",
        short_label="Carcaça e dobradiças",
        help="Abra e feche a tampa; veja cantos, tampa e a parte de baixo.",
        answers=(
            Answer("like_new", "like_new", "Como nova"),
            Answer("worn", "worn", "Marcas de uso"),
            Answer("damaged", "damaged", "Trincada, amassada ou dobradiça solta"),
        ),
    ),
    Question(
        key="keyboard_ports",
        kind="choice",
        label="Teclado, touchpad e portas",
        short_label="Teclado, touchpad e portas",
        help="Teste as teclas, o touchpad e cada porta USB, HDMI e de fone.",
        answers=(
            Answer("ok", "ok", "Tudo funciona"),
            Answer("faulty", "faulty", "Algo falha"),
        ),
    ),
    Question(
        key="battery",
        kind="choice",
        label="Bateria",
        short_label="Bateria",
        help="Pergunte ao cliente quanto tempo dura longe da tomada.",
        answers=(
            Answer("normal", "normal", "Dura normalmente"),
            Answer("weak", "weak", "Dura pouco"),
            Answer("dead", "dead", "Não segura carga"),
        ),
    ),
    Question(
        key="charger",
        kind="boolean",
        label="Carregador original junto?",
        short_label="Carregador original junto",
        help="O cliente entrega o carregador original do notebook?",
        answers=_yes_no(),
    ),
    Question(
        key="locks_removed",
        kind="boolean",
        label="Senhas e contas removidas?",
        short_label="Senhas e contas removidas",
        help="Sem senha de BIOS, de inicialização nem conta do sistema (Microsoft, Apple ID).",
        answers=_yes_no(),
    ),
)

QUESTION_KEYS: tuple[str, ...] = tuple(q.key for q in QUESTIONS)
QUESTIONS_BY_KEY: Mapping[str, Question] = {q.key: q for q in QUESTIONS}


def _check_log_columns() -> None:
    """The request log declares the condition columns in ``schema``; they must be ours."""
    if tuple(q.log_column for q in QUESTIONS) != CONDITION_LOG_COLUMNS:
        raise RuntimeError("log_columns.CONDITION_LOG_COLUMNS does not match condition.QUESTIONS")
    for question in QUESTIONS:
        keys = [a.key for a in question.answers]
        if len(set(keys)) != len(keys) or len(set(question.values)) != len(keys):
            raise RuntimeError(f"condition question {question.key} repeats an answer")


_check_log_columns()


def answer_ref(question: Question, answer: Answer) -> str:
    """How the policy names an answer: ``screen.broken``, ``powers_on.no``."""
    return f"{question.key}.{answer.key}"


ANSWER_REFS: tuple[str, ...] = tuple(answer_ref(q, a) for q in QUESTIONS for a in q.answers)
# (question key, answer value) -> (question, answer, ref): the offer reads it once per request.
_ANSWERS: Mapping[tuple[str, type, AnswerValue], tuple[Question, Answer, str]] = {
    (q.key, type(a.value), a.value): (q, a, answer_ref(q, a)) for q in QUESTIONS for a in q.answers
}


class InvalidCondition(ValueError):
    """A ``condition`` object that does not answer the questions; carries every field error."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))


@dataclass(frozen=True)
class Condition:
    """A validated set of answers: every question answered with an allowed value."""

    powers_on: bool
    screen: str
    body: str
    keyboard_ports: str
    battery: str
    charger: bool
    locks_removed: bool

    @classmethod
    def from_payload(cls, data: Any) -> Condition:
        """Validate a request's ``condition`` object, reporting every question at fault."""
        if not isinstance(data, Mapping):
            raise InvalidCondition(
                [FieldError(PAYLOAD_KEY, preview(data), "must be a JSON object")]
            )
        errors: list[FieldError] = []
        values: dict[str, AnswerValue] = {}
        for question in QUESTIONS:
            if question.key not in data:
                errors.append(FieldError(question.field, None, "missing", question.values))
                continue
            raw = data[question.key]
            if question.kind == "boolean" and not isinstance(raw, bool):
                errors.append(
                    FieldError(question.field, preview(raw), "must be true or false", (True, False))
                )
            elif question.kind == "choice" and (
                raw not in question.values  # the usual case: exactly an allowed value
                and (not isinstance(raw, str) or raw.strip().lower() not in question.values)
            ):
                errors.append(
                    FieldError(
                        question.field, preview(raw), "not an allowed value", question.values
                    )
                )
            else:
                values[question.key] = raw.strip().lower() if isinstance(raw, str) else raw
        for key in data:
            if key not in QUESTIONS_BY_KEY:
                errors.append(
                    FieldError(
                        f"{PAYLOAD_KEY}.{str(key)[:64]}", None, "unknown field", QUESTION_KEYS
                    )
                )
        if errors:
            raise InvalidCondition(errors)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def best(cls) -> Condition:
        """Every question answered with its best answer (tests, docs and benches use it)."""
        return cls(**{q.key: q.answers[0].value for q in QUESTIONS})  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, AnswerValue]:
        """Answers by question key, in question order (the API's ``condition`` object)."""
        return {key: getattr(self, key) for key in QUESTION_KEYS}

    def answers(self) -> tuple[tuple[Question, Answer], ...]:
        return tuple((q, a) for q, a, _ in self.answer_refs)

    @property
    def answer_refs(self) -> tuple[tuple[Question, Answer, str], ...]:
        """Each question with its answer and the policy's name for it, in question order."""
        return tuple(
            _ANSWERS[(key, type(value), value)]
            for key, value in ((key, getattr(self, key)) for key in QUESTION_KEYS)
        )

    def log_values(self) -> dict[str, str]:
        """Request-log cells: the API values, booleans as ``true``/``false``."""
        return {q.log_column: _cell(getattr(self, q.key)) for q in QUESTIONS}

    @classmethod
    def from_log_values(cls, row: Mapping[str, Any]) -> Condition | None:
        """The answers of a request-log row; None when the row holds no (valid) condition."""
        payload: dict[str, Any] = {}
        for question in QUESTIONS:
            cell = str(row.get(question.log_column) or "").strip().lower()
            if not cell:
                return None
            payload[question.key] = {"true": True, "false": False}.get(cell, cell)
        try:
            return cls.from_payload(payload)
        except InvalidCondition:
            return None


def _cell(value: AnswerValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# The request-log cells that describe a defect, per condition column: every answer but the best
# (monitoring grades quotes by how many a row holds).
DEFECT_LOG_CELLS: Mapping[str, frozenset[str]] = {
    q.log_column: frozenset(_cell(a.value) for a in q.answers[1:]) for q in QUESTIONS
}
