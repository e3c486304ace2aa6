"""The one door every page goes through: settings, sign-in, role, then the navigation.

``app.py`` calls ``open_app(pages)`` on every run, whatever URL the session started on (the page
files live in ``views/``, not ``pages/``, so Streamlit never runs one of them without ``app.py``:
see README, *Security*). The decisions come from ``laptop_pricing.access``; this module only
arranges what they say:

* bad settings: every URL shows the admin message naming the keys, nothing else runs; the
  detail (URLs, bucket, paths) only in the embedded default or to a signed-in owner, everyone
  else reads that the system is not configured;
* a page the visitor may open: the real page, in the navigation;
* a page the visitor may not open: not in the navigation, and its URL shows why (no data);
* signed out (sign-in configured): every URL shows the sign-in button.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components.app_settings import (
    NOT_CONFIGURED,
    SettingsUnavailable,
    admin_message,
    app_settings,
    secrets_dict,
)
from laptop_pricing.access import Door, Role, Verdict, Visitor, decide, door_for
from laptop_pricing.settings import (
    InvalidSettings,
    SettingProblem,
    Settings,
    names_production,
    read_email_list,
    read_issuers,
)
from laptop_pricing.store_id import store_label

ENTRY_KEY = "page_entry"
SIGN_IN_URL = "entrar"

ROLE_LABELS = {Role.OWNER: "dono da loja", Role.CLERK: "balconista", Role.NONE: "sem acesso"}
OPEN_LOCAL_NOTE = "Acesso aberto: o login está desligado (uso local, nada da loja configurado)."
OPEN_PRODUCTION_WARNING = (
    "**Este app está aberto a qualquer pessoa que tenha o endereço.** O login não está "
    "configurado: quem administra o app deve configurar a seção `[auth]` e as listas "
    "`CLERK-EMAILS` e `OWNER-EMAILS` (veja *Segurança* no README)."
)
NEEDS_SIGN_IN_SETUP = (
    "**Página fechada: ela mostra dados da loja e o login não está configurado.** "
    "Quem administra o app precisa configurar a seção `[auth]` em `.streamlit/secrets.toml` "
    "(o login pela conta Google da loja, por exemplo) e `OWNER-EMAILS` com os e-mails dos donos; "
    "o passo a passo está em *Segurança*, no README."
)
OWNERS_ONLY = "Esta página é só para os donos da loja. Você entrou como balconista."
NOT_ON_A_LIST = (
    "O e-mail `{email}` não está na lista de acesso da loja. Peça a quem administra o app "
    "para incluí-lo em `CLERK-EMAILS` (balconistas) ou `OWNER-EMAILS` (donos) e entre de novo."
)
SIGN_IN_TEXT = "Este app é da equipe da loja. Entre com a sua conta da loja para avaliar notebooks."


@dataclass(frozen=True)
class AppPage:
    """One page of the app: its file under ``views/``, its URL path (a key of
    ``access.PAGE_ROLES``), and how the navigation shows it."""

    path: str
    url_path: str
    title: str
    icon: str


@dataclass(frozen=True)
class Entry:
    """What the door decided for this run; the views read it through ``page_entry``."""

    settings: Settings
    visitor: Visitor

    @property
    def store_id(self) -> str:
        """The store this visitor prices for: their clerk entry's, else the deployment's."""
        return self.visitor.store_id or self.settings.store_id


def page_entry() -> Entry:
    """The settings and visitor ``open_app`` established for this run."""
    entry = st.session_state.get(ENTRY_KEY)
    if not isinstance(entry, Entry):
        raise RuntimeError("page opened without app.py's setup; run `streamlit run app.py`")
    return entry


def open_app(pages: Sequence[AppPage]) -> st.Page:
    """Decide who is here and return the navigation's chosen page (``.run()`` it)."""
    st.session_state.pop(ENTRY_KEY, None)
    try:
        settings = app_settings()
    except SettingsUnavailable as error:
        message = _settings_error_message(error.problems)
        return _everywhere(pages, lambda: _admin_screen(message), "Configuração")
    door = door_for(sign_in_configured=settings.auth is not None, production=settings.production)
    visitor = Visitor.arriving(
        door,
        _user_claims(),
        settings.clerk_emails,
        settings.owner_emails,
        settings.unverified_email_issuers,
        settings.clerk_stores,
        settings.owner_stores,
    )
    st.session_state[ENTRY_KEY] = Entry(settings, visitor)

    if door is Door.SIGN_IN and not visitor.signed_in:
        provider = settings.auth.provider if settings.auth else None
        return _everywhere(pages, lambda: _sign_in_screen(provider), "Entrar")
    if door is Door.SIGN_IN and visitor.role is Role.NONE:
        return _everywhere(pages, lambda: _not_on_a_list_screen(visitor), "Sem acesso")

    _door_note(visitor)
    verdicts = [(page, decide(visitor, page.url_path)) for page in pages]
    home = next((page for page, verdict in verdicts if verdict is Verdict.ALLOWED), None)
    entries = []
    default_set = False
    for page, verdict in verdicts:
        if verdict is Verdict.ALLOWED:
            entries.append(
                st.Page(
                    page.path,
                    title=page.title,
                    icon=page.icon,
                    url_path=page.url_path,
                    default=not default_set,
                )
            )
            default_set = True
        else:
            entries.append(_refused_page(page, verdict, home))
    return st.navigation(entries)


def _settings_error_message(problems: list[SettingProblem]) -> str:
    """The admin detail in the embedded default (one's own machine) or to a signed-in owner;
    anyone else learns only that the system is not configured (no URL, bucket or path). An
    unreadable secrets file cannot say which mode it meant: the detail goes to the log only."""
    try:
        secrets = secrets_dict()
    except SettingsUnavailable:
        return NOT_CONFIGURED
    if not names_production(secrets):
        return admin_message(problems)
    try:
        owners = read_email_list("OWNER-EMAILS", secrets)
        issuers = read_issuers(secrets)
    except (ValueError, InvalidSettings):
        return NOT_CONFIGURED
    visitor = Visitor.arriving(Door.SIGN_IN, _user_claims(), (), owners, issuers)
    return admin_message(problems) if visitor.role is Role.OWNER else NOT_CONFIGURED


def _user_claims() -> dict[str, Any]:
    try:
        return st.user.to_dict()
    except (AttributeError, KeyError):
        return {}


def _door_note(visitor: Visitor) -> None:
    if visitor.door is Door.OPEN_LOCAL:
        st.sidebar.caption(OPEN_LOCAL_NOTE)
    elif visitor.door is Door.OPEN_PRODUCTION:
        st.warning(OPEN_PRODUCTION_WARNING, icon=":material/lock_open:")
    else:
        _account_box(visitor)


def _account_box(visitor: Visitor) -> None:
    with st.sidebar:
        st.caption(f"Conectado como `{visitor.email or 'conta sem e-mail'}`")
        st.caption(f"Perfil: {ROLE_LABELS[visitor.role]}")
        if visitor.role is Role.CLERK and visitor.store_id:  # a chain: whose policy prices
            st.caption(f"Loja: {store_label(visitor.store_id)}")
        elif visitor.role is Role.OWNER and visitor.stores:
            st.caption(f"Lojas: {', '.join(store_label(s) for s in sorted(visitor.stores))}")
        _sign_out_button()


def _sign_out_button() -> None:
    if st.button("Sair", key="sign_out", icon=":material/logout:"):
        st.logout()
        st.stop()  # the browser is being sent to sign out: draw nothing more


def _refused_page(page: AppPage, verdict: Verdict, home: AppPage | None) -> st.Page:
    """Same URL and title as the real page, hidden from the navigation, showing only why."""
    message = NEEDS_SIGN_IN_SETUP if verdict is Verdict.NEEDS_SIGN_IN_SETUP else OWNERS_ONLY

    def refused() -> None:
        st.title(page.title)
        st.error(message, icon=":material/lock:")
        if home is not None:
            st.page_link(home.path, label=f"Ir para “{home.title}”", icon=home.icon)

    return st.Page(
        refused, title=page.title, icon=page.icon, url_path=page.url_path, visibility="hidden"
    )


def _everywhere(pages: Sequence[AppPage], screen: Callable[[], None], title: str) -> st.Page:
    """One screen at every URL of the app (and at its root), with no navigation."""
    entries = [st.Page(screen, title=title, url_path=SIGN_IN_URL, default=True)]
    entries += [
        st.Page(screen, title=title, url_path=page.url_path, visibility="hidden") for page in pages
    ]
    return st.navigation(entries, position="hidden")


def _admin_screen(message: str) -> None:
    st.title("Configuração com erro")
    st.error(message, icon=":material/settings_alert:")


def _sign_in_screen(provider: str | None) -> None:
    st.title("Avaliação de notebooks usados")
    st.write(SIGN_IN_TEXT)
    if st.button("Entrar com a conta da loja", key="sign_in", type="primary"):
        if provider is None:
            st.login()
        else:
            st.login(provider)


def _not_on_a_list_screen(visitor: Visitor) -> None:
    st.title("Sem acesso")
    st.error(NOT_ON_A_LIST.format(email=visitor.email or "(sem e-mail)"), icon=":material/block:")
    _sign_out_button()
