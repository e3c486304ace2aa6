"""Who sees what, through AppTest: every page for every role and door, and every bad setting.

Each case opens the page's URL on the app's first run (as a deep link does) and checks that the
door's setup ran (our title and navigation), and that a refused page shows why and no data.
"""

from __future__ import annotations

import ast
import tomllib

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from components.app_settings import NOT_CONFIGURED
from components.page_setup import (
    NEEDS_SIGN_IN_SETUP,
    OPEN_LOCAL_NOTE,
    OPEN_PRODUCTION_WARNING,
    OWNERS_ONLY,
)
from laptop_pricing.access import PAGE_ROLES
from tests.app_fixtures import (
    APP,
    CLERK,
    OWNER,
    SCRATCHED,
    SIGN_IN,
    answer,
    app,
    market_estimate,
    submit,
    texts,
)
from tests.browser_support import REPO_ROOT
from tests.request_log_support import local_logged_rows

pytestmark = pytest.mark.usefixtures("clean_env")

# The app's pages: url path -> the title its view draws when it opens.
TITLES = {
    "estimate": "Avaliar notebook usado",
    "purchase": "Comprar notebook",
    "stock": "Estoque",
    "monitoring": "Monitoramento",
    "model_card": "Sobre o modelo",
}
REFUSED_TITLES = {
    "estimate": "Avaliar notebook",
    "purchase": "Comprar notebook",
    "stock": "Estoque",
    "monitoring": "Monitoramento",
    "model_card": "Sobre o modelo",
}
# What each page shows only when it really opened (its data or its form).
OPENED = {
    "estimate": "Calcular oferta",
    "purchase": "Para comprar, registre na cotação",
    "stock": "Cada notebook comprado entra aqui",
    "monitoring": "Atualizar",
    "model_card": "Versão",
}
PRODUCTION = {"API-ENDPOINT": "https://precos.loja.com.br/predict", "API-KEY": "k-123"}


def nav(at) -> dict[str, bool]:
    """url path -> whether that URL runs the real page file (False: a refusal or the door's
    screen, which runs no page code). Which entries the menu shows is checked in Chromium
    (tests/test_browser_access.py): AppTest does not expose page visibility."""
    return {
        (p.get("url_pathname") or ""): bool(p.get("script_path"))
        for p in at._registered_pages.values()
    }


def opened(at, page: str) -> bool:
    shown = texts(at) + " ".join(b.label for b in at.button)
    return [t.value for t in at.title] == [TITLES[page]] and OPENED[page] in shown


def open_page(secrets, claims, page):
    """A fresh app whose first run opens ``page``'s URL, with ``claims`` as st.user."""
    at = AppTest.from_file(APP, default_timeout=60)
    if claims is not None:
        at.user = claims
    for key, value in secrets.items():
        at.secrets[key] = value
    if page != "estimate":  # the estimate page is the root URL
        at._page_hash = calc_hash(page)
    return at.run()


def router_pages() -> dict[str, str]:
    """url path -> file of every ``AppPage(...)`` in app.py (read, not imported: importing the
    router would run it)."""
    tree = ast.parse((REPO_ROOT / "app.py").read_text(encoding="utf-8"))
    return {
        node.args[1].value: node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AppPage"
    }


def test_every_page_of_the_router_is_in_this_matrix_and_in_the_access_table():
    """A new page fails here until it gets its row (and its role in access.PAGE_ROLES)."""
    pages = router_pages()
    assert set(pages) == set(TITLES)
    assert set(pages) <= set(PAGE_ROLES)
    assert all(path.startswith("views/") for path in pages.values())


def test_no_pages_folder_beside_the_app():
    """A folder named pages/ switches Streamlit to legacy multipage mode: on a fresh server a
    deep link would run that page without app.py, so without the sign-in door."""
    assert not (REPO_ROOT / "pages").exists()


CASES = {
    # name: (secrets, user claims or None, pages that open)
    "open_local": ({}, None, {"estimate", "purchase", "stock", "monitoring", "model_card"}),
    "open_production": (PRODUCTION, None, {"estimate"}),
    "owner": (SIGN_IN, {"is_logged_in": True, "email": OWNER, "email_verified": True}, set(TITLES)),
    "clerk": (
        SIGN_IN,
        {"is_logged_in": True, "email": CLERK, "email_verified": True},
        {"estimate", "purchase", "stock"},
    ),
    "clerk_by_domain": (
        SIGN_IN,
        {"is_logged_in": True, "email": "bia@balcao.loja.com.br", "email_verified": True},
        {"estimate", "purchase", "stock"},
    ),
    "owner_with_production": (
        {**SIGN_IN, **PRODUCTION},
        {"is_logged_in": True, "email": OWNER, "email_verified": True},
        set(TITLES),
    ),
    "stranger": (
        SIGN_IN,
        {"is_logged_in": True, "email": "x@gmail.com", "email_verified": True},
        set(),
    ),
    "signed_out": (SIGN_IN, {"is_logged_in": False}, set()),
}


@pytest.mark.parametrize("page", sorted(TITLES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_page_for_every_role_and_door(case, page):
    secrets, claims, allowed = CASES[case]
    at = open_page(secrets, claims, page)
    assert not at.exception, [e.value for e in at.exception]
    if page in allowed:
        assert opened(at, page)
        real = {url for url, is_file in nav(at).items() if is_file}
        assert real == {"" if p == "estimate" else p for p in allowed}
        return
    assert not opened(at, page)
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")  # no store data
    assert nav(at).get(page) is False  # the URL is known, but it runs no page code
    shown = texts(at)
    if case == "signed_out":
        assert [b.key for b in at.button] == ["sign_in"]
        assert not any(nav(at).values())
    elif case == "stranger":
        assert "x@gmail.com" in shown and "CLERK-EMAILS" in shown
        assert [b.key for b in at.button] == ["sign_out"]
        assert not any(nav(at).values())
    elif case == "open_production":
        assert [t.value for t in at.title] == [REFUSED_TITLES[page]]
        assert NEEDS_SIGN_IN_SETUP in shown and "[auth]" in shown
    else:
        assert [t.value for t in at.title] == [REFUSED_TITLES[page]]
        assert OWNERS_ONLY in shown


def test_open_local_says_so_discreetly_and_production_warns_on_the_estimate_page():
    local = app()
    assert OPEN_LOCAL_NOTE in [c.value for c in local.sidebar.caption]
    assert not local.warning
    production = app(PRODUCTION)
    assert [w.value for w in production.warning] == [OPEN_PRODUCTION_WARNING]
    assert opened(production, "estimate")


def test_signed_in_visitor_sees_their_email_role_and_a_sign_out_button():
    at = app(user=CLERK)
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert CLERK in sidebar and "balconista" in sidebar
    assert at.button(key="sign_out").label == "Sair"
    at.button(key="sign_out").click().run()
    assert not at.user.get("is_logged_in") and not at.get("text_input")
    at.run()
    assert [b.key for b in at.button] == ["sign_in"]  # signed out: back to the door


def test_an_unverified_email_gets_no_role():
    at = app(SIGN_IN)
    at.user = {"is_logged_in": True, "email": OWNER, "email_verified": False}
    at.run()
    assert not opened(at, "estimate") and "não está na lista" in texts(at)


def test_the_signed_in_clerk_email_stays_out_of_the_request_log(clean_env):
    at = submit(app(user=CLERK))
    assert market_estimate(at) and not at.error
    rows = local_logged_rows(clean_env / "predictions")
    assert [r["clerk_email"] for r in rows] == [""]
    stored = b"".join(p.read_bytes() for p in (clean_env / "predictions").rglob("*") if p.is_file())
    assert CLERK.encode() not in stored.lower()
    assert "Nome Que Não Vai Ao Log".encode() not in stored


def test_open_local_logs_no_email(clean_env):
    submit(app())
    rows = local_logged_rows(clean_env / "predictions")
    assert [r["clerk_email"] for r in rows] == [""]


BAD = {
    "API-ENDPOINT": ("htp:/x", "precisa ser um endereço completo"),
    "AWS-ENDPOINT-URL": ("htp:/x", "precisa ser um endereço completo"),
    "PREDICTIONS-PREFIX": ("/logs", "não pode começar com “/”"),
    "PREDICTIONS-BUCKET": ("s3://bucket", "não é um nome de bucket"),
    "CLERK-EMAILS": ("ana@loja.com.br, joao", "tem um item que não é um e-mail"),
    "OWNER-EMAILS": ("dona", "tem um item que não é um e-mail"),
}


@pytest.mark.parametrize("page", sorted(TITLES))
@pytest.mark.parametrize("key", sorted(BAD))
def test_each_bad_setting_shows_its_admin_message_on_every_page(key, page, caplog):
    """To a signed-in owner (the owner list itself broken: in the embedded default)."""
    value, words = BAD[key]
    url_path = page if page != "estimate" else None
    if key == "OWNER-EMAILS":
        at = app({key: value}, url_path=url_path)
    else:
        at = app({key: value}, user=OWNER, url_path=url_path)
    assert not at.exception
    assert [t.value for t in at.title] == ["Configuração com erro"]
    message = at.error[0].value
    assert f"**{key}** {words}" in message
    assert f"(valor atual: `{value.split(', ')[-1]}`)" in message
    assert not at.button and not at.metric and not at.dataframe  # no other mode runs
    assert not any(nav(at).values())


@pytest.mark.parametrize("claims", [None, {"is_logged_in": False}, "clerk", "unverified"])
@pytest.mark.parametrize("key", ["API-ENDPOINT", "PREDICTIONS-BUCKET", "AWS-ENDPOINT-URL"])
def test_in_production_a_bad_setting_is_detailed_to_owners_only(key, claims):
    """Item 5: anonymous visitors saw URLs, bucket names and paths."""
    value, _ = BAD[key]
    secrets = {**PRODUCTION, key: value}
    if claims in ("clerk", "unverified"):
        secrets = {**SIGN_IN, **secrets}
        claims = {"is_logged_in": True, "email": CLERK if claims == "clerk" else OWNER}
        claims["email_verified"] = claims["email"] == CLERK
    at = open_page(secrets, claims, "estimate")
    assert not at.exception
    assert [e.value for e in at.error] == [NOT_CONFIGURED]
    shown = texts(at)
    assert value not in shown and PRODUCTION["API-ENDPOINT"] not in shown and key not in shown


def test_an_http_endpoint_off_this_machine_is_refused_by_its_key():
    """Item 6: the key would travel in clear; loopback stays allowed for a local server."""
    at = app({"API-ENDPOINT": "http://precos.loja.com.br/predict"})
    assert [t.value for t in at.title] == ["Configuração com erro"]  # nothing priced in clear
    at = app({"API-ENDPOINT": "http://precos.loja.com.br/predict", "API-KEY": "k"}, user=OWNER)
    assert "**API-ENDPOINT** envia a chave da API sem criptografia" in at.error[0].value


def test_production_never_shows_a_traceback():
    """Item 5: Streamlit's default shows the exception and its stack to any visitor."""
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_production_without_sign_in_hides_lookup_and_outcomes(clean_env):
    """Item 4: every visitor acted as a clerk with the store's key."""
    production = {"PREDICTIONS-BUCKET": "loja-precos", "AWS-ENDPOINT-URL": "http://127.0.0.1:9"}
    at = submit(answer(app(production), SCRATCHED))
    assert market_estimate(at) and "Cotação **" in texts(at)
    assert not [w for w in at.text_input if w.key == "quote_lookup"]
    assert not [w for w in at.radio if (w.key or "").startswith("outcome_")]
    local = submit(answer(app(), SCRATCHED))
    assert [w.key for w in local.text_input if w.key == "quote_lookup"] == ["quote_lookup"]
    assert [w for w in local.radio if (w.key or "").startswith("outcome_")]


def test_a_predictions_dir_that_is_a_file_is_named(tmp_path, monkeypatch):
    a_file = tmp_path / "predictions.csv"
    a_file.write_text("x")
    monkeypatch.setenv("PREDICTIONS_DIR", str(a_file))
    at = app()
    assert "**PREDICTIONS-DIR** aponta para um arquivo" in at.error[0].value
    assert a_file.read_text() == "x"


def test_an_incomplete_auth_section_is_named_and_nothing_opens():
    broken = {"auth": {**SIGN_IN["auth"], "redirect_uri": "http://localhost:8501/"}}
    assert [e.value for e in app(broken).error] == [NOT_CONFIGURED]  # anonymous: no detail
    at = app(broken, user=OWNER)
    assert "**[auth] redirect_uri** precisa terminar em “/oauth2callback”" in at.error[0].value
    assert not at.button


def test_a_malformed_secrets_file_is_named_not_ignored(tmp_path, monkeypatch, caplog):
    """The real file path: Streamlit reads .streamlit/secrets.toml from the working folder.
    Which mode it meant is unknown, so the page says only that the system is not configured
    (its lines may hold a secret); the server log names the file."""
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('API-ENDPOINT = "https://precos.loja.com.br/predict\nAPI-KEY = 3 3\n')
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Configuração com erro"]
    assert [e.value for e in at.error] == [NOT_CONFIGURED]
    assert ".streamlit/secrets.toml" in caplog.text
    assert not at.button  # not the embedded estimate: no fallback
