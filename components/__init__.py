"""Streamlit building blocks of the app's pages (the package ``laptop_pricing`` has no UI)."""
