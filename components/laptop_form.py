"""The laptop form: one widget per schema field, labels/options/help/defaults from the schema.

No ``st.form``: the processor list must follow the processor brand as soon as it changes, so an
impossible pair (Apple M1 + Ryzen 7) can never be chosen. Every widget has a stable key
``field_<name>``; values survive a visit to another page (Streamlit drops the state of widgets
that were not drawn, so the last values are also kept under ``SAVED_KEY``).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from laptop_pricing.pricing.schema import FIELDS, FIELDS_BY_NAME, PROCESSORS_BY_BRAND, Field

SAVED_KEY = "laptop_form_values"
SUBMIT_KEY = "submit"
# The widget value of "não sei" for an optional field whose not-informed state is None
# (a radio holding None shows nothing selected).
NOT_INFORMED = "not_informed"

# How the form is laid out for a clerk reading a spec sheet: (section title, field names). A
# schema field placed nowhere here is asked at the end of the last section.
PLACED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Notebook", ("brand", "weight", "os", "os_bit", "touchscreen", "warranty", "msoffice")),
    (
        "Processador e memória",
        ("processor_brand", "processor_name", "processor_gnrtn", "ram_gb", "ram_type"),
    ),
    ("Armazenamento e vídeo", ("ssd", "hdd", "graphic_card")),
)
_placed = [n for _, names in PLACED for n in names]
assert len(set(_placed)) == len(_placed) and set(_placed) <= set(FIELDS_BY_NAME)
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    *PLACED[:-1],
    (PLACED[-1][0], (*PLACED[-1][1], *(f.name for f in FIELDS if f.name not in _placed))),
)


def widget_key(name: str) -> str:
    return f"field_{name}"


def processor_options(processor_brand: str) -> tuple[str, ...]:
    return PROCESSORS_BY_BRAND[processor_brand]


def _initial_values() -> None:
    """Give every widget its value before it is drawn: the last one used, else the default."""
    saved = st.session_state.get(SAVED_KEY, {})
    for field in FIELDS:
        key = widget_key(field.name)
        if key not in st.session_state:
            value = saved.get(field.name, field.default)
            st.session_state[key] = NOT_INFORMED if value is None else value


def _keep_processor_valid() -> None:
    """When the processor brand changes, keep a processor that brand makes."""
    brand = st.session_state[widget_key("processor_brand")]
    options = processor_options(brand)
    key = widget_key("processor_name")
    if st.session_state.get(key) not in options:
        default = FIELDS_BY_NAME["processor_name"].default
        st.session_state[key] = default if default in options else options[0]


def _widget(field: Field, options: tuple[Any, ...] | None = None) -> Any:
    key = widget_key(field.name)
    if field.widget == "number_input":
        values = [int(v) for v in field.values]  # a number_input field's values are integers
        return st.number_input(
            field.label,
            min_value=min(values),
            max_value=max(values),
            step=1,
            format="%d",
            help=field.help,
            key=key,
        )
    if options is None:
        options = tuple(NOT_INFORMED if v is None else v for v in field.form_values)

    def label(value: Any) -> str:
        return field.option_label(None if value == NOT_INFORMED else value)

    if field.widget == "radio":
        chosen = st.radio(
            field.label, options, format_func=label, help=field.help, horizontal=True, key=key
        )
    else:
        chosen = st.selectbox(field.label, options, format_func=label, help=field.help, key=key)
    return None if chosen == NOT_INFORMED else chosen


def laptop_form() -> dict[str, Any]:
    """Draw the form and return the chosen values (field name -> allowed value)."""
    _initial_values()
    _keep_processor_valid()
    values: dict[str, Any] = {}
    columns = st.columns(len(SECTIONS), gap="medium")
    for column, (title, names) in zip(columns, SECTIONS, strict=True):
        with column.container(border=True, height="stretch"):
            st.markdown(f"**{title}**")
            for name in names:
                field = FIELDS_BY_NAME[name]
                options = None
                if name == "processor_name":
                    options = processor_options(values["processor_brand"])
                values[name] = _widget(field, options)
    values = {f.name: values[f.name] for f in FIELDS}  # contract order
    st.session_state[SAVED_KEY] = values
    return values


def submit_button() -> bool:
    return st.button(
        "Calcular oferta", type="primary", key=SUBMIT_KEY, width="stretch", icon=":material/sell:"
    )
