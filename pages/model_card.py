"""Model card page: placeholder until the MLflow issue lands."""

import streamlit as st

st.title("Sobre o modelo")
st.info("Em breve: versão do modelo em uso, métricas de validação e dados de treino.")
