"""The analysts' assistant: a local MCP server that knows the platform (docs/assistant.md).

`python -m orchestration.assistant` serves it over stdio to an MCP client (`make assistant`
prints how to wire one). Read-only tools answer from the asset graph, the Dagster history and the
published gold tables (catalogue.py); authoring tools write drafts in the working tree and
validate them as `make lint` does (authoring.py). Nothing is materialised, committed or sent.
"""
