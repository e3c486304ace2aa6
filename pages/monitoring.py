"""Monitoring page: placeholder until the monitoring issue lands."""

import streamlit as st

st.title("Monitoramento")
st.info(
    "Em breve: volume de avaliações por dia, preços ao longo do tempo "
    "e comparação com os dados de treino."
)
