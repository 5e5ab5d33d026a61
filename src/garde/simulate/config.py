"""What a simulation run is asked to do, validated at the edge, and what it produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from garde.core.clock import system_clock
from garde.core.errors import InputError

MAX_STAFF = 50_000
MAX_DAYS = 366
MAX_DEVICES = 40_000
HOSPITAL_TZ = ZoneInfo("Europe/Paris")  # the demo hospital's local time


def history_start(now: datetime, days: int) -> date:
    """The first of ``days`` simulated days that end yesterday, in the hospital's local time."""
    return now.astimezone(HOSPITAL_TZ).date() - timedelta(days=days)


@dataclass(frozen=True)
class SimulationConfig:
    """Scale knobs and outputs. ``start`` is the first simulated day (local hospital time)."""

    out_dir: Path | None
    seed: int = 1
    staff: int = 1500
    devices: int | None = None  # biomedical devices and printers; None: about one per ten staff
    days: int = 7
    start: date | None = None  # default: ``days`` days before today (the system clock; callers pass theirs)
    scenarios: tuple[str, ...] = ()
    pins: tuple[tuple[str, datetime], ...] = ()  # scenarios at a chosen local date and time
    first_attack_hour: float | None = None  # pin the first scenario to this local hour of day 0
    write_files: bool = True
    live_last_day: bool = True  # the newest day goes to the live file name (False: follow mode continues it)

    @classmethod
    def demo(
        cls, out_dir: Path, staff: int = 300, days: int = 2, seed: int = 1, start: date | None = None
    ) -> SimulationConfig:
        """What ``make run`` shows: a short history (by default ending yesterday), every attack
        scenario, the first of them (password spraying) pinned early on the first morning. Takes a
        few seconds."""
        from garde.simulate.scenarios import SCENARIOS

        return cls(
            out_dir=out_dir,
            seed=seed,
            staff=staff,
            days=days,
            start=start,
            scenarios=tuple(SCENARIOS),
            first_attack_hour=8.5,
        )

    def validated(self) -> SimulationConfig:
        from garde.simulate.scenarios import SCENARIOS

        if not 10 <= self.staff <= MAX_STAFF:
            raise InputError(f"--staff must be between 10 and {MAX_STAFF}, got {self.staff}")
        if self.devices is not None and not 0 <= self.devices <= MAX_DEVICES:
            raise InputError(f"--devices must be between 0 and {MAX_DEVICES}, got {self.devices}")
        if not 1 <= self.days <= MAX_DAYS:
            raise InputError(f"--days must be between 1 and {MAX_DAYS}, got {self.days}")
        if self.seed < 0:
            raise InputError(f"--seed must be a non-negative integer, got {self.seed}")
        unknown = [s for s in self.scenarios if s not in SCENARIOS]
        if unknown:
            raise InputError(f"unknown scenario {unknown[0]!r}; choose from: {', '.join(SCENARIOS)}, all")
        for name, when in self.pins:
            if name not in SCENARIOS:
                raise InputError(f"unknown scenario {name!r}; choose from: {', '.join(SCENARIOS)}")
            last = self.first_day + timedelta(days=self.days - 1)
            if not self.first_day <= when.date() <= last:
                raise InputError(
                    f"--at {name}@{when:%Y-%m-%dT%H:%M} is outside the simulated days ({self.first_day} to {last})"
                )
        if self.first_attack_hour is not None and not 0 <= self.first_attack_hour < 24:
            raise InputError(f"first attack hour must be in [0, 24), got {self.first_attack_hour}")
        if self.write_files and self.out_dir is None:
            raise InputError("an output directory is required")
        if self.out_dir is not None and self.out_dir.exists() and not self.out_dir.is_dir():
            raise InputError(f"--out {self.out_dir} exists and is not a directory")
        return self

    @property
    def first_day(self) -> date:
        if self.start is not None:
            return self.start
        return history_start(system_clock(), self.days)


def parse_scenarios(text: str) -> tuple[str, ...]:
    """``"all"``, ``""`` or a comma-separated list of scenario names."""
    from garde.simulate.scenarios import SCENARIOS

    names = tuple(n.strip().replace("-", "_") for n in text.split(",") if n.strip())
    if names == ("all",):
        return tuple(SCENARIOS)
    if "all" in names:
        raise InputError("--scenarios: 'all' cannot be combined with other names")
    return names


@dataclass
class SimulationResult:
    """What a run wrote: files per source, the label file, and counts."""

    out_dir: Path | None
    files: dict[str, list[Path]] = field(default_factory=dict)
    label_file: Path | None = None
    events_by_source: dict[str, int] = field(default_factory=dict)
    scenarios: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_events(self) -> int:
        return sum(self.events_by_source.values())
