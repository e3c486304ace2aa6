"""Monitoring page: what the clerks priced, and whether it still looks like the training data."""

from functools import partial

import streamlit as st

from components import business_data
from components import business_panels as business_ui
from components import monitoring_data as data
from components import monitoring_panels as ui
from components import monitoring_tables as tables
from components.owner_summary import owner_summary
from components.page_setup import page_entry
from components.resale_data import resale_block
from components.set_aside_files import set_aside_files
from components.store_filter import settings_stores, store_filter
from laptop_pricing.access import readable_stores
from laptop_pricing.formatting import format_day
from laptop_pricing.monitoring.alert_rules import AlertRulesError
from laptop_pricing.monitoring.sources import LogUnavailable

st.title("Monitoramento")
st.caption(
    "O que a loja comprou, o que os balconistas avaliaram e se o modelo ainda vê o tipo de "
    "notebook que aprendeu. Dias no horário de Brasília."
)

entry = page_entry()
settings = entry.settings
visible_stores = readable_stores(entry.visitor, None)  # an owner limited to stores: theirs
today = ui.today_brasilia()
location = data.location_for(settings)
outcomes_location = business_data.outcome_location_for(settings, location)
ui.source_bar(location)
if st.session_state.get("monitoring_refresh"):  # "Atualizar" also re-reads the outcomes
    business_data.refresh()
try:
    files = data.list_days(location)
except LogUnavailable as error:
    ui.unavailable(location, error)
    ui.sample_offer("Enquanto isso, dá para explorar a página com dados de exemplo.")
    st.stop()
if not files:
    ui.empty_log(location)
    st.stop()

alert_below = None
try:
    rules = business_data.alert_rules()
    alert_below = rules.acceptance.below if rules.acceptance.enabled else None
    fired = business_data.fired_alerts(
        location, outcomes_location, rules, files[0].day, today, visible_stores
    )
    business_ui.alerts_banner(fired)
except AlertRulesError as error:
    business_ui.rules_unreadable(error)
except LogUnavailable as error:
    business_ui.outcomes_unreadable(error)

owner_slot = st.container()  # money first: filled once the period (its last day) is chosen
filters = ui.filters(files, today).with_scope(visible_stores)
chain = (*settings_stores(settings), *data.stores_seen(location, filters))
filters = filters.with_stores(store_filter(entry.visitor, chain))
with owner_slot:
    try:
        owner_summary(business_data.owner_week(location, outcomes_location, filters, today))
    except LogUnavailable as error:
        business_ui.outcomes_unreadable(error)
with st.spinner("Lendo os registros do período…"):
    requests, versions = data.period_versions(location, filters)
if not requests:
    set_aside_files(data.set_aside(location, filters))  # why a period with files shows nothing
    ui.sample_offer(
        f"Nenhum pedido registrado entre {format_day(filters.start)} e "
        f"{format_day(filters.end)}. Escolha outro período."
    )
    resale_block(filters.stores)  # the stock and its sales do not depend on the period
    st.stop()

_, current_version = data.training_reference()
filters = filters.with_versions(ui.version_filter(versions, current_version))
if not filters.versions:
    st.info("Escolha ao menos uma versão do modelo para ver os gráficos.", icon=":material/info:")
    st.stop()
view = data.monitoring_view(location, filters, today)
ui.kpi_row(view.kpis, len(view.set_aside), filters)
if view.kpis.requests == 0:
    st.info(
        "Nenhum pedido dentro do esquema no período para as versões escolhidas. "
        "Desligue “Só pedidos dentro do esquema” para ver todos.",
        icon=":material/info:",
    )
    st.stop()

try:
    business_ui.business_section(
        business_data.business_view(
            location,
            outcomes_location,
            filters.start,
            filters.end,
            today,
            alert_below,
            filters.stores,
            filters.scope,
        )
    )
    recorded_until = max(filters.end, today)
    business_ui.outcomes_download(
        partial(
            business_data.outcomes_csv,
            outcomes_location,
            filters.start,
            recorded_until,
            filters.stores,
        ),
        filters.start,
        recorded_until,
    )
except LogUnavailable as error:
    business_ui.outcomes_unreadable(error)
resale_block(filters.stores)  # "Estoque e revenda", owners only

ui.charts_section(view.figures, view.drift_table is not None)
tables.drift_section(view.drift_table)
tables.quality_section(view.quality_report, view.in_schema_share, view.set_aside, view.files_read)
ui.download(partial(data.filtered_rows, location, filters), view.kpis.requests, filters)
