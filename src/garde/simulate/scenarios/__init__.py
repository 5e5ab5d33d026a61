"""Attack scenarios, one module each; ``SCENARIOS`` maps the names users type to them."""

from __future__ import annotations

from garde.simulate.scenarios import (
    backup_failure,
    ddos,
    ehr_snooping,
    exfiltration,
    password_spray,
    phishing,
    ransomware,
    rogue_device,
    vpn_takeover,
)
from garde.simulate.scenarios.base import Label, Scenario

# Ordered: the first is the one pinned early for demos (it shows up within minutes).
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        password_spray.SCENARIO,
        phishing.SCENARIO,
        ehr_snooping.SCENARIO,
        vpn_takeover.SCENARIO,
        rogue_device.SCENARIO,
        ddos.SCENARIO,
        exfiltration.SCENARIO,
        backup_failure.SCENARIO,
        ransomware.SCENARIO,
    )
}

__all__ = ["SCENARIOS", "Label", "Scenario"]
