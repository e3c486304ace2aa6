"""A validated laptop: ``LaptopSpec`` and the field errors a payload can have.

The fields, their allowed values and the processor makers are ``schema``'s; this module turns a
request's ``data`` object into a ``LaptopSpec`` (every field error reported at once, as the API's
400 lists them), and a spec back into the contract's payload or the course's coarser view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from laptop_pricing.pricing.schema import (
    CATEGORY,
    COURSE_VALUES,
    FIELD_NAMES,
    FIELDS,
    FIELDS_BY_NAME,
    PROCESSORS_BY_BRAND,
    Field,
    Value,
)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, phrased for an API client (the page chooses its own words)."""

    field: str
    value: Any
    reason: str
    allowed: tuple[Value, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
            "allowed": list(self.allowed),
        }


class InvalidSpec(ValueError):
    """A payload that does not describe a laptop the model knows; carries every field error."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))


def _normalise(field: Field, raw: Any) -> tuple[Value | None, FieldError | None]:
    if field.kind == CATEGORY:
        if not isinstance(raw, str):
            return None, FieldError(field.name, preview(raw), "must be a string", field.values)
        value: Value = raw.strip().lower()
    else:
        if isinstance(raw, bool):
            return None, FieldError(
                field.name, preview(raw), "must be a whole number", field.values
            )
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
            value = int(raw.strip())
        else:
            return None, FieldError(
                field.name, preview(raw), "must be a whole number", field.values
            )
    if value not in field.values:
        return None, FieldError(field.name, preview(raw), "not an allowed value", field.values)
    return value, None


@dataclass(frozen=True)
class LaptopSpec:
    """A validated laptop description: every field present, every value allowed."""

    brand: str
    processor_brand: str
    processor_name: str
    os: str
    weight: str
    warranty: int
    touchscreen: int
    ram_gb: int
    hdd: int
    ssd: int
    graphic_card: int
    ram_type: str
    os_bit: int
    processor_gnrtn: str = "not available"
    msoffice: int | None = None  # None: not informed (a v1 payload, or the clerk does not know)

    @classmethod
    def from_payload(cls, data: Any) -> LaptopSpec:
        """Validate a request's ``data`` object, reporting every field error at once."""
        if not isinstance(data, Mapping):
            raise InvalidSpec([FieldError("data", preview(data), "must be a JSON object")])
        errors: list[FieldError] = []
        values: dict[str, Value | None] = {}
        for field in FIELDS:
            if not field.required and _not_informed(data.get(field.name)):
                values[field.name] = field.missing  # absent, null or "": not informed
                continue
            if field.name not in data:
                errors.append(FieldError(field.name, None, "missing", field.values))
                continue
            value, error = _normalise(field, data[field.name])
            if error:
                errors.append(error)
            else:
                values[field.name] = value
        for key in data:
            if key not in FIELDS_BY_NAME:
                errors.append(FieldError(str(key)[:64], None, "unknown field", FIELD_NAMES))
        brand, name = values.get("processor_brand"), values.get("processor_name")
        if isinstance(brand, str) and name is not None and name not in PROCESSORS_BY_BRAND[brand]:
            errors.append(
                FieldError(
                    "processor_name",
                    preview(data["processor_name"]),
                    f"not made by processor_brand '{brand}'",
                    PROCESSORS_BY_BRAND[brand],
                )
            )
        if errors:
            raise InvalidSpec(errors)
        return _construct(values)

    @classmethod
    def default(cls) -> LaptopSpec:
        return _construct({f.name: f.default for f in FIELDS})

    def as_dict(self) -> dict[str, Value | None]:
        """Field values in contract order (None for an optional field not informed)."""
        return {name: getattr(self, name) for name in FIELD_NAMES}

    def to_payload(self) -> dict[str, dict[str, str]]:
        """The request body the contract defines (values as strings, like the course's front
        end); an optional field at its "not informed" value is left out, as a v1 client leaves
        it out, so a v1 laptop makes exactly the course's payload."""
        values = self.as_dict()
        return {
            "data": {
                f.name: str(values[f.name])
                for f in FIELDS
                if f.required or values[f.name] not in (None, f.missing)
            }
        }

    def course_view(self) -> LaptopSpec:
        """This laptop as a v1 client could describe it: coarse brand and processor, no
        generation, no MS Office (what the v1 column of the CV table measures)."""
        coarse: dict[str, Value | None] = {
            name: value if value in COURSE_VALUES[name] else "other"
            for name, value in ((n, getattr(self, n)) for n in COURSE_VALUES)
        }
        missing = {f.name: f.missing for f in FIELDS if not f.required}
        return _construct({**self.as_dict(), **coarse, **missing})


def _annotation(field: Field) -> str:
    """The annotation ``LaptopSpec`` must give a schema field (None only for "not informed")."""
    kind = "str" if field.kind == CATEGORY else "int"
    return f"{kind} | None" if not field.required and field.missing is None else kind


_SPEC_ANNOTATIONS = {f.name: str(f.type) for f in dataclasses.fields(LaptopSpec)}
_SCHEMA_ANNOTATIONS = {f.name: _annotation(f) for f in FIELDS}
if _SPEC_ANNOTATIONS != _SCHEMA_ANNOTATIONS:  # checked once, so _construct's kinds are sound
    raise AssertionError(
        f"LaptopSpec's attributes {_SPEC_ANNOTATIONS} differ from the schema's "
        f"{_SCHEMA_ANNOTATIONS}"
    )


def _construct(values: Mapping[str, Value | None]) -> LaptopSpec:
    """``LaptopSpec`` from schema-validated values. The check above proved each field's kind
    matches its annotation; a type checker cannot follow that through ``**``, hence ``Any``."""
    checked: dict[str, Any] = dict(values)
    return LaptopSpec(**checked)


def _not_informed(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def preview(value: Any) -> Any:
    """Echo a received value back safely: small scalars as they came, anything else shortened."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 64 else text[:61] + "..."
