"""Sellers' personal data sealed at rest, and the CPF as a keyed hash.

One secret (setting ``PERSONAL-DATA-KEY``) gives two keys through HKDF-SHA256: a Fernet key
(AES-128-CBC with HMAC-SHA256, ``cryptography``'s, never a home-made cipher) that seals the
seller's JSON and the declaration photo, and an HMAC-SHA256 key for ``seller_hash``, which finds
a seller's earlier purchases (and the block list) without the CPF in clear anywhere.

Where the secret comes from (``vault_from_settings``): the setting; else, embedded only (no
API endpoint, no bucket), a key file in the local folder, created 0600 on first use and said
once in the log (never the key); else ``PersonalDataKeyMissing``. In AWS the bucket is also
encrypted with SSE-KMS (infra/template.yaml): the Fernet layer keeps the data sealed from
anyone who can only read the bucket.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from laptop_pricing.purchase.errors import PersonalDataKeyMissing
from laptop_pricing.settings import Settings

log = logging.getLogger(__name__)
KEY_FILE_NAME = ".personal-data.key"
MIN_SECRET_CHARS = 32
_SALT = b"laptop-pricing purchase vault v1"


class SealedDataUnreadable(RuntimeError):
    """A sealed object that this key cannot open (another key, or damaged)."""


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(secret)


class PersonalDataVault:
    def __init__(self, secret: str | bytes):
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        if len(raw) < MIN_SECRET_CHARS:
            raise ValueError(f"the personal-data secret needs at least {MIN_SECRET_CHARS} bytes")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(raw, b"seal")))
        self._hash_key = _derive(raw, b"seller-hash")
        self._clerk_key = _derive(raw, b"clerk-reference")

    def __repr__(self) -> str:  # never the key
        return "PersonalDataVault(<key>)"

    def seal(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def open(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as error:
            raise SealedDataUnreadable("sealed data does not open with this key") from error

    def seller_hash(self, cpf: str) -> str:
        """HMAC-SHA256 of the CPF's 11 digits, hex: equal CPFs, equal hashes; nothing else."""
        digits = "".join(c for c in cpf if c.isdigit())
        return hmac.new(self._hash_key, digits.encode("ascii"), hashlib.sha256).hexdigest()

    def clerk_reference(self, email: str) -> str:
        """A clerk named without the e-mail (the stock's events): a keyed hash of the
        lower-cased address, short; the same clerk, the same reference; nobody can reverse it
        without the key."""
        text = email.strip().lower().encode("utf-8")
        return "clerk-" + hmac.new(self._clerk_key, text, hashlib.sha256).hexdigest()[:16]


def vault_from_settings(settings: Settings) -> PersonalDataVault:
    """The vault the settings name; raises ``PersonalDataKeyMissing`` in production without
    ``PERSONAL-DATA-KEY``."""
    if settings.personal_data_key:
        return PersonalDataVault(settings.personal_data_key)
    if settings.production:
        raise PersonalDataKeyMissing()
    return PersonalDataVault(local_key(settings.predictions_dir / KEY_FILE_NAME))


def local_key(path: Path) -> str:
    """The embedded default's secret: read from ``path``, or made there (0600) on first use.
    Two processes starting together agree: the file is linked whole, the loser reads it."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")  # 0600
    try:
        with os.fdopen(handle, "w", encoding="ascii") as stream:
            stream.write(secret + "\n")
        os.link(temporary, path)  # whole or not at all; fails when another process won
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    log.warning(
        "PERSONAL-DATA-KEY is not set: sellers' data is sealed with a new key file at %s "
        "(keep it: without it the sealed data cannot be read)",
        path,
    )
    return secret
