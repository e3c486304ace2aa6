"""The app's settings, read once per run and validated by ``laptop_pricing.settings``.

``st.secrets`` raises when no secrets file exists (a fresh clone: that simply means "no secrets"),
and also when the file is malformed: that one is a misconfiguration and is reported like any
other bad setting, never ignored. ``admin_message`` words the problems in pt-BR for whoever
configures the app; the same problems go to the server log once.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from laptop_pricing.settings import InvalidSettings, SettingProblem, Settings, load_settings
from laptop_pricing.trade_in.store_policies import check_listed_stores

logger = logging.getLogger(__name__)
SECRETS_FILE = ".streamlit/secrets.toml"
NO_SECRETS_FILE = "no-secrets-found"

_PROBLEM_WORDS = {
    "cleartext": "envia a chave da API sem criptografia: use https:// (http:// só para "
    "127.0.0.1 ou localhost)",
    "url": "precisa ser um endereço completo, com http:// ou https:// e o nome do servidor",
    "bucket": "não é um nome de bucket do S3 (só letras minúsculas, números, pontos e hífens, "
    "sem “s3://”)",
    "prefix": "não pode começar com “/” nem ter “//”: escreva, por exemplo, "
    "“laptop-prediction-real-data”",
    "not_a_folder": "aponta para um arquivo, não para uma pasta",
    "not_writable": "é uma pasta em que o app não tem permissão de escrever",
    "email": "tem um item que não é um e-mail (ana@loja.com.br) nem um domínio (@loja.com.br)",
    "secrets": "não pôde ser lido (TOML inválido); corrija o arquivo, nada dele foi usado",
    "missing": "está faltando",
    "callback": "precisa terminar em “/oauth2callback”",
    "auth_not_a_section": "precisa ser uma seção ([auth]) com redirect_uri, cookie_secret e "
    "os dados do provedor",
    "auth_provider": "precisa de um provedor: client_id, client_secret e server_metadata_url "
    "na própria seção [auth] ou em uma única subseção como [auth.google]",
    "auth_provider_name": "o nome do provedor não pode ter “_” (use, por exemplo, [auth.google])",
    "cnpj": "não é um CNPJ válido (confira os dígitos; por exemplo 11.222.333/0001-81)",
    "flag": "precisa ser true (mostrar) ou false (esconder)",
    "seconds": "precisa ser um número de segundos maior que 0 e no máximo 10 (por exemplo, 1)",
    "store_id": "precisa ser um identificador de loja: letras minúsculas sem acento, números e "
    "hífens, até 40 caracteres (por exemplo, “centro” ou “loja-sul”)",
    "store_entry": "tem um item cuja loja (depois do “=”) não é um identificador de loja: "
    "letras minúsculas sem acento, números e hífens, várias lojas de um dono unidas por “+” "
    "(por exemplo, ana@loja.com.br=centro ou gerente@loja.com.br=centro+sul)",
    "store_policy": "nomeia uma loja que não tem política de compra: crie o arquivo da loja "
    "(ou default.toml) na pasta de POLICY-PATH",
}
_SHOWN_VALUE = {
    "url",
    "cleartext",
    "bucket",
    "prefix",
    "not_a_folder",
    "not_writable",
    "email",
    "callback",
    "seconds",
    "cnpj",
    "flag",
    "store_id",
    "store_entry",
    "store_policy",
}
_logged: set[tuple[SettingProblem, ...]] = set()


class SettingsUnavailable(Exception):
    """The settings cannot be used; ``problems`` says which keys and why."""

    def __init__(self, problems: list[SettingProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def secrets_dict() -> dict[str, Any]:
    """Top-level secrets as a plain dict; empty when there is no secrets file at all."""
    try:
        return dict(st.secrets.to_dict())
    except StreamlitSecretNotFoundError as error:
        if getattr(error, "error_id", None) == NO_SECRETS_FILE:
            return {}
        raise SettingsUnavailable(
            [SettingProblem(SECRETS_FILE, "secrets", str(error)[-200:])]
        ) from None


def app_settings() -> Settings:
    """The validated settings, or ``SettingsUnavailable`` (logged once) naming every bad key."""
    try:
        settings = load_settings(secrets_dict())
        # Embedded, the app is the service: a listed store it cannot price stops it here.
        problems = check_listed_stores(settings) if settings.embedded else []
        if not problems:
            return settings
    except InvalidSettings as error:
        problems = error.problems
    except SettingsUnavailable as error:
        problems = error.problems
    key = tuple(problems)
    if key not in _logged:
        _logged.add(key)
        logger.error("configuration refused: %s", "; ".join(str(p) for p in problems))
    raise SettingsUnavailable(problems)


def problem_line(problem: SettingProblem) -> str:
    """One problem in pt-BR: the key, what is wrong, and the value when it is safe to show."""
    words = _PROBLEM_WORDS.get(problem.code, "tem um valor inválido")
    shown = ""
    if problem.code in _SHOWN_VALUE and problem.value:
        shown = f" (valor atual: `{problem.value}`)"
    elif problem.code == "secrets" and problem.value:
        shown = f" — {problem.value}"
    return f"**{problem.key}** {words}{shown}."


NOT_CONFIGURED = "O sistema não está configurado; avise o responsável."


def admin_message(problems: list[SettingProblem]) -> str:
    lines = "\n".join(f"- {problem_line(p)}" for p in problems)
    return (
        "**O app não pode abrir: a configuração tem erro.** Quem administra o app precisa "
        "corrigir, em `.streamlit/secrets.toml` (ou nas variáveis de ambiente):\n\n"
        f"{lines}\n\nNada foi calculado nem gravado enquanto isso."
    )
