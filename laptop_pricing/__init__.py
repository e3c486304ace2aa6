"""Laptop Pricing: trade-in price estimates for used laptops. Never imports Streamlit."""
