"""Which extraction errors are retried: a lost connection is, a wrong query is not."""

import pytest

from orchestration.platform.extractors.base import is_transient


@pytest.mark.parametrize(
    "message",
    [
        # connectorx (rust-postgres) when pg_terminate_backend ends the session mid-read
        "cx writer failed: Source(PostgresError(Error { kind: Closed, cause: None }))",
        "FATAL: terminating connection due to administrator command",
        "server closed the connection unexpectedly; connection reset by peer",
        "Lost connection to MySQL server during query",
    ],
)
def test_a_lost_connection_is_retried(message):
    assert is_transient(RuntimeError(message))


@pytest.mark.parametrize("message", ['relation "contrat" does not exist', "column x is of type date"])
def test_a_mistake_is_not_retried(message):
    assert not is_transient(RuntimeError(message))
