"""Alerts: what went wrong reaches the stewards of the department it belongs to.

One sensor per code location, `alerts_sensor`, reads the instance's event log since its last
tick and sends, per department, one message listing:
* the failed runs of the department (their jobs carry the `lakehouse/department` tag), with the
  first line of each failed step's error;
* its failed blocking checks (a dbt test, an anomaly with `severity: error`), with the numbers
  that triggered them;
* its overdue freshness checks.

Channels come from the environment of the deployment (docs/monitoring.md): e-mail over SMTP to
the owners of the assets concerned (LAKEHOUSE_ALERT_SMTP_HOST, _PORT, _USER, _PASSWORD,
LAKEHOUSE_ALERT_FROM), and a webhook (LAKEHOUSE_ALERT_WEBHOOK_URL, e.g. a Teams channel's). A
message carries names, counts and links, never a secret: every secret value of the settings is
replaced by `***` before anything is sent. A channel that cannot be reached fails the tick,
which the next tick retries (visible in the sensor's history in the UI).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import quote

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.platform.dbt_translator import DEPARTMENT
from orchestration.platform.instance import DEPARTMENT_TAG
from orchestration.platform.settings import Settings

SMTP_HOST = "LAKEHOUSE_ALERT_SMTP_HOST"
SMTP_PORT = "LAKEHOUSE_ALERT_SMTP_PORT"
SMTP_USER = "LAKEHOUSE_ALERT_SMTP_USER"
SMTP_PASSWORD = "LAKEHOUSE_ALERT_SMTP_PASSWORD"
SENDER = "LAKEHOUSE_ALERT_FROM"
WEBHOOK_URL = "LAKEHOUSE_ALERT_WEBHOOK_URL"
FRESHNESS_CHECK = "freshness_check"  # the name Dagster's freshness checks take
DONE = (AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED)
BATCH = 200  # failed runs read per tick


@dataclass(frozen=True)
class Channels:
    """Where alerts go, from the LAKEHOUSE_ALERT_* variables (none set: alerts are only logged)."""

    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def email(self) -> bool:
        return bool(self.environ.get(SMTP_HOST))

    @property
    def webhook(self) -> bool:
        return bool(self.environ.get(WEBHOOK_URL))

    def describe(self) -> str:
        names = [name for name, on in (("e-mail", self.email), ("webhook", self.webhook)) if on]
        return ", ".join(names) or "none"


@dataclass
class Alert:
    """What went wrong in one department since the last tick."""

    department: str
    recipients: set[str] = field(default_factory=set)  # the stewards (asset owners' e-mails)
    lines: list[str] = field(default_factory=list)

    def subject(self, environment: str) -> str:
        return f"[lakehouse {environment}] {self.department}: {len(self.lines)} problem(s) to look at"

    def body(self, ui_url: str) -> str:
        return "\n".join(
            [
                f"Department {self.department}: what went wrong since the last check.",
                "",
                *(f"- {line}" for line in self.lines),
                "",
                f"Details and re-runs: {ui_url}",
                "This message was sent by the platform's alerts_sensor (docs/monitoring.md).",
            ]
        )


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (as written and URL-encoded) replaced by `***`."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        for form in {secret, quote(secret, safe="")}:
            text = text.replace(form, "***")
    return text


def secret_values(settings: Settings) -> list[str]:
    """Every value that must never leave in a message: the sources', the lake's, the alerts', the
    pseudonyms' key, the open-data portal's key."""
    return [
        *settings.source_environ.values(),
        *settings.lake_environ.values(),
        *(settings.alert_environ.get(name, "") for name in (SMTP_PASSWORD, WEBHOOK_URL)),
        settings.pseudonym_key,
        settings.portal.api_key if settings.portal else "",
    ]


def send(alert: Alert, settings: Settings, channels: Channels) -> list[str]:
    """Send `alert` on every configured channel; the names of the channels that failed."""
    secrets = secret_values(settings)
    subject = redact(alert.subject(settings.environment), secrets)
    body = redact(alert.body(settings.ui_url), secrets)
    failed = []
    if channels.email and alert.recipients:
        try:
            send_email(channels.environ, sorted(alert.recipients), subject, body)
        except (OSError, smtplib.SMTPException) as error:
            failed.append(f"e-mail ({redact(str(error), secrets)})")
    if channels.webhook:
        try:
            post_webhook(channels.environ[WEBHOOK_URL], alert, subject, body)
        except OSError as error:
            failed.append(f"webhook ({type(error).__name__})")  # the URL holds its token: not shown
    return failed


def send_email(environ: Mapping[str, str], recipients: list[str], subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = environ.get(SENDER) or "lakehouse@localhost"
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(environ[SMTP_HOST], int(environ.get(SMTP_PORT) or 25), timeout=30) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        if environ.get(SMTP_USER):
            if not isinstance(smtp.sock, ssl.SSLSocket):
                raise smtplib.SMTPException("the server offers no STARTTLS: the password is not sent in clear")
            smtp.login(environ[SMTP_USER], environ.get(SMTP_PASSWORD, ""))
        smtp.send_message(message)


def post_webhook(url: str, alert: Alert, subject: str, body: str) -> None:
    """A MessageCard (what a Teams incoming webhook takes; other receivers read `text`)."""
    payload = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": subject,
        "title": subject,
        "text": body.replace("\n", "  \n"),  # markdown line breaks
        "department": alert.department,
    }
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def collect(
    instance: dg.DagsterInstance,
    graph,
    departments: tuple[str, ...],
    cursor: dict,
    ui_url: str,
) -> tuple[dict[str, Alert], dict]:
    """The alerts of `departments` since `cursor` (the last failed run seen, and the last
    execution of each check seen), and the cursor after them."""
    tag = ",".join(departments)
    alerts: dict[str, Alert] = {}
    department_of = departments_of(graph, departments)
    owners_of = {key: {o for o in graph.get(key).owners if "@" in o} for key in department_of}

    def alert(department: str, keys: Iterable[dg.AssetKey]) -> Alert:
        found = alerts.setdefault(department, Alert(department))
        mine = {k: o for k, o in owners_of.items() if department_of[k] == department}
        found.recipients |= {o for k in keys for o in owners_of.get(k, ())} or {o for os in mine.values() for o in os}
        return found

    failures = instance.fetch_run_status_changes(
        dg.DagsterEventType.RUN_FAILURE, limit=BATCH, cursor=cursor["runs"], ascending=True
    )
    for record in failures.records:
        run = instance.get_run_by_id(record.event_log_entry.run_id)
        if run is None or run.tags.get(DEPARTMENT_TAG) != tag:
            continue
        planned = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        keys = {r.event_log_entry.dagster_event.asset_key for r in planned} & set(department_of)
        department = min({department_of[k] for k in keys}, default=departments[0])
        steps = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
        errors = [
            f"{r.event_log_entry.step_key}: {first_line(r.event_log_entry.dagster_event.step_failure_data.error)}"
            for r in steps
        ]
        alert(department, keys).lines.append(
            f"Run {run.job_name} failed ({ui_url}/runs/{run.run_id})" + (": " + "; ".join(errors) if errors else ".")
        )
    seen = dict(cursor["checks"])
    watched = alerted_checks(graph, department_of)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(watched)
    for check_key, execution in latest.items():
        name = check_key.to_user_string()
        if execution.id <= seen.get(name, 0) or execution.status not in DONE:
            continue  # seen already, or still running (its record is updated in place)
        seen[name] = execution.id
        evaluation = execution.event.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        key = check_key.asset_key
        what = "is overdue" if check_key.name == FRESHNESS_CHECK else "failed (blocking)"
        detail = evaluation.description or check_numbers(evaluation.metadata)
        link = f"{ui_url}/assets/{quote('/'.join(key.path), safe='/')}?view=checks"
        alert(department_of[key], [key]).lines.append(
            f"Check {check_key.name} of {key.to_user_string()} {what}"
            + (f": {detail}" if detail else "")
            + f" ({link})"
        )
    return alerts, {"runs": failures.cursor, "checks": seen}


def alerted_checks(graph, department_of: Mapping[dg.AssetKey, str]) -> list[dg.AssetCheckKey]:
    """The checks whose failure is alerted: blocking ones and freshness checks, of this location."""
    return [
        check_key
        for check_key in graph.get_check_keys_for_assets(set(department_of))
        if check_key.name == FRESHNESS_CHECK or graph.get_check_spec(check_key).blocking
    ]


def start_cursor(instance: dg.DagsterInstance, graph, departments: tuple[str, ...]) -> dict:
    """Where a new sensor starts: after the newest failed run and check executions."""
    checks = alerted_checks(graph, departments_of(graph, departments))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    newest_failure = instance.fetch_run_status_changes(dg.DagsterEventType.RUN_FAILURE, limit=1, ascending=False)
    return {
        "runs": newest_failure.cursor if newest_failure.records else None,
        "checks": {key.to_user_string(): execution.id for key, execution in latest.items() if execution.status in DONE},
    }


def build_alerts_sensor(settings: Settings, departments: tuple[str, ...]) -> dg.SensorDefinition:
    channels = Channels(settings.alert_environ)

    @dg.sensor(
        name="alerts_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Sends the department's stewards its failed runs, failed blocking checks and overdue "
        f"freshness checks (channels here: {channels.describe()}; docs/monitoring.md).",
    )
    def _alerts(context: dg.SensorEvaluationContext):
        graph = context.repository_def.asset_graph
        if context.cursor is None:  # first tick: alert what happens from now on, not the past
            context.update_cursor(json.dumps(start_cursor(context.instance, graph, departments)))
            return dg.SkipReason("Started: alerts cover what happens from now on.")
        cursor = json.loads(context.cursor)
        alerts, following = collect(context.instance, graph, departments, cursor, settings.ui_url)
        failed = []
        for alert in alerts.values():
            context.log.info(f"{alert.department}: {len(alert.lines)} problem(s), to {channels.describe()}")
            failed += send(alert, settings, channels)
        if failed:  # the cursor stays: the next tick sends again
            raise dg.Failure(f"Alerts could not be sent by {', '.join(failed)}; check the LAKEHOUSE_ALERT_* settings.")
        context.update_cursor(json.dumps(following))
        if not alerts:
            return dg.SkipReason("Nothing went wrong since the last tick.")
        return dg.SkipReason(f"Sent {sum(len(a.lines) for a in alerts.values())} problem(s) to {channels.describe()}.")

    return _alerts


def departments_of(graph, departments: tuple[str, ...]) -> dict[dg.AssetKey, str]:
    """The executable assets of this code location that `departments` own, and their department
    (their `department` tag): another department's assets and the sources are left out."""
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_executable and node.tags.get(DEPARTMENT) in departments:
            found[key] = node.tags[DEPARTMENT]
    return found


def first_line(error) -> str:
    message = (error.message if error is not None else "").strip()
    return message.splitlines()[0][:300] if message else "no message"


def check_numbers(metadata: Mapping) -> str:
    shown = {
        k: v.value for k, v in metadata.items() if isinstance(v.value, (int, float)) and not isinstance(v.value, bool)
    }
    return ", ".join(f"{k} {v}" for k, v in list(shown.items())[:6])
