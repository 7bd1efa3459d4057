"""The platform every department builds on: settings, resources, the components that turn a
department's YAML and dbt models into assets (ingestion, dbt, publication), the lake's layout,
the conventions `make lint` checks, and scaffolding. Departments never copy code from here:
they declare what they own (orchestration/locations/<department>/) and import nothing else."""
