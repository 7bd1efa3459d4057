"""The lake's root and credentials per environment: pure functions of a mapping, no I/O."""

import pytest
import yaml

from orchestration.platform.lake import container_name_problem
from orchestration.platform.settings import (
    ENVIRONMENTS,
    LAKE_AUTH_MODES,
    LAKE_ENDPOINT,
    PROJECT_ROOT,
    SettingsError,
    lake_credentials,
    settings_for,
)

ROOT = "abfs://lake"
SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr"
ACCOUNT = {"LAKEHOUSE_LAKE_ACCOUNT": "stlakehouse"}
HOST = {"LAKEHOUSE_LAKE_ACCOUNT_HOST": "stlakehouse.blob.core.chinacloudapi.cn"}


@pytest.mark.parametrize(
    "environ, mode, options",
    [
        (
            {"LAKEHOUSE_LAKE_CONNECTION_STRING": f"AccountName=a;AccountKey={SECRET}"},
            "connection string",
            {"connection_string": f"AccountName=a;AccountKey={SECRET}"},
        ),
        (
            {**ACCOUNT, "LAKEHOUSE_LAKE_ACCOUNT_KEY": SECRET},
            "account key",
            {"account_name": "stlakehouse", "account_key": SECRET},
        ),
        (
            {**ACCOUNT, "LAKEHOUSE_LAKE_SAS_TOKEN": f"sv=2024&sig={SECRET}"},
            "SAS token",
            {"account_name": "stlakehouse", "sas_token": f"sv=2024&sig={SECRET}"},
        ),
        (
            {
                **ACCOUNT,
                "LAKEHOUSE_LAKE_TENANT_ID": "t",
                "LAKEHOUSE_LAKE_CLIENT_ID": "c",
                "LAKEHOUSE_LAKE_CLIENT_SECRET": SECRET,
            },
            "service principal",
            {"account_name": "stlakehouse", "tenant_id": "t", "client_id": "c", "client_secret": SECRET},
        ),
        (ACCOUNT, "DefaultAzureCredential", {"account_name": "stlakehouse"}),
        (
            {**ACCOUNT, **HOST, "LAKEHOUSE_LAKE_SAS_TOKEN": f"sv=2024&sig={SECRET}"},
            "SAS token",
            {
                "account_name": "stlakehouse",
                "account_host": HOST["LAKEHOUSE_LAKE_ACCOUNT_HOST"],
                "sas_token": f"sv=2024&sig={SECRET}",
            },
        ),
        (
            {**ACCOUNT, **HOST},
            "DefaultAzureCredential",
            {"account_name": "stlakehouse", "account_host": HOST["LAKEHOUSE_LAKE_ACCOUNT_HOST"]},
        ),
    ],
)
def test_each_mode_gives_the_adlfs_options_and_hides_its_secret(environ, mode, options):
    credentials = lake_credentials(ROOT, environ)
    assert credentials.mode == mode
    assert credentials.options == {**options, "anon": False}
    assert set(credentials.variables) == set(environ)
    assert SECRET not in repr(credentials) and SECRET not in credentials.describe()
    if any(SECRET in value for value in environ.values()):
        assert SECRET not in credentials.redact(f"failed with {environ} and {SECRET}")


def test_a_local_lake_needs_no_credentials():
    assert lake_credentials("/data/lake", {"LAKEHOUSE_LAKE_ACCOUNT_KEY": SECRET}).options == {}


@pytest.mark.parametrize(
    "environ, names",
    [
        ({}, ["LAKEHOUSE_LAKE_ACCOUNT"]),
        ({"LAKEHOUSE_LAKE_ACCOUNT_KEY": SECRET}, ["LAKEHOUSE_LAKE_ACCOUNT"]),
        ({**ACCOUNT, "LAKEHOUSE_LAKE_CLIENT_ID": "c"}, ["LAKEHOUSE_LAKE_TENANT_ID", "LAKEHOUSE_LAKE_CLIENT_SECRET"]),
    ],
)
def test_a_missing_credential_names_the_variables_to_set(environ, names):
    with pytest.raises(SettingsError) as raised:
        lake_credentials(ROOT, environ)
    assert all(name in str(raised.value) for name in names)
    assert SECRET not in str(raised.value)


def test_two_modes_at_once_are_an_error_that_names_both():
    environ = {**ACCOUNT, "LAKEHOUSE_LAKE_ACCOUNT_KEY": SECRET, "LAKEHOUSE_LAKE_SAS_TOKEN": SECRET}
    with pytest.raises(SettingsError, match="account key.*SAS token") as raised:
        lake_credentials(ROOT, environ)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "environ, problem",
    [
        (
            {**HOST, "LAKEHOUSE_LAKE_CONNECTION_STRING": f"AccountKey={SECRET}"},
            "LAKEHOUSE_LAKE_ACCOUNT_HOST does not combine with LAKEHOUSE_LAKE_CONNECTION_STRING",
        ),
        (
            {
                **ACCOUNT,
                "LAKEHOUSE_LAKE_ACCOUNT_HOST": "https://stlakehouse.blob.core.windows.net",
                "LAKEHOUSE_LAKE_ACCOUNT_KEY": SECRET,
            },
            "LAKEHOUSE_LAKE_ACCOUNT_HOST=https://.* must not name a scheme",
        ),
    ],
)
def test_a_wrong_account_host_names_the_variables(environ, problem):
    with pytest.raises(SettingsError, match=problem) as raised:
        lake_credentials(ROOT, environ)
    assert SECRET not in str(raised.value)


def test_settings_resolve_credentials_only_when_the_lake_is_opened():
    settings = settings_for("prod")  # nothing set: building settings must not fail
    assert settings.lake_root == "abfs://lake" and settings.dbt_target == "azure"
    with pytest.raises(SettingsError, match="LAKEHOUSE_LAKE_ACCOUNT"):
        settings.open_lake()


def test_secrets_stay_out_of_the_settings_repr():
    settings = settings_for("ci", environ={"LAKEHOUSE_LAKE_CONNECTION_STRING": SECRET})
    assert SECRET not in repr(settings)


def test_lake_root_override_must_suit_the_dbt_target(tmp_path):
    assert settings_for("ci", environ={"LAKEHOUSE_LAKE_ROOT": "abfs://other/x"}).lake_root == "abfs://other/x"
    with pytest.raises(SettingsError, match="abfs:// URL"):
        settings_for("ci", environ={"LAKEHOUSE_LAKE_ROOT": str(tmp_path)})
    with pytest.raises(SettingsError, match="local path"):
        settings_for("local", environ={"LAKEHOUSE_LAKE_ROOT": "abfs://lake"})


@pytest.mark.parametrize(
    "name, valid",
    [
        ("lake", True),
        ("my-lake-01", True),
        ("ab", False),
        ("Lake", False),
        ("my_lake", False),
        ("-lake", False),
        ("lake-", False),
        ("la--ke", False),
        ("x" * 64, False),
    ],
)
def test_container_names_follow_azure_rules(name, valid):
    assert (container_name_problem(name) is None) == valid


def test_dbt_profile_passes_every_lake_variable_to_the_pinned_reads_plugin():
    profile = yaml.safe_load((PROJECT_ROOT / "dbt" / "profiles.yml").read_text())["lakehouse"]
    [plugin] = [p for p in profile["outputs"]["azure"]["plugins"] if p["module"].endswith("lake_reads")]
    assert plugin["module"] == "orchestration.platform.lake_reads"
    entry = plugin["config"]
    variables = dict(LAKE_ENDPOINT) | {
        name: option for names in LAKE_AUTH_MODES.values() for name, option in names.items()
    }
    from_environment = {k: v for k, v in entry.items() if "env_var(" in str(v)}
    assert from_environment == {option: f"{{{{ env_var('{name}', '') }}}}" for name, option in variables.items()}
    assert entry["use_listings_cache"] is False  # a new partition is seen by the next run
    assert {settings_for(e).dbt_target for e in ENVIRONMENTS} <= set(profile["outputs"])


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {
                "LAKEHOUSE_LAKE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/dev;"
            },
            {
                "azure_storage_account_name": "dev",
                "azure_storage_account_key": "a2V5",
                "azure_storage_endpoint": "http://127.0.0.1:10000/dev",
                "allow_http": "true",
            },
        ),
        (  # a SAS connection string names its account by its endpoint only
            {
                "LAKEHOUSE_LAKE_CONNECTION_STRING": "BlobEndpoint=https://stlake.blob.core.windows.net/;SharedAccessSignature=sv=2024&sig=c2ln"
            },
            {
                "azure_storage_account_name": "stlake",
                "azure_storage_sas_key": "sv=2024&sig=c2ln",
                "azure_storage_endpoint": "https://stlake.blob.core.windows.net",
            },
        ),
        (  # a sovereign cloud by its suffix
            {
                "LAKEHOUSE_LAKE_CONNECTION_STRING": "DefaultEndpointsProtocol=https;AccountName=stlake;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn"
            },
            {
                "azure_storage_account_name": "stlake",
                "azure_storage_account_key": "a2V5",
                "azure_storage_endpoint": "https://stlake.blob.core.chinacloudapi.cn",
            },
        ),
        (
            {"LAKEHOUSE_LAKE_ACCOUNT": "stlake", "LAKEHOUSE_LAKE_ACCOUNT_KEY": "a2V5"},
            {"azure_storage_account_name": "stlake", "azure_storage_account_key": "a2V5"},
        ),
        (
            {
                "LAKEHOUSE_LAKE_ACCOUNT": "stlake",
                "LAKEHOUSE_LAKE_SAS_TOKEN": "sv=2024&sig=c2ln",
                "LAKEHOUSE_LAKE_ACCOUNT_HOST": "stlake.blob.core.usgovcloudapi.net",
            },
            {
                "azure_storage_account_name": "stlake",
                "azure_storage_sas_key": "sv=2024&sig=c2ln",
                "azure_storage_endpoint": "https://stlake.blob.core.usgovcloudapi.net",
            },
        ),
        (
            {
                "LAKEHOUSE_LAKE_ACCOUNT": "stlake",
                "LAKEHOUSE_LAKE_TENANT_ID": "t",
                "LAKEHOUSE_LAKE_CLIENT_ID": "c",
                "LAKEHOUSE_LAKE_CLIENT_SECRET": "s",
            },
            {
                "azure_storage_account_name": "stlake",
                "azure_storage_tenant_id": "t",
                "azure_storage_client_id": "c",
                "azure_storage_client_secret": "s",
            },
        ),
        ({"LAKEHOUSE_LAKE_ACCOUNT": "stlake"}, {"azure_storage_account_name": "stlake"}),  # DefaultAzureCredential
    ],
)
def test_each_mode_reaches_delta_tables_with_the_same_credentials(environ, expected):
    """The gold versions (deltalake, object_store) authenticate as the lake does (adlfs)."""
    from orchestration.platform.lake import delta_storage_options

    assert delta_storage_options(lake_credentials("abfs://lake", environ).options) == expected
