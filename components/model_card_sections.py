"""The model card: which model prices the laptops, when it was trained, and how far off it runs.

``describe(metadata)`` is pure (no Streamlit) and turns ``model/model_metadata.json`` into the
sentences and numbers a clerk reads; ``shipped_facts()`` caches that for the shipped model and
``render(...)`` lays it out. In HTTP mode the API may run another version than the one shipped
with the app: the page passes the version the API reported and the card says which of the two
it is describing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from laptop_pricing.formatting import BRASILIA, LOCALE, format_decimal_number, format_price
from laptop_pricing.pricing.artifact import ModelMetadata, PriceRange
from laptop_pricing.pricing.schema import FIELDS

# Model families in words; anything unknown is shown as recorded.
FAMILY_LABELS: Mapping[str, str] = {
    "ridge": "Regressão linear (Ridge)",
    "linear": "Regressão linear",
    "linear_regression": "Regressão linear",
    "decision_tree": "Árvore de decisão",
    "tree": "Árvore de decisão",
    "random_forest": "Floresta aleatória (Random Forest)",
    "gradient_boosting": "Gradient Boosting (árvores em sequência)",
    "hist_gradient_boosting": "Gradient Boosting por histogramas",
    "xgboost": "XGBoost (árvores em sequência)",
    "lightgbm": "LightGBM (árvores em sequência)",
    "lightgbm_mape": "LightGBM ajustado ao erro percentual",
    "lightgbm_monotone": "LightGBM com restrições monotônicas (RAM, SSD, vídeo)",
}


@dataclass(frozen=True)
class MetricRow:
    name: str
    meaning: str
    value: str


@dataclass(frozen=True)
class ModelCardFacts:
    version: str
    model_name: str
    family: str
    trained_at: str
    typical_error: str | None
    range_sentence: str | None
    data_sentence: str | None
    metrics: tuple[MetricRow, ...] = ()
    cv_table: tuple[dict[str, Any], ...] = ()
    fields: tuple[tuple[str, str], ...] = ()  # (label, what it is / whether optional)
    source: str | None = None
    extras: Mapping[str, str] = field(default_factory=dict)
    listings: str | None = None  # where and when the training prices come from


def _pct(value: float) -> str:
    return format_percent(value, "#,##0.0%", locale=LOCALE)


def _when(iso: str | None) -> str:
    if not iso:
        return "data não registrada"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(BRASILIA).replace(tzinfo=None)
    return format_datetime(local, "d 'de' MMMM 'de' y 'às' HH:mm", locale=LOCALE) + (
        " (horário de Brasília)"
    )


def family_label(family: str | None) -> str:
    if not family:
        return "não registrado"
    return FAMILY_LABELS.get(family, family)


def typical_error(metrics: Mapping[str, Any]) -> str | None:
    """The MAPE and MAE in one sentence a clerk can repeat to a customer."""
    mape, mae = metrics.get("MAPE"), metrics.get("MAE")
    if mape is None:
        return None
    money = f" ({format_price(round(float(mae)))})" if mae is not None else ""
    return (
        f"Em média, o preço estimado erra cerca de {_pct(float(mape))}{money} "
        "para mais ou para menos em relação ao preço real."
    )


def range_sentence(price_range: PriceRange | None) -> str | None:
    """What the low–high range on the price card means, with the coverage actually measured."""
    if not price_range:
        return None
    nominal = price_range.nominal_coverage
    measured = price_range.measured_coverage
    if measured is None:
        return None
    in_ten = round(float(measured) * 10)
    sentence = (
        f"A faixa de preço mostrada junto com a estimativa contém o preço real em cerca de "
        f"{in_ten} de cada 10 notebooks (medido em dados que o modelo não viu: "
        f"{_pct(float(measured))}"
    )
    if nominal is not None:
        sentence += f"; a meta era {_pct(float(nominal))}"
    return sentence + ")."


def data_sentence(metadata: ModelMetadata) -> str | None:
    n_rows = (metadata.reference or {}).get("n_rows")
    cv = metadata.cv
    if not n_rows:
        return None
    sentence = f"Treinado com {format_decimal(int(n_rows), locale=LOCALE)} notebooks"
    if cv is not None and cv.n_splits:
        folds = cv.n_splits
        repeats = cv.n_repeats
        sentence += (
            f"; o erro foi medido em validação cruzada ({folds} partes"
            + (f", repetida {repeats} vezes" if repeats > 1 else "")
            + ")"
        )
    return sentence + "."


# From data/SOURCES.md: the public Indian "laptop price" dataset (new laptops listed for sale
# online, prices in rupees); the course's processed copy of it is dated 2024-02-13, and the
# listings carry no date of their own.
LISTINGS_BEFORE = "fevereiro de 2024"


def listings_sentence(metadata: ModelMetadata) -> str:
    """Where and when the prices the model learned come from, in one sentence for a clerk."""
    preparation = metadata.raw.get("preparation") or {}
    rate = preparation.get("inr_to_brl")
    rows = preparation.get("rows") or (metadata.reference or {}).get("n_rows")
    count = f"{format_decimal(int(rows), locale=LOCALE)} " if rows else ""
    converted = (
        f", convertidos de rúpias para reais a R$\xa0{format_decimal_number(float(rate))} por rúpia"
        if rate
        else ", convertidos de rúpias para reais"
    )
    return (
        f"Os preços que o modelo aprendeu são de {count}anúncios de notebooks **novos** numa "
        f"loja on-line da **Índia**, publicados antes de {LISTINGS_BEFORE} (cada anúncio não "
        f"traz a própria data){converted}. Por isso o modelo estima o preço de um novo "
        "parecido; a oferta por um usado parte daí."
    )


def _r2(value: float) -> str:
    return format_decimal(value, "0.000", locale=LOCALE)


def _squared_reais(value: float) -> str:
    return format_decimal(value, "#,##0", locale=LOCALE)


# The course's four metrics, in the order the card shows them: name, meaning, formatter.
_METRICS = (
    ("MAPE", "Erro percentual médio", _pct),
    ("MAE", "Erro médio em reais", format_price),
    ("R2", "Quanto da variação de preço o modelo explica (1 = tudo)", _r2),
    ("MSE", "Erro quadrático médio (R$², pesa mais os erros grandes)", _squared_reais),
)


def _metric_rows(metrics: Mapping[str, Any]) -> tuple[MetricRow, ...]:
    rows = []
    for name, meaning, fmt in _METRICS:
        if name not in metrics:
            continue
        value = fmt(float(metrics[name]))
        std = metrics.get(f"{name}_std")
        if std is not None:
            value += f" ± {fmt(float(std))}"
        rows.append(MetricRow("R²" if name == "R2" else name, meaning, value))
    return tuple(rows)


def _cv_rows(metadata: ModelMetadata) -> tuple[dict[str, Any], ...]:
    """The families compared, in words and pt-BR numbers, the chosen one marked; the MAPE of
    the same laptops described with the course's 13 fields beside it when it was measured."""
    rows = []
    for row in metadata.cv.table if metadata.cv else ():
        shown = {
            "Modelo": family_label(row.get("family"))
            + (" ✔ escolhido" if row.get("family") == metadata.family else ""),
            "Erro percentual médio (MAPE)": _pct(float(row["MAPE"])),
        }
        if row.get("MAPE_v1") is not None:
            shown["MAPE só com os 13 campos do curso"] = _pct(float(row["MAPE_v1"]))
        shown["Erro médio (MAE)"] = format_price(float(row["MAE"]))
        shown["R²"] = format_decimal(float(row["R2"]), "0.000", locale=LOCALE)
        rows.append(shown)
    return tuple(rows)


def _field_rows() -> tuple[tuple[str, str], ...]:
    """What the model reads: each form field, and whether the clerk may leave it as "não sei"."""
    return tuple(
        (f.label, "opcional (“Não sei” é aceito)" if not f.required else "obrigatório")
        for f in FIELDS
    )


def describe(metadata: ModelMetadata) -> ModelCardFacts:
    """Everything the card shows, in pt-BR, from the artifact's metadata."""
    metrics = metadata.metrics
    extras = {}
    if metadata.registered_version is not None:
        extras["Versão no registro MLflow"] = str(metadata.registered_version)
    if metadata.run_id:
        extras["Execução MLflow (run id)"] = metadata.run_id
    if metadata.data_hash:
        extras["Dados de treino (hash)"] = metadata.data_hash[:19] + "…"
    return ModelCardFacts(
        version=metadata.version,
        model_name=metadata.model_name,
        family=family_label(metadata.family),
        trained_at=_when(metadata.trained_at),
        typical_error=typical_error(metrics),
        range_sentence=range_sentence(metadata.price_range),
        data_sentence=data_sentence(metadata),
        metrics=_metric_rows(metrics),
        cv_table=_cv_rows(metadata),
        fields=_field_rows(),
        source=metadata.source,
        extras=extras,
        listings=listings_sentence(metadata),
    )


def shipped_facts() -> ModelCardFacts | None:
    """The card of the model shipped with the app, or None when its metadata cannot be read.

    Read and put into words once per metadata file version (keyed by folder and mtime), not on
    every rerun: the Babel formatting alone costs about a millisecond.
    """
    from laptop_pricing.pricing.artifact import METADATA_FILE, default_model_dir

    path = default_model_dir() / METADATA_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _facts_of(str(path.parent), stamp)


@st.cache_data(show_spinner=False, max_entries=4)
def _facts_of(model_dir: str, stamp: int | None) -> ModelCardFacts | None:
    from laptop_pricing.pricing.artifact import ArtifactError, read_metadata

    try:
        return describe(read_metadata(model_dir))
    except ArtifactError:
        return None


def render(
    facts: ModelCardFacts | None,
    *,
    api_version: str | None = None,
    http_mode: bool = False,
) -> None:
    """Lay the card out: ``facts`` of the shipped artifact, ``api_version`` from the API."""
    import pandas as pd

    if facts is None:
        st.warning(
            "Não foi possível ler as informações do modelo embarcado. "
            "Peça ao responsável pelo sistema para reinstalar o modelo (pasta model/)."
        )
        if api_version:
            st.metric("Versão usada pela API", api_version)
        return

    if http_mode:
        if api_version is None:
            st.info(
                "O app consulta a API de preços. A versão que ela usa aparece aqui depois da "
                "primeira avaliação; abaixo, os dados do modelo que acompanha o app "
                f"(versão {facts.version})."
            )
        elif api_version != facts.version:
            st.warning(
                f"A API está usando a versão **{api_version}** do modelo, diferente da versão "
                f"{facts.version} que acompanha este app. Os números abaixo são da versão "
                f"{facts.version}."
            )
        else:
            st.success(f"A API está usando esta mesma versão do modelo ({api_version}).")

    left, right = st.columns(2)
    left.metric("Versão do modelo", facts.version, help="A mesma versão aparece em cada avaliação.")
    right.metric("Treinado em", facts.trained_at.split(" às ")[0])
    if facts.typical_error:
        st.markdown(f"#### {facts.typical_error}")
    if facts.range_sentence:
        st.markdown(facts.range_sentence)
    if facts.listings:
        st.markdown(facts.listings)
    if facts.data_sentence:
        st.caption(facts.data_sentence)

    # Plain tables (st.table) wrap on a laptop screen instead of scrolling sideways, and have
    # no data-grid toolbar in English.
    with st.expander("Detalhes técnicos"):
        st.markdown(f"**Tipo de modelo:** {facts.family}  \n**Treinado em:** {facts.trained_at}")
        if facts.metrics:
            st.table(
                pd.DataFrame(
                    [
                        {"Métrica": m.name, "O que mede": m.meaning, "Valor": m.value}
                        for m in facts.metrics
                    ]
                ).style.hide(axis="index")
            )
        if facts.cv_table:
            st.markdown("**Modelos comparados na validação cruzada**")
            st.table(pd.DataFrame(list(facts.cv_table)).style.hide(axis="index"))
        if facts.fields:
            st.markdown("**O que o modelo usa** (os campos do formulário)")
            st.table(
                pd.DataFrame(list(facts.fields), columns=["Campo", "Preenchimento"]).style.hide(
                    axis="index"
                )
            )
        if facts.extras:
            st.markdown("**Registro do modelo** (para quem mantém o sistema)")
            for label, value in facts.extras.items():
                st.markdown(f"**{label}:** `{value}`")
