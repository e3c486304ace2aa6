"""The one definition of a pricing request: the fields of ``fields`` and every order made of them.

Contract v2: the course's 13 fields (v1) plus two optional ones a clerk reads off the laptop
(``processor_gnrtn``, ``msoffice``), and the real brand and processor names beside the course's
coarse "other". A v1 payload still validates: an absent optional field reads as its ``missing``
value ("not available" for the generation, ``None`` = not informed for MS Office).

Every consumer reads the fields from here: the clerk's form (labels, widgets, options, help),
the payload builder and the API validator (``laptop_spec``), the feature encoder
(``FEATURE_ORDER``), the comparables' distance and the request log (``log_columns``). Every order
below is derived from ``fields.FIELDS`` when this module is imported (a tuple, never the iteration
order of a set, so it is the same in every process); the only written orders are the shipped
model's, which a new field may only extend.
"""

from __future__ import annotations

from collections.abc import Mapping

from laptop_pricing.pricing import fields as _fields
from laptop_pricing.pricing.fields import CATEGORY, INTEGER, Distance, Field, Option, Value

__all__ = ["CATEGORY", "INTEGER", "Distance", "Field", "Option", "Value"]

# Read when this module is imported, so a test can rebuild everything from another tuple.
FIELDS: tuple[Field, ...] = _fields.FIELDS

# The request example of the course contract (PRODUCT.md), as its front end sent it: values as
# strings. The course's BRL API priced it at about R$ 6.700. Docs, tests and benches share it.
CONTRACT_EXAMPLE: Mapping[str, str] = {
    "brand": "dell",
    "processor_brand": "intel",
    "processor_name": "core i5",
    "os": "windows",
    "weight": "casual",
    "warranty": "2",
    "touchscreen": "0",
    "ram_gb": "16",
    "hdd": "0",
    "ssd": "256",
    "graphic_card": "8",
    "ram_type": "ddr4",
    "os_bit": "64",
}

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELDS_BY_NAME: Mapping[str, Field] = {f.name: f for f in FIELDS}
# The course's contract (v1): these 13 are required and come first everywhere.
COURSE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
V2_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS if not f.required)
# What a v1 client can say for the fields v2 refines: the coarse "other" for every name the
# course's contract did not know (the model learned these from v1 copies of the training rows).
COURSE_VALUES: Mapping[str, tuple[Value, ...]] = {
    "brand": ("asus", "dell", "hp", "lenovo", "other"),
    "processor_name": ("core i3", "core i5", "core i7", "ryzen 5", "ryzen 7", "other"),
}

# Which processor names each processor brand makes. The form only offers these, and the
# validator refuses the rest (the course let "M1 + Ryzen 7" through). "other" is the course's
# coarse value (a v1 client's Celeron or Ryzen 3); M1 keeps it for v1 payloads.
PROCESSORS_BY_BRAND: Mapping[str, tuple[str, ...]] = {
    "intel": ("core i3", "core i5", "core i7", "core i9", "celeron dual", "pentium quad", "other"),
    "amd": ("ryzen 3", "ryzen 5", "ryzen 7", "ryzen 9", "other"),
    "m1": ("m1", "other"),
}

# Model input columns. Numbers first, in the order the shipped model was trained with (a written
# record of that model, not of the fields: a numeric field not named here follows, in field
# order), then one column per allowed value of each one-hot field, in field order. One-hot groups
# of an optional field with ``missing=None`` are all zeros when it is absent.
TRAINED_NUMBER_ORDER: tuple[str, ...] = (
    "ram_gb",
    "ssd",
    "hdd",
    "graphic_card",
    "warranty",
    "touchscreen",
    "os_bit",
)
_NUMBER_FIELDS = tuple(f.name for f in FIELDS if f.encoding == "number")
NUMERIC_FEATURES: tuple[str, ...] = (
    *(name for name in TRAINED_NUMBER_ORDER if name in _NUMBER_FIELDS),
    *(name for name in _NUMBER_FIELDS if name not in TRAINED_NUMBER_ORDER),
)
ONE_HOT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.encoding == "one_hot")
FEATURE_ORDER: tuple[str, ...] = NUMERIC_FEATURES + tuple(
    f"{name}_{value}" for name in ONE_HOT_FIELDS for value in FIELDS_BY_NAME[name].values
)
# The fields where the domain is sure: more never lowers the price, all else equal. The model is
# trained with monotone constraints on them (tests/test_model_v2.py proves it on random laptops).
MONOTONE_INCREASING: tuple[str, ...] = ("ram_gb", "ssd", "graphic_card")


def feature_field(feature: str) -> str:
    """The field a model input column belongs to (``brand_dell`` -> ``brand``)."""
    if feature in FIELDS_BY_NAME:
        return feature
    for name in ONE_HOT_FIELDS:
        if feature.startswith(f"{name}_"):
            return name
    raise KeyError(feature)


def _check_fields() -> None:
    if len(set(FIELD_NAMES)) != len(FIELD_NAMES):
        raise RuntimeError("a field name appears twice in fields.FIELDS")
    if len(set(FEATURE_ORDER)) != len(FEATURE_ORDER):
        raise RuntimeError("two model input columns share a name")
    if FIELD_NAMES[: len(COURSE_FIELD_NAMES)] != COURSE_FIELD_NAMES:
        raise RuntimeError("optional (v2) fields must come after the course's required ones")
    for field in FIELDS:
        if field.encoding == "number" and field.kind != INTEGER:
            raise RuntimeError(f"field {field.name}: only an integer field can be a number input")
        if field.encoding == "number" and not field.required and field.missing is None:
            raise RuntimeError(f"field {field.name}: a number input needs a missing value")
        if field.distance.scale != "mismatch" and field.kind != INTEGER:
            raise RuntimeError(f"field {field.name}: only an integer field has a scaled distance")
    for name, coarse in COURSE_VALUES.items():
        if not set(coarse) <= set(FIELDS_BY_NAME[name].values):
            raise RuntimeError(f"COURSE_VALUES[{name!r}] holds values the field does not allow")
    if not set(MONOTONE_INCREASING) <= set(NUMERIC_FEATURES):
        raise RuntimeError("monotone constraints apply to numeric features only")


_check_fields()
