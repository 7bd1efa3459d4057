"""The type contract's table in docs/extraction.md, generated from `contract.CONTRACT`.

`python -m orchestration.platform.extractors.contract_docs` rewrites the section between the
markers; tests/unit/test_type_contract.py fails when the docs are out of date.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.platform.extractors.contract import CONTRACT, ENGINE_TITLES, Travel

DOCS = Path(__file__).resolve().parents[3] / "docs" / "extraction.md"
BEGIN, END = "<!-- type contract: begin (generated) -->", "<!-- type contract: end -->"
TRAVEL_WORDS = {
    Travel.NATIVE: "native",
    Travel.TEXT: "as text",
    Travel.PARSED: "as text, parsed back",
    Travel.REFUSED: "refused",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("{c}", "x")


def render_contract() -> str:
    """The contract as Markdown tables, one per engine."""
    lines = [
        BEGIN,
        "Generated from `orchestration/platform/extractors/contract.py` by "
        "`python -m orchestration.platform.extractors.contract_docs`; edit the code, not this table.",
    ]
    for engine, rules in CONTRACT.items():
        lines += [
            "",
            f"**{ENGINE_TITLES[engine]}**",
            "",
            "| source type | Arrow / Parquet | travels | values it cannot hold, and the fix |",
            "|---|---|---|---|",
        ]
        for rule in rules:
            if rule.travel is Travel.REFUSED:
                values = f"refused. Fix: {rule.fix}"
            elif rule.limit:
                values = f"refused if it {rule.limit.cause}. Fix: {rule.limit.fix}"
            else:
                values = "all"
            arrow = "-" if rule.travel is Travel.REFUSED else rule.arrow
            lines.append(f"| {_cell(rule.sql)} | {_cell(arrow)} | {TRAVEL_WORDS[rule.travel]} | {_cell(values)} |")
    return "\n".join([*lines, END])


def with_contract(document: str) -> str:
    """`document` with its generated section replaced by the current contract."""
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"{DOCS.name} has no `{BEGIN}` ... `{END}` section")
    return pattern.sub(lambda _: render_contract(), document)


if __name__ == "__main__":
    current = DOCS.read_text()
    updated = with_contract(current)
    if updated != current:
        DOCS.write_text(updated)
        print(f"{DOCS}: type contract updated")
