"""The departments, one code location each (workspace.yaml). A department is a folder: its
definitions.py (three lines) and its components in defs/ (sources, dbt models, publication)."""
