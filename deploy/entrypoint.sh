#!/bin/sh
# The entry point of every role of the image (deploy/Dockerfile): writes the Dagster instance's
# dagster.yaml for LAKEHOUSE_ENV (orchestration/platform/instance.py: PostgreSQL storage from the
# DAGSTER_PG_* variables, the run queue, pools), then runs the role's command in its place.
# A dagster.yaml mounted read-only is kept: the Helm chart mounts its own into the run pods.
set -eu

config="${DAGSTER_HOME:?DAGSTER_HOME must name the Dagster home}/dagster.yaml"
if [ -e "$config" ] && [ ! -w "$config" ]; then
    echo "entrypoint: keeping the mounted $config" >&2
else
    mkdir -p "$DAGSTER_HOME"
    python -m orchestration.platform.instance yaml > "$config.tmp" || { rm -f "$config.tmp"; exit 1; }
    mv "$config.tmp" "$config"
fi
exec "$@"
