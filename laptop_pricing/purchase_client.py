"""The purchase routes of the pricing API as client methods, shared by the HTTP and the
in-process client (``laptop_pricing.client.PricingClient`` inherits them).

Owner-only calls (a full purchase, the lookup by serial, an owner's approval) are sent
``as_owner``: over HTTP with the owner key (setting ``OWNER-API-KEY``) instead of the app's key;
in-process marked as the owner's in the event (the embedded handler trusts its own process). The
app asks for it only when the signed-in visitor is an owner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode

from laptop_pricing.errors import BadRequest
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase_answers import (
    PurchaseAnswer,
    PurchasePreview,
    UploadedPhoto,
    found_purchase_from_response,
    photo_from_response,
    preview_from_response,
    purchase_from_response,
)

PURCHASE_PATH = "/purchase"
PREVIEW_PATH = "/purchase/preview"
PHOTOS_SUFFIX = "/photos"
PURCHASE_ID_PARAMETER = "purchase_id"
PHOTO_KINDS = ("lid", "screen", "keyboard", "label", "damage", "declaration")
T = TypeVar("T")


class PurchaseRoutes:
    """``upload_photo``, ``preview_purchase``, ``record_purchase``, ``find_purchase`` and
    ``find_purchase_by_serial`` over the transport's ``_send``. Each raises ``PurchaseRefused``
    (400 naming the fields, 403 owner needed, 409 cannot buy now, 413 photo too large),
    ``QuoteNotFound`` (404), ``PurchaseNotStored`` (503: send again) or the errors of any call."""

    def _send(
        self,
        payload: dict[str, Any] | None,
        read: Callable[..., T],
        path: str,
        method: str = "POST",
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        as_owner: bool = False,
    ) -> T:
        raise NotImplementedError

    def upload_photo(self, quote_id: str, data: bytes, kind: str) -> UploadedPhoto:
        """``POST /purchase/{quote_id}/photos?kind=``: the raw image (JPEG, PNG, HEIC); the
        service normalizes and stores it and answers its id, size and dimensions. A ``kind``
        outside ``PHOTO_KINDS`` raises ``BadRequest`` naming ``kind`` before anything is sent."""
        if kind not in PHOTO_KINDS:
            fault = FieldError("kind", kind[:32], "not a photo kind", PHOTO_KINDS)
            raise BadRequest(f"not a photo kind: {kind[:32]!r}", [fault])
        path = f"{_purchase_path(quote_id)}{PHOTOS_SUFFIX}?{urlencode({'kind': kind})}"
        return self._send(
            None,
            photo_from_response,
            path,
            raw=bytes(data),
            content_type="application/octet-stream",
        )

    def preview_purchase(
        self, payload: Mapping[str, Any], *, as_owner: bool = False
    ) -> PurchasePreview:
        """``POST /purchase/preview``: the offer revised by the inspection, the locks, payout
        options, flags and privacy notice. Stores nothing."""
        return self._send(dict(payload), preview_from_response, PREVIEW_PATH, as_owner=as_owner)

    def record_purchase(
        self, payload: Mapping[str, Any], *, as_owner: bool = False
    ) -> PurchaseAnswer:
        """``POST /purchase``; ``payload["event_id"]`` is made once per intended submission,
        so sending it again stores it once (``created`` False). ``as_owner``: an owner records
        it (needed when it carries ``owner_approval`` or a flag asks for one)."""
        return self._send(dict(payload), purchase_from_response, PURCHASE_PATH, as_owner=as_owner)

    def find_purchase(
        self, purchase_id: str, *, as_owner: bool, clerk_email: str | None = None
    ) -> PurchaseAnswer | None:
        """``GET /purchase/{purchase_id}``: an owner gets the full record; a clerk (with
        ``clerk_email``) the masked one of a purchase they made; None when there is none (or it
        is not the clerk's)."""
        path = _purchase_path(purchase_id)
        if clerk_email:
            path += "?" + urlencode({"clerk_email": clerk_email})
        return self._send(None, found_purchase_from_response, path, "GET", as_owner=as_owner)

    def find_purchase_by_serial(self, serial: str) -> PurchaseAnswer | None:
        """``GET /purchase?serial=`` (owners only): the purchase of that serial, or None."""
        path = f"{PURCHASE_PATH}?{urlencode({'serial': serial})}"
        return self._send(None, found_purchase_from_response, path, "GET", as_owner=True)


def _purchase_path(purchase_id: str) -> str:
    """``/purchase/<id>``, the id percent-encoded (a slash or a query mark in it stays the
    id's: the service answers 400 or 404, never another route)."""
    if not purchase_id.strip():
        raise BadRequest("empty purchase id", [FieldError(PURCHASE_ID_PARAMETER, "", "empty")])
    return f"{PURCHASE_PATH}/{quote(purchase_id, safe='')}"


def purchase_resource(path: str) -> tuple[str, dict[str, str] | None] | None:
    """The REST resource template and path parameters of a purchase path (without its query),
    as API Gateway would name them; None for any other route."""
    if path in (PURCHASE_PATH, PREVIEW_PATH):
        return path, None
    if not path.startswith(PURCHASE_PATH + "/"):
        return None
    rest = path[len(PURCHASE_PATH) + 1 :]
    photos = rest.endswith(PHOTOS_SUFFIX)
    segment = rest[: -len(PHOTOS_SUFFIX)] if photos else rest
    if "/" in segment:
        return None
    resource = PURCHASE_PATH + "/{purchase_id}" + (PHOTOS_SUFFIX if photos else "")
    return resource, {PURCHASE_ID_PARAMETER: unquote(segment)}
