"""The lake's account-key and SAS-token modes against a real blob service (Azurite over HTTPS).

adlfs speaks HTTPS only in these modes, so they run against `azurite_https`, reached through
LAKEHOUSE_LAKE_ACCOUNT_HOST, and are read back by both production readers: `Lake.read_table`
and DuckDB over the abfs filesystem of dbt/profiles.yml. Service principal and
DefaultAzureCredential need Azure AD: tests/unit/test_lake_settings.py covers their options.
"""

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs

import pyarrow as pa
import pytest
from azure.storage.blob import (
    AccountSasPermissions,
    ContainerSasPermissions,
    ResourceTypes,
    generate_account_sas,
    generate_container_sas,
)

from orchestration.platform.lake import LakeError
from orchestration.platform.settings import settings_for
from tests.azurite import (  # noqa: F401  (azurite_https, trust_azurite_https: fixtures)
    ACCOUNT,
    ACCOUNT_KEY,
    azurite_https,
    duckdb_reader,
    trust_azurite_https,
)

pytestmark = pytest.mark.azurite
DAY = date(2026, 1, 5)
SCHEMA = pa.schema([("id", pa.int64())])
WRONG_KEY = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk="
# what docs/lake.md says a SAS needs on the lake's container
NEEDED = {"read": True, "write": True, "list": True}


def account_sas(key: str = ACCOUNT_KEY, valid_for: timedelta = timedelta(hours=1)) -> str:
    return generate_account_sas(
        ACCOUNT,
        key,
        ResourceTypes(container=True, object=True),
        AccountSasPermissions(**NEEDED),
        expiry=datetime.now(UTC) + valid_for,
    )


def container_sas(container: str) -> str:
    return generate_container_sas(
        ACCOUNT,
        container,
        ACCOUNT_KEY,
        permission=ContainerSasPermissions(**NEEDED),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )


@pytest.fixture
def https_lake(trust_azurite_https) -> dict[str, str]:  # noqa: F811 (the fixture)
    """A fresh container in the HTTPS Azurite and the variables that every mode there needs."""
    return {
        "LAKEHOUSE_LAKE_ROOT": f"abfs://{trust_azurite_https.create_container()}/lake",
        "LAKEHOUSE_LAKE_ACCOUNT": ACCOUNT,
        "LAKEHOUSE_LAKE_ACCOUNT_HOST": trust_azurite_https.account_host,
    }


def container_of(environ) -> str:
    return environ["LAKEHOUSE_LAKE_ROOT"].removeprefix("abfs://").split("/")[0]


@pytest.mark.parametrize(
    "mode, credential",
    [
        ("account key", lambda container: {"LAKEHOUSE_LAKE_ACCOUNT_KEY": ACCOUNT_KEY}),
        ("SAS token", lambda container: {"LAKEHOUSE_LAKE_SAS_TOKEN": account_sas()}),
        ("SAS token", lambda container: {"LAKEHOUSE_LAKE_SAS_TOKEN": container_sas(container)}),
    ],
    ids=["account key", "account SAS", "container SAS"],
)
def test_each_mode_publishes_and_both_readers_read_it_back(https_lake, mode, credential):
    environ = {**https_lake, **credential(container_of(https_lake))}
    lake = settings_for("ci", environ=environ).open_lake()
    assert lake.credentials.mode == mode
    ids = pa.RecordBatch.from_pydict({"id": [1, 2, 3]}, SCHEMA)
    assert lake.publish_partition("s", "t", DAY, SCHEMA, [ids]).rows == 3
    assert lake.read_table("s", "t").column("id").to_pylist() == [1, 2, 3]
    sql = (
        "select sum(id), min(partition_date) from read_parquet("
        f"'{environ['LAKEHOUSE_LAKE_ROOT']}/s/t/*/data.parquet', hive_partitioning = true)"
    )
    assert duckdb_reader(environ).execute(sql).fetchone() == (6, DAY)


def assert_refused_without_secret(environ, variable: str, secrets: list[str]) -> None:
    with pytest.raises(LakeError) as raised:
        settings_for("ci", environ=environ).open_lake()
    message = str(raised.value)
    assert variable in message and "LAKEHOUSE_LAKE_ACCOUNT_HOST" in message
    assert "refused" in message and "failed to authenticate" in message  # not merely unreachable
    assert not [s for s in secrets if s in message or s in repr(raised.value.__cause__)]
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_wrong_account_key_names_its_variable_and_never_shows_it(https_lake):
    environ = {**https_lake, "LAKEHOUSE_LAKE_ACCOUNT_KEY": WRONG_KEY}
    assert_refused_without_secret(environ, "LAKEHOUSE_LAKE_ACCOUNT_KEY", [WRONG_KEY])


@pytest.mark.parametrize(
    "token",
    [account_sas(valid_for=timedelta(hours=-1)), account_sas(key=WRONG_KEY)],
    ids=["expired", "signed with another key"],
)
def test_a_refused_sas_token_names_its_variable_and_never_shows_it(https_lake, token):
    environ = {**https_lake, "LAKEHOUSE_LAKE_SAS_TOKEN": token}
    signature = parse_qs(token)["sig"][0]
    assert_refused_without_secret(environ, "LAKEHOUSE_LAKE_SAS_TOKEN", [token, signature])
