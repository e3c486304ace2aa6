"""Monitoring page: what the clerks priced, and whether it still looks like the training data."""

import streamlit as st

from components import monitoring as ui
from components.monitoring_data import list_days, load_log, location_for, training_reference
from components.settings import app_settings
from laptop_pricing.monitoring import aggregate
from laptop_pricing.monitoring.reader import LogUnavailable

st.set_page_config(layout="wide")
st.title("Monitoramento")
st.caption("O que os balconistas avaliaram e se o modelo ainda vê o tipo de notebook que aprendeu.")

location = location_for(app_settings())
ui.source_bar(location)
try:
    files = list_days(location)
except LogUnavailable as error:
    ui.unavailable(location, error)
    ui.sample_offer("Enquanto isso, dá para explorar a página com dados de exemplo.")
    st.stop()
if not files:
    ui.empty_log(location)
    st.stop()

start, end, only_in_schema = ui.filters(files)
previous_start, previous_end = aggregate.previous_period(start, end)
with st.spinner("Lendo os registros do período…"):
    loaded = load_log(location, max(previous_start, files[0].day), end)
reference, current_version = training_reference()
in_range = aggregate.filter_rows(loaded.rows, start, end)
if in_range.empty:
    ui.sample_offer(
        f"Nenhum pedido registrado entre {ui.br_date(start)} e {ui.br_date(end)}. "
        "Escolha outro período."
    )
    st.stop()

versions = ui.version_filter(in_range, current_version)
if not versions:
    st.info("Escolha ao menos uma versão do modelo para ver os gráficos.", icon="ℹ️")
    st.stop()
rows = aggregate.filter_rows(in_range, versions=versions, only_in_schema=only_in_schema)
previous = aggregate.filter_rows(
    loaded.rows, previous_start, previous_end, versions, only_in_schema
)
set_aside = ui.set_aside_in_range(loaded, start, end)
ui.kpi_row(aggregate.kpis(rows, previous, ui.today_utc()), len(set_aside), start, end)
if rows.empty:
    st.info(
        "Nenhum pedido dentro do esquema no período para as versões escolhidas. "
        "Desligue “Só pedidos dentro do esquema” para ver todos.",
        icon="ℹ️",
    )
    st.stop()

ui.charts_section(rows, reference)
ui.drift_section(rows, reference)
files_read = sum(1 for f in loaded.files if start <= f.day <= end)
ui.quality_section(aggregate.filter_rows(in_range, versions=versions), set_aside, files_read)
ui.download(rows, start, end)
