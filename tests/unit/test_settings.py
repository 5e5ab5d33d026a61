"""Settings: defaults, GARDE_* variables, CLI overrides, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from garde.core.clock import system_clock
from garde.settings import ENV_PREFIX, Settings, markdown


def test_defaults() -> None:
    s = Settings.from_env(environ={})
    assert s.data_dir == Path("garde-data")
    assert s.retention_days == 0
    assert s.ingest_workers == 0
    assert s.host == "127.0.0.1"
    assert s.port == 8610
    assert s.events_db == Path("garde-data") / "events.duckdb"
    assert s.app_db == Path("garde-data") / "garde.sqlite"


def test_environment_variables_are_read_and_converted() -> None:
    env = {
        "GARDE_DATA_DIR": "/srv/garde",
        "GARDE_RETENTION_DAYS": "90",
        "GARDE_INGEST_WORKERS": "3",
        "GARDE_HOST": "0.0.0.0",
        "GARDE_PORT": "9000",
        "UNRELATED": "x",
    }
    s = Settings.from_env(environ=env)
    assert (s.data_dir, s.retention_days, s.ingest_workers, s.host, s.port) == (
        Path("/srv/garde"),
        90,
        3,
        "0.0.0.0",
        9000,
    )
    assert s.events_db == Path("/srv/garde/events.duckdb")


def test_overrides_win_and_none_means_not_given() -> None:
    env = {"GARDE_PORT": "9000", "GARDE_HOST": "10.0.0.1"}
    s = Settings.from_env({"port": 9100, "host": None, "data_dir": Path("/tmp/x")}, environ=env)
    assert s.port == 9100
    assert s.host == "10.0.0.1"
    assert s.data_dir == Path("/tmp/x")


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARDE_RETENTION_DAYS", "7")
    assert Settings.from_env().retention_days == 7


@pytest.mark.parametrize(
    "env",
    [
        {"GARDE_PORT": "0"},
        {"GARDE_PORT": "65536"},
        {"GARDE_PORT": "http"},
        {"GARDE_RETENTION_DAYS": "-1"},
        {"GARDE_INGEST_WORKERS": "-2"},
        {"GARDE_INGEST_WORKERS": "many"},
    ],
)
def test_invalid_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.from_env(environ=env)


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({"colour": "blue"}, environ={})


def test_settings_are_frozen() -> None:
    s = Settings.from_env(environ={})
    with pytest.raises(ValidationError):
        s.port = 1  # type: ignore[misc]


def test_markdown_lists_every_setting_with_its_default() -> None:
    text = markdown()
    for name, field in Settings.model_fields.items():
        assert f"| `{ENV_PREFIX}{name.upper()}` | `{field.default}` |" in text
    assert text.endswith("\n")


def test_json_time_fields_are_a_comma_separated_list() -> None:
    assert Settings.from_env(environ={}).json_time_field_list == ()
    s = Settings.from_env(environ={"GARDE_JSON_TIME_FIELDS": " meta.when , ts ,"})
    assert s.json_time_field_list == ("meta.when", "ts")


def test_the_clock_is_the_real_time_unless_pinned() -> None:
    assert Settings.from_env(environ={}).clock is system_clock
    pinned = Settings.from_env(environ={"GARDE_NOW": "2026-03-29T01:30:00"})  # no zone: UTC
    assert pinned.clock() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    paris = Settings.from_env(environ={"GARDE_NOW": "2026-03-29T03:30:00+02:00"})
    assert paris.clock() == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Settings.from_env(environ={"GARDE_NOW": "yesterday"})
