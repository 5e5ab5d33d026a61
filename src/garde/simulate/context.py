"""What every generator needs for one simulated day: the plan, the day, a seeded RNG, sinks."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from garde.simulate.calendar import Day
from garde.simulate.org import Org
from garde.simulate.sources import Sink, day_sinks
from garde.simulate.vocab import COUNTRIES


@dataclass
class Ctx:
    org: Org
    day: Day
    seed: int
    sinks: dict[str, Sink] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    _logon_id: int = 0x100000
    _pid: int = 1000

    def __post_init__(self) -> None:
        if not self.sinks:
            self.sinks = day_sinks(self.day.day)
        s = self.sinks
        self.sec, self.sys, self.smn, self.fhr = s["winsec"], s["winsys"], s["sysmon"], s["ehr_fhir"]
        self.fw, self.vpn, self.pxy, self.dhc = s["firewall"], s["vpn"], s["proxy"], s["dhcp"]
        self.wif, self.eml, self.atn, self.bkp = s["wifi"], s["mail"], s["atna"], s["backup"]
        self._logon_id = 0x100000 + self.day.index * 0x1000000
        self._pid = 1000 + (self.day.index * 7919) % 20000

    def rng(self, purpose: str) -> random.Random:
        """An independent, seeded stream per purpose and day: adding one generator never shifts another."""
        return random.Random(f"{self.seed}:{self.day.day.isoformat()}:{purpose}")

    def logon_id(self) -> int:
        self._logon_id += 1 + (self._logon_id % 7)
        return self._logon_id

    def pid(self) -> int:
        self._pid = (self._pid + 4 * (1 + self._pid % 13)) % 60000 + 400
        return self._pid

    @property
    def dc(self) -> str:
        return self.org.servers["dc1"].fqdn if self.day.index % 2 == 0 else self.org.servers["dc2"].fqdn


def public_ip(rng: random.Random, country: str = "FR") -> str:
    firsts = COUNTRIES[country][1]
    return f"{rng.choice(firsts)}.{rng.randrange(1, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 254)}"


def country_name(country: str) -> str:
    return COUNTRIES[country][0][1]


@lru_cache(maxsize=1024)
def site_ip(domain: str) -> str:
    """A stable public address for a web site."""
    h = zlib.crc32(domain.encode())
    return f"{(h >> 24) % 60 + 140}.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255 or 1}"
