"""Router only: page config, the list of pages, run. Pages and components hold the rest."""

import streamlit as st

from components.document_language import declare_language

st.set_page_config(
    page_title="Avaliação de notebooks usados",
    page_icon=":material/laptop:",
    layout="wide",
)
declare_language()

pages = [
    st.Page("pages/estimate.py", title="Avaliar notebook", icon=":material/sell:", default=True),
    st.Page("pages/monitoring.py", title="Monitoramento", icon=":material/monitoring:"),
    st.Page("pages/model_card.py", title="Sobre o modelo", icon=":material/description:"),
]

st.navigation(pages).run()
