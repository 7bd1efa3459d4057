"""Education: the schools open per commune, network and level (schools come from the reference location).

Owner: enseignement-data-steward@example.be. A code location of its own (workspace.yaml): its components are declared in
defs/ (sources, dbt models, publication); the platform (orchestration/platform/) does the rest.
"""

import dagster as dg

from orchestration.platform.definitions import build_definitions
from orchestration.platform.settings import load_settings


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings(), ["enseignement"])
