"""Router only: page config, the door every page goes through, the list of pages, run.

The page files live in ``views/``: a folder named ``pages/`` next to this file would switch
Streamlit to its legacy multipage mode, which on a fresh server runs a deep-linked page without
this router (and so without sign-in). ``components.page_setup`` decides who sees what.
"""

import streamlit as st

from components.document_language import declare_language
from components.page_setup import AppPage, open_app

st.set_page_config(
    page_title="Avaliação de notebooks usados",
    page_icon=":material/laptop:",
    layout="wide",
)
declare_language()

PAGES = (
    AppPage("views/estimate.py", "estimate", "Avaliar notebook", ":material/sell:"),
    AppPage("views/purchase.py", "purchase", "Comprar notebook", ":material/shopping_cart:"),
    AppPage("views/stock.py", "stock", "Estoque", ":material/inventory_2:"),
    AppPage("views/monitoring.py", "monitoring", "Monitoramento", ":material/monitoring:"),
    AppPage("views/model_card.py", "model_card", "Sobre o modelo", ":material/description:"),
)

open_app(PAGES).run()
