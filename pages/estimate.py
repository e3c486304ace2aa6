"""Estimate page: the clerk describes the laptop and gets the trade-in price."""

import streamlit as st

st.title("Avaliar notebook usado")
