"""The condition questions, after the laptop fields: one radio per question, from the module.

Questions start unanswered on purpose: the offer depends on them, so the clerk must look at the
laptop and choose, not accept a default. Widget keys are ``condition_<question key>``; answers
survive a visit to another page (kept under ``SAVED_KEY``, like the laptop form).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from laptop_pricing.trade_in.condition import QUESTIONS, AnswerValue, Condition, Question

SAVED_KEY = "condition_form_values"


def widget_key(question: Question) -> str:
    return f"condition_{question.key}"


def _initial_values() -> None:
    saved = st.session_state.get(SAVED_KEY, {})
    for question in QUESTIONS:
        key = widget_key(question)
        if key not in st.session_state and question.key in saved:
            st.session_state[key] = saved[question.key]


def clear_condition() -> None:
    """The next customer: every question unanswered again (a callback, before widgets draw)."""
    st.session_state.pop(SAVED_KEY, None)
    for question in QUESTIONS:
        st.session_state[widget_key(question)] = None


def condition_form() -> dict[str, Any]:
    """Draw the questions; returns question key -> answer value (None while unanswered)."""
    _initial_values()
    st.markdown("**Estado do notebook**")
    answers: dict[str, Any] = {}
    halves = st.columns(2, gap="medium")
    split = (len(QUESTIONS) + 1) // 2
    for index, question in enumerate(QUESTIONS):
        with halves[0 if index < split else 1]:
            answers[question.key] = st.radio(
                question.label,
                question.values,
                index=None,
                format_func=_labeller(question),
                help=question.help,
                horizontal=True,
                key=widget_key(question),
            )
    st.session_state[SAVED_KEY] = {k: v for k, v in answers.items() if v is not None}
    return answers


def _labeller(question: Question) -> Callable[[AnswerValue], str]:
    """How the radio shows one of ``question``'s values: its answer's label."""
    return lambda value: question.answer(value).label


def question_helps() -> dict[str, str]:
    return {widget_key(q): q.help for q in QUESTIONS if q.help}


def unanswered(answers: dict[str, Any]) -> list[Question]:
    return [q for q in QUESTIONS if answers.get(q.key) is None]


def answered_condition(answers: dict[str, Any]) -> Condition | None:
    """The validated condition when every question is answered, else None."""
    if unanswered(answers):
        return None
    return Condition.from_payload(answers)
