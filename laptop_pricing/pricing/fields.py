"""The laptop fields a pricing request holds: the one place a field is written.

Each ``Field`` says everything the rest of the code needs about it: its allowed values and pt-BR
labels (form, validator, monitoring), how the model reads it (``encoding``) and how far apart two
laptops are on it (``distance``, for the comparables). ``schema`` derives every order from this
tuple (payload, feature order, log columns); adding a field means adding it here, nowhere else in
the package. Kept apart from ``schema`` so the derivations can be rebuilt from another tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Value = str | int

CATEGORY: Literal["category"] = "category"
INTEGER: Literal["integer"] = "integer"


@dataclass(frozen=True)
class Distance:
    """How far apart two laptops are on a field, in the comparables' steps: ``mismatch`` costs
    ``weight`` when the values differ, ``linear`` costs ``weight`` per unit of difference and
    ``log2`` costs ``weight`` per doubling (8 -> 16 GB is one step). An optional field the request
    does not inform costs nothing."""

    scale: Literal["mismatch", "linear", "log2"] = "mismatch"
    weight: float = 1.0


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
    # How the model reads it: the number itself, or one column per allowed value.
    encoding: Literal["number", "one_hot"] = "one_hot"
    distance: Distance = Distance()

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
        encoding="number",
        distance=Distance("linear", 0.25),
    ),
    Field(
        name="touchscreen",
        kind=INTEGER,
        options=_opts((0, "Não"), (1, "Sim")),
        label="Tela sensível ao toque",
        help="A tela responde ao toque do dedo?",
        widget="radio",
        default=0,
        encoding="number",
        distance=Distance(weight=0.5),
    ),
    Field(
        name="ram_gb",
        kind=INTEGER,
        options=_opts((4, "4 GB"), (8, "8 GB"), (16, "16 GB"), (32, "32 GB")),
        label="Memória RAM",
        help="Quantidade total de memória RAM instalada.",
        widget="selectbox",
        default=8,
        encoding="number",
        distance=Distance("log2"),
    ),
    Field(
        name="hdd",
        kind=INTEGER,
        options=_sizes(0, 512, 1024, 2048, zero="Nenhum"),
        label="HD (disco rígido)",
        help="Capacidade do disco rígido mecânico. Escolha “Nenhum” se só houver SSD.",
        widget="selectbox",
        default=0,
        encoding="number",
        distance=Distance("log2"),
    ),
    Field(
        name="ssd",
        kind=INTEGER,
        options=_sizes(0, 128, 256, 512, 1024, 2048, 3072, zero="Nenhum"),
        label="SSD",
        help="Capacidade do SSD. Escolha “Nenhum” se só houver HD.",
        widget="selectbox",
        default=256,
        encoding="number",
        distance=Distance("log2"),
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
        encoding="number",
        distance=Distance("linear", 0.5),
    ),
    Field(
        name="ram_type",
        kind=CATEGORY,
        options=_opts(("ddr4", "DDR4"), ("other", "Outro (DDR3, DDR5, LPDDR)")),
        label="Tipo de memória RAM",
        help="Geração da memória RAM. Na dúvida, DDR4 é a mais comum.",
        widget="radio",
        default="ddr4",
        distance=Distance(weight=0.5),
    ),
    Field(
        name="os_bit",
        kind=INTEGER,
        options=_opts((32, "32 bits"), (64, "64 bits")),
        label="Arquitetura do sistema",
        help="Versão do sistema operacional: 32 ou 64 bits.",
        widget="radio",
        default=64,
        encoding="number",
        distance=Distance(weight=0.5),
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
        distance=Distance(weight=0.25),
    ),
)
