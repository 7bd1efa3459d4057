"""The dashboard of the gold tables (Streamlit): one page per gold table, reading the serving file only."""
