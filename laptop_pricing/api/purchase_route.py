"""The purchase routes of the handler (issue #23 item 10), over ``PurchaseService``:

* ``POST /purchase/preview``: the inspection's revised offer, locks, payout options, flags; 200.
* ``POST /purchase``: 201 stored, 200 stored before under that ``event_id``.
* ``GET /purchase/{purchase_id}``: the view, full for an owner, masked for the clerk named by
  ``?clerk_email=`` when the purchase is theirs; else 404.
* ``GET /purchase?serial=``: owners only (403 for a clerk); 404 when no purchase has it.
* ``POST /purchase/{purchase_id}/photos?kind=``: the raw image (base64 under a binary media
  type); 201 ``{"photo_id", "bytes", "width", "height"}``; 413 over ``MAX_UPLOAD_BYTES``.

Errors: 400 naming each field, 403 an owner must do it, 404 unknown quote, 405 another method,
409 cannot buy now (``reason_code``, ``purchase_id``, ``flags``), 503 not stored or the store
or the personal-data key unavailable (send again). Refusals carry ``message_pt``, one pt-BR
sentence for the clerk. No answer and no log line carries a seller's data or a clerk's e-mail.

Who calls (``Caller``) comes from the transport: the API key's id that API Gateway (or the local
server, or the in-process client) put in ``requestContext.identity.apiKeyId`` is an owner's
when it is one of ``owner_key_ids``; anything else, a direct invoke included, is a clerk.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

from laptop_pricing.access import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from laptop_pricing.api.events import (
    InvalidEvent,
    field_errors,
    http_method,
    request_object,
    route_path,
)
from laptop_pricing.api.events import response as proxy_response
from laptop_pricing.errors import QuoteNotFound
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase.errors import (
    InvalidPurchase,
    PersonalDataKeyMissing,
    PurchaseConflict,
    PurchaseForbidden,
    PurchaseNotStored,
)
from laptop_pricing.purchase.photos import MAX_UPLOAD_BYTES, InvalidPhoto
from laptop_pricing.purchase.purchase import (
    Caller,
    PurchaseDecision,
    PurchasePreview,
    PurchaseView,
    StoredPhoto,
)
from laptop_pricing.storage.day_csv import UnreadableDayFile
from laptop_pricing.storage.stores import StoreError
from laptop_pricing.trade_in.quote_id import InvalidQuoteId

logger = logging.getLogger(__name__)
_PURCHASE_PATH = re.compile(r"^(?:.*/)?purchase(?:/(?P<id>[^/]*)(?P<photos>/photos)?)?/?$")
PREVIEW_SEGMENT = "preview"
MAX_PHOTO_BODY = MAX_UPLOAD_BYTES * 4 // 3 + 4  # the same bytes as base64
INVALID_PT = "Confira os campos indicados e envie de novo."
NOT_STORED_PT = "A compra não foi confirmada; envie de novo (ela não será gravada duas vezes)."
UNAVAILABLE_PT = "As compras não podem ser lidas ou gravadas agora; tente de novo em instantes."
KEY_MISSING_PT = (
    "As compras estão desligadas: falta a chave dos dados pessoais (PERSONAL-DATA-KEY). "
    "Avise o responsável pela loja."
)
TOO_LARGE_PT = "A foto passa de 8 MB; envie uma foto menor."


class PurchaseServing(Protocol):
    """What the routes need of ``laptop_pricing.purchase.service.PurchaseService``."""

    def preview(self, body: object, caller: Caller) -> PurchasePreview: ...

    def record(self, body: object, caller: Caller) -> PurchaseDecision: ...

    def find(
        self, purchase_id: str, caller: Caller, clerk_email: str | None
    ) -> PurchaseView | None: ...

    def find_by_serial(self, serial: str, caller: Caller) -> PurchaseView | None: ...

    def add_photo(self, quote_id: str, kind: str, data: bytes) -> StoredPhoto: ...


@dataclass(frozen=True)
class PurchaseTarget:
    """Which purchase route an event is for: ``kind`` ``purchase`` (``POST`` record, ``GET``
    by serial), ``preview``, ``one`` (``GET /purchase/{id}``) or ``photos``."""

    kind: str
    purchase_id: str | None = None


def purchase_target(event: Any) -> PurchaseTarget | None:
    """The purchase route of an event (its resource, else ``rawPath``, else ``path``); None for
    any other route. The id comes from ``pathParameters`` when the resource is a template."""
    found = route_path(event, _PURCHASE_PATH, "purchase_id")
    if found is None:
        return None
    if found.segment is None:
        return PurchaseTarget("purchase")
    if found.match.group("photos"):
        return PurchaseTarget("photos", found.segment)
    if found.segment == PREVIEW_SEGMENT:
        return PurchaseTarget("preview")
    return PurchaseTarget("one", found.segment)


def caller_of(event: Any, owner_key_ids: frozenset[str]) -> Caller:
    """An owner when the transport's key id is one of ``owner_key_ids``; else a clerk."""
    context = event.get("requestContext") if isinstance(event, dict) else None
    identity = context.get("identity") if isinstance(context, dict) else None
    key_id = identity.get("apiKeyId") if isinstance(identity, dict) else None
    if isinstance(key_id, str) and key_id and key_id in owner_key_ids:
        return Caller("owner")
    return Caller("clerk")


def query_of(event: dict[str, Any]) -> dict[str, str]:
    """The query string's parameters (REST ``queryStringParameters``, else a function URL's
    ``rawQueryString``)."""
    parameters = event.get("queryStringParameters")
    if isinstance(parameters, dict):
        return {str(k): str(v) for k, v in parameters.items() if isinstance(v, str)}
    raw = event.get("rawQueryString")
    return dict(parse_qsl(raw)) if isinstance(raw, str) else {}


class PurchaseRoute:
    """Answers the purchase routes from ``service``; ``owner_key_ids``: the API key ids that
    are owners' (the template's owner key, the local server's owner keys, the in-process
    owner mark)."""

    def __init__(self, service: PurchaseServing, owner_key_ids: frozenset[str] = frozenset()):
        self.service = service
        self.owner_key_ids = owner_key_ids

    def __call__(self, event: Any, target: PurchaseTarget) -> dict[str, Any]:
        caller = caller_of(event, self.owner_key_ids)
        method = http_method(event) if isinstance(event, dict) else None
        try:
            if target.kind == "purchase" and method == "GET":
                return self.by_serial(event, caller)
            if target.kind == "one":
                _method(method, "GET")
                return self.one(event, target.purchase_id or "", caller)
            if target.kind == "photos":
                _method(method, "POST")
                return self.photo(event, target.purchase_id or "")
            body = request_object(event)
            caller = Caller(caller.role, _author(body))
            if target.kind == "preview":
                return proxy_response(200, self.service.preview(body, caller).as_dict())
            decision = self.service.record(body, caller)
            return proxy_response(decision.status, decision.view.as_dict())
        except Exception as error:  # each typed error is an answer; the rest a logged 500
            return refusal(error)

    def by_serial(self, event: Any, caller: Caller) -> dict[str, Any]:
        serial = query_of(event).get("serial", "").strip()
        if not serial:
            raise InvalidEvent([FieldError("serial", None, "missing; send ?serial=")])
        view = self.service.find_by_serial(serial, caller)
        return _found(view)

    def one(self, event: Any, purchase_id: str, caller: Caller) -> dict[str, Any]:
        if not purchase_id:
            raise InvalidEvent([FieldError("purchase_id", None, "missing")])
        clerk_email = _clerk_email(query_of(event).get("clerk_email"))
        return _found(self.service.find(purchase_id, caller, clerk_email))

    def photo(self, event: Any, quote_id: str) -> dict[str, Any]:
        kind = query_of(event).get("kind", "")
        if not kind:
            raise InvalidEvent([FieldError("kind", None, "missing; send ?kind=")])
        stored = self.service.add_photo(quote_id, kind, photo_bytes(event))
        return proxy_response(201, stored.as_dict())


def photo_bytes(event: dict[str, Any]) -> bytes:
    """The raw image of a photo upload: base64 under a binary media type, else the text's
    UTF-8 bytes (what a gateway without binary types hands on). Over ``MAX_UPLOAD_BYTES``:
    ``InvalidPhoto(too_large=True)``, before decoding."""
    body = event.get("body")
    if body is None or body == "":
        raise InvalidEvent([FieldError("body", None, "empty; send the photo's bytes")])
    if not isinstance(body, str):
        raise InvalidEvent([FieldError("body", None, "must be the photo's bytes")])
    if len(body) > MAX_PHOTO_BODY:
        raise InvalidPhoto(TOO_LARGE_PT, too_large=True)
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidEvent([FieldError("body", None, "not base64")]) from None
    else:
        data = body.encode("utf-8", "surrogateescape")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidPhoto(TOO_LARGE_PT, too_large=True)
    return data


def refusal(error: Exception) -> dict[str, Any]:
    """The answer each typed error means (never its personal content: errors carry none)."""
    if isinstance(error, InvalidEvent):
        headers = {"Allow": "GET, POST"} if error.status == 405 else None
        return proxy_response(error.status, _invalid(error.errors), headers)
    if isinstance(error, InvalidPurchase):
        return proxy_response(400, _invalid(error.errors))
    if isinstance(error, InvalidQuoteId):
        fault = FieldError("purchase_id", None, str(error) or "not a quote id")
        return proxy_response(400, _invalid([fault]))
    if isinstance(error, InvalidPhoto):
        status = 413 if error.too_large else 400
        fault = FieldError("body", None, "larger than the limit" if error.too_large else "photo")
        answer = {"message": "Invalid photo", "message_pt": error.reason_pt}
        return proxy_response(status, {**answer, "errors": field_errors([fault])})
    if isinstance(error, QuoteNotFound):
        answer = {"message": "Quote not found", "quote_id": error.quote_id}
        return proxy_response(404, {**answer, "message_pt": "Cotação não encontrada."})
    if isinstance(error, PurchaseConflict):
        return proxy_response(
            409,
            {
                "message": f"Purchase refused: {error.reason_code}",
                "message_pt": error.message_pt,
                "reason_code": error.reason_code,
                "purchase_id": error.purchase_id,
                "flags": [flag.as_dict() for flag in error.flags],
            },
        )
    if isinstance(error, PurchaseForbidden):
        answer = {"message": "Owner required", "reason_code": "owner_required"}
        return proxy_response(403, {**answer, "message_pt": error.message_pt})
    if isinstance(error, PurchaseNotStored):
        logger.warning("purchase not confirmed stored in time (503)")
        answer = {"message": "Purchase not stored in time; send it again"}
        return proxy_response(503, {**answer, "message_pt": NOT_STORED_PT})
    if isinstance(error, PersonalDataKeyMissing):
        logger.error("purchases refused: %s", error)  # names the setting, never a value
        return proxy_response(503, {"message": str(error), "message_pt": KEY_MISSING_PT})
    if isinstance(error, StoreError | UnreadableDayFile | OSError):
        logger.warning("purchase store unavailable: %s", type(error).__name__)
        answer = {"message": "Purchases cannot be read or stored right now; try again"}
        return proxy_response(503, {**answer, "message_pt": UNAVAILABLE_PT})
    # Our fault: the type and where, never the message (it could quote what was sent).
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    where = f"{trace.tb_frame.f_code.co_filename}:{trace.tb_lineno}" if trace else "?"
    logger.error("purchase route failed: %s at %s", type(error).__name__, where)
    return proxy_response(500, {"message": "Internal error"})


def _author(body: Any) -> str | None:
    """Who decides, for the overrides the purchase records: the body's ``clerk_email`` (the
    signed-in visitor the app sends, an owner's too) when it is one; the service checks it."""
    value = body.get("clerk_email") if isinstance(body, dict) else None
    if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH:
        return None
    text = value.strip().lower()
    return text if EMAIL_PATTERN.fullmatch(text) else None


def _invalid(errors: list[FieldError]) -> dict[str, Any]:
    return {"message": "Invalid request", "message_pt": INVALID_PT, "errors": field_errors(errors)}


def _found(view: PurchaseView | None) -> dict[str, Any]:
    if view is None:
        return proxy_response(404, {"message": "Purchase not found", "reason_code": "not_found"})
    return proxy_response(200, view.as_dict())


def _method(method: str | None, allowed: str) -> None:
    if method not in (None, allowed):
        error = FieldError("method", (method or "")[:16], f"use {allowed}", (allowed,))
        raise InvalidEvent([error], status=405)


def _clerk_email(value: str | None) -> str | None:
    """``?clerk_email=``: checked like the body's (400 naming it, never echoing it)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(text):
        raise InvalidEvent([FieldError("clerk_email", None, "not an e-mail address")])
    return text.lower()
