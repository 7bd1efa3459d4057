"""Alerts (issue 15): a failed run, a failed blocking check and an overdue freshness check of a
department reach its stewards by e-mail (a local SMTP server) and by webhook (a local HTTP
receiver), in one message per department, with no secret in it."""

import email
import json
import sqlite3
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from orchestration.platform.alerts import redact
from orchestration.platform.definitions import build_definitions
from orchestration.platform.instance import DEPARTMENT_TAG
from orchestration.platform.lake import Lake
from orchestration.platform.settings import settings_for
from tests.services import free_port

TOKEN = "hook-token-5e3c7d"  # the secret part of a Teams webhook URL
ACCOUNT_KEY = "bGFrZS1rZXktc2VjcmV0"  # a lake secret in the settings (unused by the local lake)
REQUESTS = dg.AssetKey(["raw", "subventions", "demande"])
STEWARD = "culture-data-steward@example.be"


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], email.message.Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def receivers():
    """A local SMTP server and a local HTTP receiver; their ports and what they received."""
    inbox, posts = Inbox(), []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            posts.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield {"smtp": smtp.port, "http": http.server_address[1], "inbox": inbox.messages, "posts": posts}
    smtp.stop()
    http.shutdown()


def settings_with(data_dir: Path, smtp: int, http: int):
    return settings_for(
        "local",
        data_dir=data_dir,
        environ={
            "LAKEHOUSE_ALERT_SMTP_HOST": "127.0.0.1",
            "LAKEHOUSE_ALERT_SMTP_PORT": str(smtp),
            "LAKEHOUSE_ALERT_FROM": "lakehouse@example.be",
            "LAKEHOUSE_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{http}/webhook/{TOKEN}",
            "LAKEHOUSE_LAKE_ACCOUNT_KEY": ACCOUNT_KEY,
            "LAKEHOUSE_UI_URL": "https://dagster.example.be",
        },
    )


def test_failures_reach_the_department_stewards_without_secrets(sample_settings, receivers):
    settings = settings_with(sample_settings.data_dir, receivers["smtp"], receivers["http"])
    defs = build_definitions(settings, ["culture"])
    resources = {"lake": Lake(settings.lake_root), "settings": settings}
    requests = defs.get_assets_def(REQUESTS)
    sensor = defs.get_sensor_def("alerts_sensor")

    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
        sensor(context)  # the first tick starts from now
        started = context.cursor

        def run(first, last):
            tags = {DEPARTMENT_TAG: "culture"}
            tags |= {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
            return dg.materialize([requests], instance=instance, resources=resources, tags=tags, raise_on_error=False)

        assert run("2026-01-01", "2026-03-29").success
        with sqlite3.connect(settings.sample_dir / "subventions.sqlite") as db:  # nine in ten vanish
            db.execute("delete from demande where date(soumise_le) = '2026-03-30' and id_demande % 10 <> 0")
            db.execute("alter table demande add column canal text")  # a schema change: a warning only
        failed = run("2026-03-30", "2026-03-30")
        assert not failed.success
        overdue = dg.Definitions(
            assets=defs.assets,
            asset_checks=defs.asset_checks,
            resources=defs.resources,
            jobs=[
                dg.define_asset_job(
                    "freshness", selection=dg.AssetSelection.checks(dg.AssetCheckKey(REQUESTS, "freshness_check"))
                )
            ],
        ).get_job_def("freshness")
        overdue.execute_in_process(instance=instance)  # the sample ends in March: overdue today

        sensor(context)
        assert context.cursor != started
        sensor(context)  # nothing new: nothing sent again

    [(recipients, message)] = receivers["inbox"]
    assert recipients == [STEWARD] and "culture" in message["Subject"]
    body = message.get_content()
    assert f"Run __ephemeral_asset_job__ failed (https://dagster.example.be/runs/{failed.run_id})" in body
    assert "Check row_count_anomaly of raw/subventions/demande failed (blocking): 2026-03-30: rows" in body
    assert "Check freshness_check of raw/subventions/demande is overdue" in body
    assert "schema_change" not in body  # a warning is on the asset's page, not in an alert
    [(path, card)] = receivers["posts"]
    assert path == f"/webhook/{TOKEN}" and card["department"] == "culture" and card["title"] == message["Subject"]
    assert "row_count_anomaly" in card["text"]
    for sent in (body, message["Subject"], json.dumps(card)):
        assert TOKEN not in sent and ACCOUNT_KEY not in sent


def test_a_channel_that_cannot_be_reached_fails_the_tick_and_keeps_the_alert(sample_settings, receivers):
    settings = settings_with(sample_settings.data_dir, free_port(), free_port())  # nobody listens
    defs = build_definitions(settings, ["culture"])
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
        defs.get_sensor_def("alerts_sensor")(context)
        started = context.cursor
        # a run of the department that fails: its source file is missing
        (settings.sample_dir / "subventions.sqlite").unlink()
        result = dg.materialize(
            [defs.get_assets_def(REQUESTS)],
            instance=instance,
            resources={"lake": Lake(settings.lake_root), "settings": settings},
            partition_key="2026-03-30",
            tags={DEPARTMENT_TAG: "culture"},
            raise_on_error=False,
        )
        assert not result.success
        with pytest.raises(dg.Failure) as failure:
            defs.get_sensor_def("alerts_sensor")(context)
        assert context.cursor == started  # sent again at the next tick
    assert "e-mail" in str(failure.value) and "webhook" in str(failure.value) and TOKEN not in str(failure.value)


def test_secrets_are_replaced_as_written_and_url_encoded():
    secret = "p@ss word/1"
    text = f"connect failed for postgresql://u:{secret}@h and p%40ss%20word%2F1"
    assert redact(text, [secret, ""]) == "connect failed for postgresql://u:***@h and ***"
