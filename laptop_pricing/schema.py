"""The one definition of a pricing request.

Every consumer reads the 13 fields from here: the clerk's form (labels, widgets, options, help),
the payload builder, the API validator, the feature encoder (``FEATURE_ORDER``) and the request-log
reader (``LOG_COLUMNS`` and column aliases). Order is always a tuple written out below, never the
iteration order of a set, so it is the same in every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Value = str | int

CATEGORY: Literal["category"] = "category"
INTEGER: Literal["integer"] = "integer"


@dataclass(frozen=True)
class Option:
    """One allowed value of a field and how the clerk sees it."""

    value: Value
    label: str


@dataclass(frozen=True)
class Field:
    """A request field: its allowed values, its pt-BR label and the widget that asks for it."""

    name: str
    kind: Literal["category", "integer"]
    options: tuple[Option, ...]
    label: str
    help: str
    widget: Literal["selectbox", "radio", "number_input"]
    default: Value
    aliases: tuple[str, ...] = ()

    @property
    def values(self) -> tuple[Value, ...]:
        return tuple(option.value for option in self.options)

    def option_label(self, value: Value) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return str(value)


def _opts(*pairs: tuple[Value, str]) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in pairs)


def _sizes(*gigabytes: int, zero: str) -> tuple[Option, ...]:
    """Storage sizes as the clerk reads them on a spec sheet: 'Nenhum', '512 GB', '1 TB'."""

    def label(gb: int) -> str:
        if gb == 0:
            return zero
        if gb >= 1024 and gb % 1024 == 0:
            return f"{gb // 1024} TB"
        return f"{gb} GB"

    return tuple(Option(gb, label(gb)) for gb in gigabytes)


# Contract order: the order of the course's request payload and of the request-log columns.
FIELDS: tuple[Field, ...] = (
    Field(
        name="brand",
        kind=CATEGORY,
        options=_opts(
            ("asus", "Asus"),
            ("dell", "Dell"),
            ("hp", "HP"),
            ("lenovo", "Lenovo"),
            ("other", "Outra (Acer, Apple, MSI, Avita…)"),
        ),
        label="Marca",
        help="Fabricante do notebook, como aparece na tampa ou na etiqueta de baixo.",
        widget="selectbox",
        default="dell",
    ),
    Field(
        name="processor_brand",
        kind=CATEGORY,
        options=_opts(("intel", "Intel"), ("amd", "AMD"), ("m1", "Apple M1")),
        label="Fabricante do processador",
        help="Veja o adesivo do teclado ou as configurações do sistema.",
        widget="radio",
        default="intel",
    ),
    Field(
        name="processor_name",
        kind=CATEGORY,
        options=_opts(
            ("core i3", "Core i3"),
            ("core i5", "Core i5"),
            ("core i7", "Core i7"),
            ("ryzen 5", "Ryzen 5"),
            ("ryzen 7", "Ryzen 7"),
            ("other", "Outro (Celeron, Pentium, i9, Ryzen 3/9, M1)"),
        ),
        label="Processador",
        help="Modelo do processador. As opções acompanham o fabricante escolhido.",
        widget="selectbox",
        default="core i5",
    ),
    Field(
        name="os",
        kind=CATEGORY,
        options=_opts(("windows", "Windows"), ("other", "Outro (macOS, DOS, Linux)")),
        label="Sistema operacional",
        help="Sistema que vem instalado no notebook.",
        widget="radio",
        default="windows",
    ),
    Field(
        name="weight",
        kind=CATEGORY,
        options=_opts(
            ("casual", "Uso geral"),
            ("gaming", "Gamer"),
            ("thinnlight", "Fino e leve"),
        ),
        label="Categoria",
        help="Tipo de notebook: uso geral, gamer (pesado, com placa de vídeo) ou fino e leve.",
        widget="radio",
        default="casual",
    ),
    Field(
        name="warranty",
        kind=INTEGER,
        options=_opts((0, "Sem garantia"), (1, "1 ano"), (2, "2 anos"), (3, "3 anos")),
        label="Garantia restante (anos)",
        help="Anos de garantia do fabricante que ainda restam, de 0 a 3.",
        widget="number_input",
        default=0,
    ),
    Field(
        name="touchscreen",
        kind=INTEGER,
        options=_opts((0, "Não"), (1, "Sim")),
        label="Tela sensível ao toque",
        help="A tela responde ao toque do dedo?",
        widget="radio",
        default=0,
    ),
    Field(
        name="ram_gb",
        kind=INTEGER,
        options=_opts((4, "4 GB"), (8, "8 GB"), (16, "16 GB"), (32, "32 GB")),
        label="Memória RAM",
        help="Quantidade total de memória RAM instalada.",
        widget="selectbox",
        default=8,
    ),
    Field(
        name="hdd",
        kind=INTEGER,
        options=_sizes(0, 512, 1024, 2048, zero="Nenhum"),
        label="HD (disco rígido)",
        help="Capacidade do disco rígido mecânico. Escolha “Nenhum” se só houver SSD.",
        widget="selectbox",
        default=0,
    ),
    Field(
        name="ssd",
        kind=INTEGER,
        options=_sizes(0, 128, 256, 512, 1024, 2048, 3072, zero="Nenhum"),
        label="SSD",
        help="Capacidade do SSD. Escolha “Nenhum” se só houver HD.",
        widget="selectbox",
        default=256,
    ),
    Field(
        name="graphic_card",
        kind=INTEGER,
        options=(Option(0, "Nenhuma (vídeo integrado)"), *_sizes(2, 4, 6, 8, zero="")),
        label="Memória de vídeo dedicada",
        help="Memória da placa de vídeo dedicada (GPU). Sem placa dedicada, escolha “Nenhuma”.",
        widget="selectbox",
        default=0,
        aliases=("graphic_card_gb",),
    ),
    Field(
        name="ram_type",
        kind=CATEGORY,
        options=_opts(("ddr4", "DDR4"), ("other", "Outro (DDR3, DDR5, LPDDR)")),
        label="Tipo de memória RAM",
        help="Geração da memória RAM. Na dúvida, DDR4 é a mais comum.",
        widget="radio",
        default="ddr4",
    ),
    Field(
        name="os_bit",
        kind=INTEGER,
        options=_opts((32, "32 bits"), (64, "64 bits")),
        label="Arquitetura do sistema",
        help="Versão do sistema operacional: 32 ou 64 bits.",
        widget="radio",
        default=64,
    ),
)

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

# Which processor names each processor brand makes. The form only offers these, and the
# validator refuses the rest (the course let "M1 + Ryzen 7" through).
PROCESSORS_BY_BRAND: Mapping[str, tuple[str, ...]] = {
    "intel": ("core i3", "core i5", "core i7", "other"),
    "amd": ("ryzen 5", "ryzen 7", "other"),
    "m1": ("other",),
}

# Model input columns, in the order the model was trained with. Written out so that no set or
# dict iteration can reorder it; ``_check_feature_order`` proves it matches FIELDS at import time.
NUMERIC_FEATURES: tuple[str, ...] = (
    "ram_gb",
    "ssd",
    "hdd",
    "graphic_card",
    "warranty",
    "touchscreen",
    "os_bit",
)
ONE_HOT_FIELDS: tuple[str, ...] = (
    "brand",
    "processor_brand",
    "processor_name",
    "os",
    "weight",
    "ram_type",
)
FEATURE_ORDER: tuple[str, ...] = (
    "ram_gb",
    "ssd",
    "hdd",
    "graphic_card",
    "warranty",
    "touchscreen",
    "os_bit",
    "brand_asus",
    "brand_dell",
    "brand_hp",
    "brand_lenovo",
    "brand_other",
    "processor_brand_intel",
    "processor_brand_amd",
    "processor_brand_m1",
    "processor_name_core i3",
    "processor_name_core i5",
    "processor_name_core i7",
    "processor_name_ryzen 5",
    "processor_name_ryzen 7",
    "processor_name_other",
    "os_windows",
    "os_other",
    "weight_casual",
    "weight_gaming",
    "weight_thinnlight",
    "ram_type_ddr4",
    "ram_type_other",
)

# Request-log columns (one CSV row per priced request). Timestamps are ISO 8601 UTC.
PRICE_COLUMN = "price"
TIMESTAMP_COLUMN = "timestamp"
VERSION_COLUMN = "model_version"
BASE_LOG_COLUMNS: tuple[str, ...] = (
    *FIELD_NAMES,
    PRICE_COLUMN,
    TIMESTAMP_COLUMN,
    VERSION_COLUMN,
)
# Trade-in columns, appended (issue 10): empty for a request without a condition, absent from
# older day files (readers fill them empty). ``condition`` checks the answer columns at import.
QUOTE_ID_COLUMN = "quote_id"
OFFER_COLUMN = "offer"
POLICY_VERSION_COLUMN = "policy_version"
VALID_UNTIL_COLUMN = "valid_until"
CONDITION_LOG_COLUMNS: tuple[str, ...] = (
    "condition_powers_on",
    "condition_screen",
    "condition_body",
    "condition_keyboard_ports",
    "condition_battery",
    "condition_charger",
    "condition_locks_removed",
)
TRADE_IN_LOG_COLUMNS: tuple[str, ...] = (
    QUOTE_ID_COLUMN,
    *CONDITION_LOG_COLUMNS,
    OFFER_COLUMN,
    POLICY_VERSION_COLUMN,
    VALID_UNTIL_COLUMN,
)
LOG_COLUMNS: tuple[str, ...] = (*BASE_LOG_COLUMNS, *TRADE_IN_LOG_COLUMNS)
# Older column names written by the course API, mapped to ours.
LOG_COLUMN_ALIASES: Mapping[str, str] = {
    **{alias: f.name for f in FIELDS for alias in f.aliases},
    "prediction": PRICE_COLUMN,
}


def _derived_feature_order() -> tuple[str, ...]:
    one_hot = tuple(
        f"{name}_{value}" for name in ONE_HOT_FIELDS for value in FIELDS_BY_NAME[name].values
    )
    return NUMERIC_FEATURES + one_hot


def _check_feature_order() -> None:
    if _derived_feature_order() != FEATURE_ORDER:
        raise RuntimeError("schema.FEATURE_ORDER does not match the fields' allowed values")
    if set(NUMERIC_FEATURES) | set(ONE_HOT_FIELDS) != set(FIELD_NAMES):
        raise RuntimeError("every field must be either a numeric feature or one-hot encoded")


_check_feature_order()


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
            return None, FieldError(field.name, _preview(raw), "must be a string", field.values)
        value: Value = raw.strip().lower()
    else:
        if isinstance(raw, bool):
            return None, FieldError(
                field.name, _preview(raw), "must be a whole number", field.values
            )
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
            value = int(raw.strip())
        else:
            return None, FieldError(
                field.name, _preview(raw), "must be a whole number", field.values
            )
    if value not in field.values:
        return None, FieldError(field.name, _preview(raw), "not an allowed value", field.values)
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

    @classmethod
    def from_payload(cls, data: Any) -> LaptopSpec:
        """Validate a request's ``data`` object, reporting every field error at once."""
        if not isinstance(data, Mapping):
            raise InvalidSpec([FieldError("data", _preview(data), "must be a JSON object")])
        errors: list[FieldError] = []
        values: dict[str, Value] = {}
        for field in FIELDS:
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
        if brand is not None and name is not None and name not in PROCESSORS_BY_BRAND[brand]:
            errors.append(
                FieldError(
                    "processor_name",
                    _preview(data["processor_name"]),
                    f"not made by processor_brand '{brand}'",
                    PROCESSORS_BY_BRAND[brand],
                )
            )
        if errors:
            raise InvalidSpec(errors)
        return cls(**values)

    @classmethod
    def default(cls) -> LaptopSpec:
        return cls(**{f.name: f.default for f in FIELDS})

    def as_dict(self) -> dict[str, Value]:
        """Field values in contract order."""
        return {name: getattr(self, name) for name in FIELD_NAMES}

    def to_payload(self) -> dict[str, dict[str, str]]:
        """The request body the course contract defines (values as strings, like its front end)."""
        return {"data": {name: str(value) for name, value in self.as_dict().items()}}


def _preview(value: Any) -> Any:
    """Echo a received value back safely: small scalars as they came, anything else shortened."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 64 else text[:61] + "..."
