"""One typed Settings object, read once at start from the environment (``GARDE_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from garde.core.clock import Clock, aware_utc, fixed_clock, system_clock

ENV_PREFIX = "GARDE_"


class Settings(BaseModel):
    """Every setting Garde reads. Each is documented in docs/settings.md (a test checks)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(Path("garde-data"), description="Where Garde keeps its stores.")
    retention_days: int = Field(0, ge=0, description="Drop stored events older than this many days (0 keeps all).")
    ingest_workers: int = Field(0, ge=0, description="Processes used to parse files in parallel (0: one per core).")
    max_decompressed_bytes: int = Field(
        4 * 1024**3,
        ge=1,
        description="Most bytes a compressed input file (.gz) may expand to; the rest is left unread, as a reject.",
    )
    max_decompression_ratio: int = Field(
        200,
        ge=1,
        description="Most bytes out per compressed byte of a .gz file, judged past its first 64 MiB: a compression "
        "bomb stops there, as a reject.",
    )
    json_time_fields: str = Field(
        "",
        description="`garde ingest` of JSON logs: the fields holding the event time, comma-separated, tried "
        "before those Garde knows (dotted names reach nested fields); `--time-field` overrides it.",
    )
    host: str = Field("127.0.0.1", description="Address `garde serve` listens on.")
    port: int = Field(8610, ge=1, le=65535, description="Port `garde serve` listens on.")
    serve_request_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a client has to send a whole request (headers and body) to `garde serve`; "
        "slower ones are closed (slowloris).",
    )
    serve_max_connections: int = Field(
        100, ge=1, description="Most connections `garde serve` keeps open at once; more get a 503 and are closed."
    )
    rules_url: str = Field(
        "https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_core.zip",
        description="Where `garde rules update` downloads the Sigma rule pack (https; its SHA-256 is checked).",
    )
    rules_download_max_mb: int = Field(200, ge=1, description="Largest rule pack `garde rules update` accepts (MiB).")
    rules_download_timeout: float = Field(60.0, gt=0, description="Timeout of each rule-pack download request (s).")
    rules_allow_loopback_http: bool = Field(
        False, description="Tests only: let `garde rules update` use plain http to 127.0.0.1."
    )
    guest_networks: str = Field(
        "10.250.*,10.251.*",
        description="Guest and BYOD Wi-Fi source addresses (comma-separated wildcard patterns): "
        "the `%guest_networks%` placeholder of Sigma rules.",
    )
    correlation_max_groups: int = Field(
        10_000, ge=1, description="Most live groups per Sigma correlation rule; the oldest are evicted (counted)."
    )
    correlation_lateness_seconds: int = Field(
        60, ge=0, description="How late (event time) an event may arrive and still count in a Sigma correlation."
    )
    now: datetime | None = Field(
        None,
        description="Pin Garde's clock to this time (ISO 8601, UTC unless a zone is given) for retention, "
        "year-less timestamps, exclusion expiry and the demo's days: for tests and replays of old logs. "
        "Unset: the real time.",
    )

    @field_validator("now")
    @classmethod
    def _now_is_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else aware_utc(value)

    @property
    def clock(self) -> Clock:
        """The one clock every service gets from the composition root."""
        return system_clock if self.now is None else fixed_clock(self.now)

    query_timeout_s: float = Field(
        60.0, gt=0, description="Longest a search or SQL query may run before it is stopped (seconds)."
    )
    query_memory_mb: int = Field(
        1024,
        ge=0,
        description="Most memory one search or SQL query may take beyond what Garde already holds (MiB; "
        "Linux; 0: no cap). A result larger than a quarter of it is refused.",
    )

    @property
    def events_db(self) -> Path:
        return self.data_dir / "events.duckdb"

    @property
    def app_db(self) -> Path:
        return self.data_dir / "garde.sqlite"

    @property
    def rules_dir(self) -> Path:
        """Installed rule packs (zips as downloaded, each with a JSON manifest)."""
        return self.data_dir / "rules"

    @property
    def json_time_field_list(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.json_time_fields.split(",") if name.strip())

    @property
    def rule_placeholders(self) -> dict[str, list[str]]:
        """Values of Sigma ``|expand`` placeholders, from the settings."""
        return {"guest_networks": [v.strip() for v in self.guest_networks.split(",") if v.strip()]}

    @classmethod
    def from_env(
        cls, overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from ``GARDE_<NAME>`` variables, then explicit overrides (CLI options).

        An override of None means "not given" and leaves the variable or default in force.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if key in env:
                values[name] = env[key]
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls.model_validate(values)


def markdown() -> str:
    """Every setting as Markdown, the source of ``docs/settings.md``."""
    lines = [
        "# Garde settings",
        "",
        "Each setting is read from the environment variable `GARDE_<NAME>` (upper case) and can be",
        "overridden by the matching command-line option where a command has one. Generated from",
        "`src/garde/settings.py`; a test fails when this page misses a setting.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(f"| `{ENV_PREFIX}{name.upper()}` | `{field.default}` | {field.description} |")
    return "\n".join(lines) + "\n"
