"""What the assistant reads: the platform's assets, their history and the published gold tables.

Everything here is read-only and answers in short text an analyst (or the LLM helping them)
can read: the asset graph of every department (the same definitions `make dev` loads), the
Dagster history of the instance at DAGSTER_HOME, and the serving file the dashboards read.
Nothing leaves the machine. An answer never holds a secret (every secret value of the settings
is replaced by `***`, as in alerts) nor a personal value (personal columns are masked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

import dagster as dg

from orchestration.platform.alerts import check_numbers, first_line, redact, secret_values
from orchestration.platform.definitions import build_definitions
from orchestration.platform.extractors.base import withhold_values
from orchestration.platform.serving import PUBLISHED, SCHEMA, connect_read_only
from orchestration.platform.settings import Settings

MASK = "<personal>"
PREVIEW_ROWS = 20  # at most, whatever is asked
PERSONAL_COLUMNS = "personal_data_columns"  # the asset metadata listing them (registry, dbt `personal` tag)
DESCRIBED_METADATA = ("documentation", "url", "dagster/table_name", "dagster/storage_kind", PERSONAL_COLUMNS)


class NotFound(LookupError):
    """The asset, check or run asked for does not exist; the message says what does."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    personal: bool


def words(text: str) -> set[str]:
    """Lower-case words of at least 3 letters, with a naive plural folded (paiements -> paiement)."""
    found = set()
    for word in re.findall(r"[a-zà-ÿ0-9]{3,}", text.lower()):
        found |= {word, word.rstrip("s")}
    return found


class Catalogue:
    """The asset graph and the history of one environment, opened once per server."""

    def __init__(self, settings: Settings, instance: dg.DagsterInstance):
        self.settings = settings
        self.instance = instance

    @cached_property
    def graph(self):
        return build_definitions(self.settings).resolve_asset_graph()

    @cached_property
    def secrets(self) -> list[str]:
        return secret_values(self.settings)

    def safe(self, text: str) -> str:
        return redact(text, self.secrets)

    # --- the catalogue ---

    def key(self, asset: str) -> dg.AssetKey:
        key = dg.AssetKey.from_user_string(asset.strip().strip("/"))
        if key in self.graph.get_all_asset_keys():
            return key
        close = sorted(
            k.to_user_string() for k in self.graph.get_all_asset_keys() if key.path[-1] in k.to_user_string()
        )
        hint = f" Did you mean {', '.join(close[:5])}?" if close else " `search_catalogue` finds assets by words."
        raise NotFound(f"No asset {asset!r}.{hint}")

    def columns(self, key: dg.AssetKey) -> list[Column]:
        node = self.graph.get(key)
        personal = self.personal(key)
        schema = node.metadata.get("dagster/column_schema")
        found = getattr(schema, "value", schema).columns if schema is not None else []
        return [Column(c.name, c.type, c.description or "", c.name in personal) for c in found]

    def personal(self, key: dg.AssetKey) -> set[str]:
        listed = self.graph.get(key).metadata.get(PERSONAL_COLUMNS)
        text = listed.value if isinstance(listed, dg.TextMetadataValue) else listed
        return {c.strip() for c in (text or "").split(",") if c.strip()}

    def search(self, query: str, limit: int = 10) -> str:
        """Assets whose key, description, columns, owners or tags hold the query's words, best first."""
        wanted = words(query)
        if not wanted:
            return "Ask with at least one word of three letters or more."
        scored = []
        for key in self.graph.get_all_asset_keys():
            node = self.graph.get(key)
            columns = self.columns(key)
            name_words = words(" ".join(key.path).replace("_", " "))
            text_words = words(" ".join([node.description or "", *(f"{c.name} {c.description}" for c in columns)]))
            text_words |= words(" ".join(node.owners) + " " + " ".join(node.tags))
            score = 3 * len(wanted & name_words) + len(wanted & text_words)
            if score:
                scored.append((score, key, node, columns))
        if not scored:
            return f"No asset matches {query!r}; try other words (French or English, e.g. paiement, commune)."
        scored.sort(key=lambda s: (-s[0], s[1].to_user_string()))
        lines = [f"{len(scored)} asset(s) match {query!r}; the best {min(limit, len(scored))}:"]
        for _, key, node, columns in scored[:limit]:
            personal = [c.name for c in columns if c.personal]
            lines.append(
                f"- {key.to_user_string()} ({node.group_name}; owner {', '.join(node.owners) or 'none'}): "
                f"{first_sentence(node.description)}"
                + (f" Columns: {', '.join(c.name for c in columns[:12])}." if columns else "")
                + (f" Personal data: {', '.join(personal)}." if personal else "")
            )
        return "\n".join(lines)

    def describe(self, asset: str) -> str:
        """An asset: what it is, its columns, where it comes from and goes, its checks and their
        last results, its last update and partitions, its freshness."""
        key = self.key(asset)
        node = self.graph.get(key)
        lines = [f"{key.to_user_string()}: {node.description or 'no description'}"]
        lines.append(f"Group {node.group_name}; owners {', '.join(node.owners) or 'none'}; tags {dict(node.tags)}.")
        for name, value in node.metadata.items():
            if (name in DESCRIBED_METADATA or name.startswith("dashboard: ")) and str(getattr(value, "value", value)):
                lines.append(f"{name}: {getattr(value, 'value', value)}")
        columns = self.columns(key)
        if columns:
            lines.append("Columns:")
            lines += [f"- {c.name} ({c.type}){' [personal]' if c.personal else ''}: {c.description}" for c in columns]
        lines.append("Upstream: " + (", ".join(sorted(k.to_user_string() for k in node.parent_keys)) or "none"))
        lines.append("Downstream: " + (", ".join(sorted(k.to_user_string() for k in node.child_keys)) or "none"))
        lines += self.history(key)
        lines += self.checks(key)
        return self.safe("\n".join(lines))

    def history(self, key: dg.AssetKey) -> list[str]:
        node = self.graph.get(key)
        if not node.is_materializable:
            return ["An external source: Dagster does not materialise it."]
        event = self.instance.get_latest_materialization_event(key)
        lines = [
            f"Last materialised: {when(event.timestamp)} by run {event.run_id}."
            if event
            else "Never materialised in this environment."
        ]
        if node.partitions_def is not None:
            done = sorted(self.instance.get_materialized_partitions(key))
            lines.append(
                f"Partitions: {len(done)} materialised"
                + (f", from {done[0]} to {done[-1]}." if done else ".")
                + f" Partitioned by {type(node.partitions_def).__name__.replace('PartitionsDefinition', '').lower()}."
            )
        return lines

    def checks(self, key: dg.AssetKey) -> list[str]:
        check_keys = sorted(self.graph.get(key).check_keys, key=lambda k: k.name)
        if not check_keys:
            return ["Checks: none."]
        lines = [f"Checks ({len(check_keys)}):"]
        for check_key in check_keys:
            spec = self.graph.get_check_spec(check_key)
            lines.append(f"- {check_key.name}{' (blocking)' if spec.blocking else ''}: {self.result(check_key)}")
        return lines

    def last_executions(self, check_key: dg.AssetCheckKey) -> tuple[object | None, object | None]:
        """The check's latest execution, and its latest evaluated one (a run can stop before a
        check it planned)."""
        history = self.instance.event_log_storage.get_asset_check_execution_history(check_key, limit=20)
        evaluated = next((e for e in history if evaluation_of(e) is not None), None)
        return (history[0] if history else None), evaluated

    def result(self, check_key: dg.AssetCheckKey) -> str:
        latest, evaluated = self.last_executions(check_key)
        if latest is None:
            return "never evaluated"
        told = ""
        if evaluated is not latest:
            told = f"not evaluated in the latest run {latest.run_id} (it stopped before)"
            if evaluated is None:
                return told
            told += "; before that: "
        evaluation = evaluation_of(evaluated)
        verdict = "passed" if evaluation.passed else "FAILED"
        detail = evaluation.description or numbers(evaluation.metadata)
        return (
            told
            + f"{verdict} on {when(evaluated.create_timestamp)} (run {evaluated.run_id})"
            + (f": {detail}" if detail else "")
        )

    # --- what went wrong ---

    def explain_run(self, run_id: str | None = None) -> str:
        """A failed run in a few lines: which steps failed and why, which checks failed, what next."""
        if run_id:
            run = self.instance.get_run_by_id(run_id)
            if run is None:
                raise NotFound(f"No run {run_id!r} in this environment's history.")
        else:
            runs = self.instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]), limit=1)
            if not runs:
                return "No failed run in this environment's history."
            run = runs[0]
        lines = [f"Run {run.run_id} of job {run.job_name}: {run.status.value}."]
        window = [run.tags.get(t) for t in ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")]
        if window[0]:
            lines.append(f"Window: {window[0]} .. {window[1]}.")
        steps = self.instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
        for record in steps:
            failure = record.event_log_entry.dagster_event.step_failure_data
            told = failure.user_failure_data.description if failure.user_failure_data else None
            lines.append(f"Step {record.event_log_entry.step_key} failed: {told or step_error(failure.error)}")
        evaluations = self.instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
        failed = [r.event_log_entry.dagster_event.event_specific_data for r in evaluations]
        failed = [e for e in failed if not e.passed]
        for evaluation in failed:
            lines.append(self.failed_check(evaluation.asset_check_key, evaluation))
        if any(self.graph.get_check_spec(e.asset_check_key).blocking for e in failed if self.known(e.asset_check_key)):
            lines.append(
                "What next: a failed blocking check stops everything downstream of its asset, so the "
                "published gold tables did not change. Look at the failing rows (`dbt test --select "
                "<check> --store-failures`, or the check's SQL in the dbt docs), fix the source data or "
                "the model, then run the same window again (`make run FROM=... TO=...`)."
            )
        elif not steps and run.status == dg.DagsterRunStatus.SUCCESS:
            lines.append("Nothing failed in this run.")
        return self.safe("\n".join(lines))

    def explain_check(self, asset: str, check: str) -> str:
        """A check's last result: what it verifies and, when it failed, why and what to do."""
        key = self.key(asset)
        check_key = dg.AssetCheckKey(key, check)
        if check_key not in self.graph.get(key).check_keys:
            names = ", ".join(sorted(k.name for k in self.graph.get(key).check_keys)) or "none"
            raise NotFound(f"{key.to_user_string()} has no check {check!r}; its checks: {names}.")
        lines = [f"{check_key.name} on {key.to_user_string()}: {self.result(check_key)}."]
        _, evaluated = self.last_executions(check_key)
        evaluation = evaluation_of(evaluated) if evaluated else None
        if evaluation is not None and not evaluation.passed:
            lines.append(self.failed_check(check_key, evaluation))
            lines.append(f"`explain_run` with run_id {evaluated.run_id} tells the rest of that run.")
        else:
            lines.append(f"It checks: {self.graph.get_check_spec(check_key).description or check_key.name}")
        return self.safe("\n".join(lines))

    def known(self, check_key: dg.AssetCheckKey) -> bool:
        """Whether the check still exists (a run's history can name one since removed)."""
        return check_key in self.graph.asset_check_keys

    def failed_check(self, check_key: dg.AssetCheckKey, evaluation) -> str:
        if not self.known(check_key):
            return f"Check {check_key.name} of {check_key.asset_key.to_user_string()} FAILED (it no longer exists)."
        spec = self.graph.get_check_spec(check_key)
        found = numbers(evaluation.metadata)
        return (
            f"Check {check_key.name} of {check_key.asset_key.to_user_string()} FAILED"
            f"{' (blocking: nothing downstream was built)' if spec.blocking else ' (a warning)'}. "
            f"It checks: {spec.description or check_key.name}"
            + (f" Found: {found}." if found else "")
            + (f" {evaluation.description}" if evaluation.description else "")
        )

    # --- the published gold tables ---

    def preview(self, table: str, rows: int = 10) -> str:
        """The first rows of a published gold table (at most PREVIEW_ROWS), personal columns masked."""
        name = table.split("/")[-1]
        key = dg.AssetKey(["gld", name])
        if key not in self.graph.get_all_asset_keys():
            golds = sorted(k.path[-1] for k in self.graph.get_all_asset_keys() if k.path[0] == "gld")
            raise NotFound(f"No gold table {table!r}; the gold tables: {', '.join(golds)}.")
        personal = self.personal(key)
        try:
            connection = connect_read_only(self.settings.serving.path)
        except FileNotFoundError as error:
            raise NotFound(str(error)) from None
        with connection:
            published = {r[0] for r in connection.execute(f"select table_name from {SCHEMA}.{PUBLISHED}").fetchall()}
            if name not in published:
                raise NotFound(f"{name} is not published yet in this environment: materialise it, then its serving.")
            result = connection.execute(f'select * from {SCHEMA}."{name}" limit {max(1, min(rows, PREVIEW_ROWS))}')
            header = [d[0] for d in result.description]
            body = result.fetchall()
            [total] = connection.execute(f'select count(*) from {SCHEMA}."{name}"').fetchone()
        lines = [
            f"{name}: {total} rows published; the first {len(body)}"
            + (f" (personal columns masked: {', '.join(sorted(personal))})" if personal else "")
            + ":"
        ]
        lines.append(" | ".join(header))
        for row in body:
            lines.append(" | ".join(MASK if h in personal else shown(v) for h, v in zip(header, row)))
        return self.safe("\n".join(lines))


def evaluation_of(execution):
    """The check's evaluation (passed or not) of an execution record; None if it was not evaluated."""
    data = execution.event.dagster_event.event_specific_data if execution.event else None
    return data if hasattr(data, "passed") else None


def numbers(metadata) -> str:
    """The figures of a check's result, without Dagster's own timing."""
    return check_numbers({k: v for k, v in metadata.items() if "duration" not in k.lower()})


def first_sentence(text: str | None) -> str:
    text = (text or "no description").strip().replace("\n", " ")
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def step_error(error) -> str:
    """An error the platform did not word itself (its own say the entry, the cause and the fix):
    its first line, any value it quotes withheld."""
    return withhold_values(re.sub(r"'[^']*'", "…", first_line(error)))


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def shown(value: object) -> str:
    return "" if value is None else str(value)
