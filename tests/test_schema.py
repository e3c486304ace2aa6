"""The one schema: fields, allowed values, feature order, and LaptopSpec validation."""

from __future__ import annotations

import numpy as np
import pytest

from laptop_pricing.log_columns import APPENDED_LOG_COLUMNS, LOG_COLUMN_ALIASES, LOG_COLUMNS
from laptop_pricing.pricing.features import FEATURE_INDEX, encode, encode_many
from laptop_pricing.pricing.laptop_spec import InvalidSpec, LaptopSpec
from laptop_pricing.pricing.schema import (
    CONTRACT_EXAMPLE,
    COURSE_FIELD_NAMES,
    FEATURE_ORDER,
    FIELD_NAMES,
    FIELDS_BY_NAME,
    PROCESSORS_BY_BRAND,
    V2_FIELD_NAMES,
)

COURSE_SAMPLE = dict(CONTRACT_EXAMPLE)


def errors_by_field(payload) -> dict[str, list[str]]:
    with pytest.raises(InvalidSpec) as caught:
        LaptopSpec.from_payload(payload)
    found: dict[str, list[str]] = {}
    for error in caught.value.errors:
        found.setdefault(error.field, []).append(error.reason)
    return found


def test_the_course_thirteen_fields_come_first_in_contract_order_then_the_optional_ones():
    assert COURSE_FIELD_NAMES == (
        "brand",
        "processor_brand",
        "processor_name",
        "os",
        "weight",
        "warranty",
        "touchscreen",
        "ram_gb",
        "hdd",
        "ssd",
        "graphic_card",
        "ram_type",
        "os_bit",
    )
    assert (*COURSE_FIELD_NAMES, "processor_gnrtn", "msoffice") == FIELD_NAMES
    assert not any(FIELDS_BY_NAME[n].required for n in V2_FIELD_NAMES)
    # Log rows: the course's 13 fields, price, timestamp, version, then the appended columns.
    assert LOG_COLUMNS[:16] == (*COURSE_FIELD_NAMES, "price", "timestamp", "model_version")
    assert LOG_COLUMNS[16:] == APPENDED_LOG_COLUMNS
    assert set(V2_FIELD_NAMES) <= set(APPENDED_LOG_COLUMNS)
    assert LOG_COLUMN_ALIASES["graphic_card_gb"] == "graphic_card"
    assert LOG_COLUMN_ALIASES["prediction"] == "price"


def test_allowed_values_match_the_product_table():
    assert FIELDS_BY_NAME["weight"].values == ("casual", "gaming", "thinnlight")
    assert FIELDS_BY_NAME["ssd"].values == (0, 128, 256, 512, 1024, 2048, 3072)
    assert FIELDS_BY_NAME["hdd"].values == (0, 512, 1024, 2048)
    assert FIELDS_BY_NAME["graphic_card"].values == (0, 2, 4, 6, 8)
    assert FIELDS_BY_NAME["warranty"].values == (0, 1, 2, 3)
    for field in FIELDS_BY_NAME.values():
        assert field.label and field.help
        assert field.default in field.form_values
        assert all(isinstance(o.label, str) and o.label.strip() == o.label for o in field.options)


def test_feature_order_is_explicit_and_one_column_per_value():
    assert len(FEATURE_ORDER) == len(set(FEATURE_ORDER)) == 50
    assert FEATURE_ORDER[:7] == (
        "ram_gb",
        "ssd",
        "hdd",
        "graphic_card",
        "warranty",
        "touchscreen",
        "os_bit",
    )
    assert "weight_thinnlight" in FEATURE_ORDER
    assert "processor_name_core i5" in FEATURE_ORDER
    assert FEATURE_ORDER[-12:] == (
        *(f"processor_gnrtn_{n}th" for n in range(4, 13)),
        "processor_gnrtn_not available",
        "msoffice_0",
        "msoffice_1",
    )


def test_v2_fields_are_optional_and_read_as_not_informed_when_absent():
    v1 = LaptopSpec.from_payload(COURSE_SAMPLE)
    assert (v1.processor_gnrtn, v1.msoffice) == ("not available", None)
    assert LaptopSpec.from_payload({**COURSE_SAMPLE, "msoffice": None}) == v1
    v2 = LaptopSpec.from_payload(
        {**COURSE_SAMPLE, "brand": "MSI", "processor_gnrtn": "11TH", "msoffice": 1}
    )
    assert (v2.brand, v2.processor_gnrtn, v2.msoffice) == ("msi", "11th", 1)
    assert v2.to_payload()["data"]["msoffice"] == "1"
    assert v2.course_view().to_payload() == {"data": {**COURSE_SAMPLE, "brand": "other"}}
    # Not informed: the one-hot group of MS Office is all zeros.
    row = encode(v1)[0]
    assert row[FEATURE_INDEX["msoffice_0"]] == row[FEATURE_INDEX["msoffice_1"]] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("processor_gnrtn", "13th"), ("processor_gnrtn", 11), ("msoffice", "2"), ("msoffice", True)],
)
def test_wrong_v2_values_are_refused_naming_the_field(field, value):
    assert list(errors_by_field({**COURSE_SAMPLE, field: value})) == [field]


def test_real_processors_belong_to_their_brand():
    for brand, name in (("intel", "core i9"), ("amd", "ryzen 3"), ("m1", "m1")):
        spec = LaptopSpec.from_payload(
            {**COURSE_SAMPLE, "processor_brand": brand, "processor_name": name}
        )
        assert spec.processor_name == name
    assert list(errors_by_field({**COURSE_SAMPLE, "processor_name": "m1"})) == ["processor_name"]


def test_course_sample_validates_and_normalises_strings_to_ints():
    spec = LaptopSpec.from_payload(COURSE_SAMPLE)
    assert spec.ram_gb == 16 and spec.graphic_card == 8 and spec.warranty == 2
    assert spec.to_payload() == {"data": COURSE_SAMPLE}
    assert LaptopSpec.from_payload(spec.as_dict()) == spec


def test_case_and_surrounding_spaces_are_normalised():
    payload = {**COURSE_SAMPLE, "brand": "  DELL ", "processor_name": "Core i5 ", "ram_gb": " 16 "}
    assert LaptopSpec.from_payload(payload) == LaptopSpec.from_payload(COURSE_SAMPLE)


def test_ints_and_digit_strings_both_accepted_but_not_bools_or_floats():
    assert LaptopSpec.from_payload({**COURSE_SAMPLE, "ram_gb": 16}).ram_gb == 16
    assert "touchscreen" in errors_by_field({**COURSE_SAMPLE, "touchscreen": True})
    assert "ram_gb" in errors_by_field({**COURSE_SAMPLE, "ram_gb": 16.0})
    assert "ram_gb" in errors_by_field({**COURSE_SAMPLE, "ram_gb": "16GB"})
    assert "ram_gb" in errors_by_field({**COURSE_SAMPLE, "ram_gb": "١٦"})  # non-ASCII digits


def test_every_error_is_reported_at_once():
    payload = {**COURSE_SAMPLE, "ram_gb": "252", "weight": "thinlight", "color": "red"}
    del payload["ssd"]
    found = errors_by_field(payload)
    assert found == {
        "ram_gb": ["not an allowed value"],
        "weight": ["not an allowed value"],
        "ssd": ["missing"],
        "color": ["unknown field"],
    }


def test_error_carries_value_and_allowed_values():
    with pytest.raises(InvalidSpec) as caught:
        LaptopSpec.from_payload({**COURSE_SAMPLE, "ram_gb": "252"})
    (error,) = caught.value.errors
    assert error.as_dict() == {
        "field": "ram_gb",
        "value": "252",
        "reason": "not an allowed value",
        "allowed": [4, 8, 16, 32],
    }


@pytest.mark.parametrize(
    ("brand", "name"),
    [("m1", "ryzen 7"), ("intel", "ryzen 5"), ("amd", "core i7"), ("m1", "core i5")],
)
def test_processor_name_must_belong_to_its_brand(brand, name):
    found = errors_by_field({**COURSE_SAMPLE, "processor_brand": brand, "processor_name": name})
    assert list(found) == ["processor_name"]
    assert name not in PROCESSORS_BY_BRAND[brand]


def test_non_object_data_is_one_clear_error():
    for data in (None, [], "dell", 3):
        assert errors_by_field(data) == {"data": ["must be a JSON object"]}


def test_long_values_are_shortened_in_errors():
    with pytest.raises(InvalidSpec) as caught:
        LaptopSpec.from_payload({**COURSE_SAMPLE, "brand": "x" * 10_000})
    assert len(caught.value.errors[0].value) <= 64


def test_encode_sets_exactly_the_named_columns():
    spec = LaptopSpec.from_payload(COURSE_SAMPLE)
    row = encode(spec)
    assert row.shape == (1, len(FEATURE_ORDER))
    expected = np.zeros(len(FEATURE_ORDER))
    for name, value in (
        ("ram_gb", 16),
        ("ssd", 256),
        ("graphic_card", 8),
        ("warranty", 2),
        ("os_bit", 64),
    ):
        expected[FEATURE_INDEX[name]] = value
    for column in (
        "brand_dell",
        "processor_brand_intel",
        "processor_name_core i5",
        "os_windows",
        "weight_casual",
        "ram_type_ddr4",
        "processor_gnrtn_not available",  # absent from the course payload: not available
    ):
        expected[FEATURE_INDEX[column]] = 1.0
    np.testing.assert_array_equal(row[0], expected)


def test_encode_many_refuses_unknown_category():
    row = {**LaptopSpec.default().as_dict(), "brand": "toshiba"}
    with pytest.raises(ValueError, match="brand"):
        encode_many([row])
