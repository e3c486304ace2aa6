"""The laptop form: one widget per schema field, labels/options/help/defaults from the schema.

No ``st.form``: the processor list must follow the processor brand as soon as it changes, so an
impossible pair (Apple M1 + Ryzen 7) can never be chosen. Every widget has a stable key
``field_<name>``; values survive a visit to another page (Streamlit drops the state of widgets
that were not drawn, so the last values are also kept under ``SAVED_KEY``).

The fields that vary most between laptops (``CHOSEN_BY_CLERK``) start with nothing chosen, so a
hurried clerk never prices a Dell that is a Lenovo; the button names the ones still missing.
"""

from __future__ import annotations

import json
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
CHOSEN_BY_CLERK: tuple[str, ...] = ("brand", "processor_brand", "processor_name", "ram_gb", "ssd")
assert set(CHOSEN_BY_CLERK) <= set(FIELDS_BY_NAME)
CHOOSE = "Escolha"
CHOOSE_BRAND_FIRST = "Escolha antes o fabricante"


def widget_key(name: str) -> str:
    return f"field_{name}"


def processor_options(processor_brand: str | None) -> tuple[str, ...]:
    return PROCESSORS_BY_BRAND[processor_brand] if processor_brand else ()


def _start_value(field: Field) -> Any:
    if field.name in CHOSEN_BY_CLERK:
        return None
    return NOT_INFORMED if field.default is None else field.default


def _initial_values() -> None:
    """Give every widget its value before it is drawn: the last one used, else its start."""
    saved = st.session_state.get(SAVED_KEY, {})
    for field in FIELDS:
        key = widget_key(field.name)
        if key not in st.session_state:
            if field.name in saved:
                value = saved[field.name]
                value = NOT_INFORMED if value is None and not field.required else value
            else:
                value = _start_value(field)
            st.session_state[key] = value


def clear_form() -> None:
    """The next customer: every field back to its start (a callback, before widgets draw)."""
    st.session_state.pop(SAVED_KEY, None)
    for field in FIELDS:
        st.session_state[widget_key(field.name)] = _start_value(field)


def _keep_processor_valid() -> None:
    """When the processor brand changes, drop a processor that brand does not make."""
    options = processor_options(st.session_state[widget_key("processor_brand")])
    key = widget_key("processor_name")
    if st.session_state.get(key) not in options:
        st.session_state[key] = None


def missing_choices(values: dict[str, Any]) -> list[str]:
    """The labels of the fields the clerk has not chosen yet, in form order."""
    return [FIELDS_BY_NAME[n].label for n in CHOSEN_BY_CLERK if values.get(n) is None]


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
        waiting = field.name == "processor_name" and not options
        chosen = st.selectbox(
            field.label,
            options,
            format_func=label,
            help=field.help,
            key=key,
            placeholder=CHOOSE_BRAND_FIRST if waiting else CHOOSE,
            disabled=waiting,
        )
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


# While a click is being answered the button takes no second click (the app's root carries
# data-test-script-state="running" for the whole run).
BUSY_STYLE = (
    '<style>[data-test-script-state="running"] .st-key-submit button '
    "{pointer-events: none; opacity: 0.6; cursor: progress;}</style>"
)


# The "?" help of each field is a tooltip: reachable by mouse and read by a screen reader with
# the field itself (aria-description), but no longer one Tab stop per field (21 extra Tabs per
# customer). The radios get a focus ring a clerk can see: React Aria marks the option under
# keyboard focus with data-focus-visible, so the ring is a style rule, no script.
KEYBOARD_STYLE = """<style>
[data-testid="stRadioOption"][data-focus-visible="true"] {
  outline: 3px solid #1d4ed8; outline-offset: 2px; border-radius: 4px;
}
</style>"""
# Sent once per session: an observer of new elements (a rerun, a fragment) that, in one pass
# when the browser is idle, takes the estimate page's help icons out of the Tab order and puts
# each help on its field. Nothing runs per mutation but a flag: a pass after every DOM change of
# a rerun, or a few passes per rerun, cost the click -> offer (bench/bench_click_to_offer.py).
KEYBOARD_SCRIPT = """<script>
(function () {
  if (window.__estimateKeyboard) return;
  const helps = %s;
  const state = {waiting: false};
  window.__estimateKeyboard = state;
  const later = window.requestIdleCallback || function (run) { return setTimeout(run, 50); };
  function tidy() {
    state.waiting = false;
    if (!document.querySelector(".st-key-%s")) return;  // the estimate page only
    document.querySelectorAll(
      '[data-testid="stMain"] [data-testid="stTooltipHoverTarget"] button'
    ).forEach(function (button) { if (button.tabIndex !== -1) button.tabIndex = -1; });
    Object.entries(helps).forEach(function ([key, help]) {
      document.querySelectorAll(
        ".st-key-" + key + " input, .st-key-" + key + ' [role="radiogroup"]'
      ).forEach(function (el) {
        if (el.getAttribute("aria-description") !== help) el.setAttribute("aria-description", help);
      });
    });
  }
  new MutationObserver(function () {
    if (!state.waiting) { state.waiting = true; later(tidy, {timeout: 500}); }
  }).observe(document.body, {childList: true, subtree: true});
  tidy();
})();
</script>"""
KEYBOARD_SENT_KEY = "keyboard_script_sent"


def keyboard_help(helps: dict[str, str]) -> None:
    """``helps``: widget key -> help text, for the fields and questions on the page. The style
    is drawn on every run (an element left out of a run is removed); the script once."""
    st.html(KEYBOARD_STYLE)
    if not st.session_state.get(KEYBOARD_SENT_KEY):
        script = KEYBOARD_SCRIPT % (json.dumps(helps), SUBMIT_KEY)
        st.html(script, unsafe_allow_javascript=True)
        st.session_state[KEYBOARD_SENT_KEY] = True


def field_helps() -> dict[str, str]:
    return {widget_key(f.name): f.help for f in FIELDS if f.help}


def submit_button() -> bool:
    st.html(BUSY_STYLE)
    return st.button(
        "Calcular oferta", type="primary", key=SUBMIT_KEY, width="stretch", icon=":material/sell:"
    )
