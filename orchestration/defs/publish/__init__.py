"""Publish: the serving layer (lake Parquet, DuckDB serving file, PostgreSQL) and the dashboards."""
