"""Monitoring of the request log: reading the day files, data quality, drift and chart builders.

Nothing here imports Streamlit; ``components/monitoring*.py`` and ``views/monitoring.py`` do.
"""
