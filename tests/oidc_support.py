"""A real OpenID Connect provider on 127.0.0.1 for sign-in tests, and the secrets that use it.

``oidc-provider-mock`` (PyPI) is a complete OIDC server made for tests: discovery document, JWKS,
authorization form, token and userinfo endpoints, end-session. Its authorization form asks for a
``sub``; the user it signs in has the claim ``email`` equal to that ``sub``. Streamlit's
``st.login`` talks to it exactly as it would to Google, through the ``[auth]`` section.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import oidc_provider_mock
import werkzeug.serving

from tests.browser_support import free_port

OWNER = "dona@loja.com.br"
CLERK = "ana@loja.com.br"
STRANGER = "curioso@gmail.com"
CLIENT_ID = "laptop-pricing-tests"
SIGN_IN_BUTTON = "Entrar com a conta da loja"


@contextlib.contextmanager
def oidc_provider() -> Iterator[str]:
    """The provider's base URL (``http://127.0.0.1:<port>``) while it serves."""
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not one line per request
    server = werkzeug.serving.make_server(
        "127.0.0.1", port, oidc_provider_mock.app(require_nonce=False), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def write_secrets(folder: Path, provider_url: str | None, **settings: str) -> Path:
    """A secrets.toml with an ``[auth]`` section pointing at ``provider_url`` (none: no sign-in)
    and the given top-level settings. ``{port}`` lets every test server use the same file.
    With a provider, ``UNVERIFIED-EMAIL-ISSUERS`` names it (the mock sends no
    ``email_verified``) unless ``settings`` says otherwise."""
    if provider_url:  # the mock never sends email_verified: named, as a real one must be
        settings = {"UNVERIFIED-EMAIL-ISSUERS": provider_url, **settings}
    lines = [f'{key} = "{value}"' for key, value in settings.items()]
    if provider_url:
        lines += [
            "[auth]",
            'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"',
            'cookie_secret = "browser-test-cookie-secret-0123456789abcdef"',
            f'client_id = "{CLIENT_ID}"',
            'client_secret = "browser-test-client-secret"',
            f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"',
        ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secrets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sign_in(page, app_url: str, email: str, timeout_ms: int = 60_000) -> None:
    """Click the app's sign-in button and authorise ``email`` on the provider's form."""
    page.goto(app_url)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click(timeout=timeout_ms)
    page.locator('input[name="sub"]').fill(email, timeout=timeout_ms)
    page.get_by_role("button", name="Authorize").click()
