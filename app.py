"""Router only: page config, the list of pages, run. Pages and components hold the rest."""

import streamlit as st

st.set_page_config(
    page_title="Avaliação de notebooks usados",
    page_icon="💻",
    layout="centered",
)

pages = [
    st.Page("pages/estimate.py", title="Avaliar notebook", icon="💰", default=True),
    st.Page("pages/monitoring.py", title="Monitoramento", icon="📊"),
    st.Page("pages/model_card.py", title="Sobre o modelo", icon="📄"),
]

st.navigation(pages).run()
