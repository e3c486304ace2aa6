"""The one definition of a pricing request.

Contract v2: the course's 13 fields (v1) plus two optional ones a clerk reads off the laptop
(``processor_gnrtn``, ``msoffice``), and the real brand and processor names beside the course's
coarse "other". A v1 payload still validates: an absent optional field reads as its ``missing``
value ("not available" for the generation, ``None`` = not informed for MS Office).

Every consumer reads the fields from here: the clerk's form (labels, widgets, options, help),
the payload builder and the API validator (``laptop_spec``), the feature encoder
(``FEATURE_ORDER``) and the request-log reader (``log_columns``, whose columns and aliases are
built from these fields). Order is always a tuple written out below, never the iteration order
of a set, so it is the same in every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

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
    default: Value | None
    aliases: tuple[str, ...] = ()
    required: bool = True
    # What an absent optional field reads as; None means "not informed" (no value at all).
    missing: Value | None = None
    missing_label: str = "Não sei"

    @property
    def values(self) -> tuple[Value, ...]:
        return tuple(option.value for option in self.options)

    @property
    def form_values(self) -> tuple[Value | None, ...]:
        """What the form offers: the allowed values, plus None ("não sei") when that is a state."""
        if not self.required and self.missing is None:
            return (None, *self.values)
        return self.values

    def option_label(self, value: Value | None) -> str:
        if value is None:
            return self.missing_label
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
            ("acer", "Acer"),
            ("msi", "MSI"),
            ("apple", "Apple"),
            ("avita", "Avita"),
            ("other", "Outra marca"),
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
            ("core i9", "Core i9"),
            ("celeron dual", "Celeron Dual Core"),
            ("pentium quad", "Pentium Quad Core"),
            ("ryzen 3", "Ryzen 3"),
            ("ryzen 5", "Ryzen 5"),
            ("ryzen 7", "Ryzen 7"),
            ("ryzen 9", "Ryzen 9"),
            ("m1", "Apple M1"),
            ("other", "Outro"),
        ),
        label="Processador",
        help=(
            "Modelo do processador, no adesivo do teclado ou no sistema. Windows: Configurações › "
            "Sistema › Sobre. Mac: menu Apple › Sobre Este Mac. As opções acompanham o fabricante."
        ),
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
    # Contract v2: optional, appended after the course's 13 so their order stays the contract's.
    Field(
        name="processor_gnrtn",
        kind=CATEGORY,
        options=(
            *(Option(f"{n}th", f"{n}ª geração") for n in range(4, 13)),
            Option("not available", "Não sei"),
        ),
        label="Geração do processador",
        help=(
            "O número depois do hífen no nome do processador: i5-1135G7 → 11ª geração, "
            "i7-10510U → 10ª, i3-8130U → 8ª. Windows: Configurações › Sistema › Sobre "
            "(Processador). Mac com M1: escolha “Não sei”. Sem a informação, “Não sei”."
        ),
        widget="selectbox",
        default="not available",
        required=False,
        missing="not available",
    ),
    Field(
        name="msoffice",
        kind=INTEGER,
        options=_opts((0, "Não"), (1, "Sim")),
        label="Vem com Microsoft Office",
        help=(
            "Office (Word, Excel) com licença do notebook. Windows: procure “Word” no menu "
            "Iniciar; Mac: pasta Aplicativos. Na dúvida, “Não sei”."
        ),
        widget="radio",
        default=None,
        required=False,
        missing=None,
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

# Model input columns, in the order the model was trained with. Written out so that no set or
# dict iteration can reorder it; ``_check_feature_order`` proves it matches FIELDS at import time.
# One-hot groups of an optional field with ``missing=None`` are all zeros when it is absent.
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
    "processor_gnrtn",
    "msoffice",
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
    "brand_acer",
    "brand_msi",
    "brand_apple",
    "brand_avita",
    "brand_other",
    "processor_brand_intel",
    "processor_brand_amd",
    "processor_brand_m1",
    "processor_name_core i3",
    "processor_name_core i5",
    "processor_name_core i7",
    "processor_name_core i9",
    "processor_name_celeron dual",
    "processor_name_pentium quad",
    "processor_name_ryzen 3",
    "processor_name_ryzen 5",
    "processor_name_ryzen 7",
    "processor_name_ryzen 9",
    "processor_name_m1",
    "processor_name_other",
    "os_windows",
    "os_other",
    "weight_casual",
    "weight_gaming",
    "weight_thinnlight",
    "ram_type_ddr4",
    "ram_type_other",
    "processor_gnrtn_4th",
    "processor_gnrtn_5th",
    "processor_gnrtn_6th",
    "processor_gnrtn_7th",
    "processor_gnrtn_8th",
    "processor_gnrtn_9th",
    "processor_gnrtn_10th",
    "processor_gnrtn_11th",
    "processor_gnrtn_12th",
    "processor_gnrtn_not available",
    "msoffice_0",
    "msoffice_1",
)
# The fields where the domain is sure: more never lowers the price, all else equal. The model is
# trained with monotone constraints on them (tests/test_model_v2.py proves it on random laptops).
MONOTONE_INCREASING: tuple[str, ...] = ("ram_gb", "ssd", "graphic_card")


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
    if FIELD_NAMES[: len(COURSE_FIELD_NAMES)] != COURSE_FIELD_NAMES:
        raise RuntimeError("optional (v2) fields must come after the course's required ones")
    for name, coarse in COURSE_VALUES.items():
        if not set(coarse) <= set(FIELDS_BY_NAME[name].values):
            raise RuntimeError(f"COURSE_VALUES[{name!r}] holds values the field does not allow")
    if not set(MONOTONE_INCREASING) <= set(NUMERIC_FEATURES):
        raise RuntimeError("monotone constraints apply to numeric features only")


_check_feature_order()
