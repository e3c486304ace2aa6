"""A validated laptop: ``LaptopSpec`` and the field errors a payload can have.

The fields, their allowed values and the processor makers are ``schema``'s; this module turns a
request's ``data`` object into a ``LaptopSpec`` (every field error reported at once, as the API's
400 lists them), and a spec back into the contract's payload or the course's coarser view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

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


class _LaptopSpecMethods:
    """What a ``LaptopSpec`` does; its attributes (one per schema field) are made below."""

    @classmethod
    def from_payload(cls, data: Any) -> Self:
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
        if brand is not None and name is not None and name not in PROCESSORS_BY_BRAND[str(brand)]:
            errors.append(
                FieldError(
                    "processor_name",
                    preview(data["processor_name"]),
                    f"not made by processor_brand '{brand}'",
                    PROCESSORS_BY_BRAND[str(brand)],
                )
            )
        if errors:
            raise InvalidSpec(errors)
        return cls(**values)

    @classmethod
    def default(cls) -> Self:
        return cls(**{f.name: f.default for f in FIELDS})

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

    def course_view(self) -> Self:
        """This laptop as a v1 client could describe it: coarse brand and processor, no
        generation, no MS Office (what the v1 column of the CV table measures)."""
        coarse = {
            name: value if value in COURSE_VALUES[name] else "other"
            for name, value in ((n, getattr(self, n)) for n in COURSE_VALUES)
        }
        missing = {f.name: f.missing for f in FIELDS if not f.required}
        return dataclasses.replace(self, **coarse, **missing)  # type: ignore[type-var]


def _attribute(field: Field) -> tuple[str, Any, Any]:
    """A field as a dataclass attribute: required ones first, optional ones default to their
    not-informed value (the schema checks that optional fields come last)."""
    kind: Any = str if field.kind == CATEGORY else int
    if field.required:
        return (field.name, kind)  # type: ignore[return-value]
    annotation = kind | None if field.missing is None else kind
    return (field.name, annotation, dataclasses.field(default=field.missing))


if TYPE_CHECKING:

    class LaptopSpec(_LaptopSpecMethods):
        """A validated laptop description: every field present, every value allowed."""

        def __init__(self, **values: Value | None) -> None: ...

        def __getattr__(self, name: str) -> Value | None: ...

else:
    # The attributes are the schema's fields, made from them: a field added to the schema is an
    # attribute here with nothing to write (a frozen dataclass: equality, hashing, replace).
    LaptopSpec = dataclasses.make_dataclass(
        "LaptopSpec",
        [_attribute(field) for field in FIELDS],
        bases=(_LaptopSpecMethods,),
        frozen=True,
    )
    LaptopSpec.__module__ = __name__
    LaptopSpec.__doc__ = "A validated laptop description: every field present, every value allowed."


def _not_informed(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def preview(value: Any) -> Any:
    """Echo a received value back safely: small scalars as they came, anything else shortened."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 64 else text[:61] + "..."
