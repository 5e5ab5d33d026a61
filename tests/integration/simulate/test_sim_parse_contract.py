"""Contract with Garde's own parsers: every simulated file parses with no rejected record, and the
simulation id survives into the parsed event's ``original`` fields."""

from __future__ import annotations

from datetime import date
from importlib import import_module
from pathlib import Path

import pytest

from garde.core.ports import Parser
from garde.simulate import SimulationConfig, generate
from garde.simulate.scenarios import SCENARIOS
from garde.simulate.score import sim_ids_in

# simulated source -> the parser that must read it
PARSERS = {
    "winsec": "garde.parse.jsonl:JsonLinesParser",
    "winsys": "garde.parse.jsonl:JsonLinesParser",
    "sysmon": "garde.parse.jsonl:JsonLinesParser",
    "ehr_fhir": "garde.parse.fhir:FhirAuditEventParser",
    "atna": "garde.parse.atna:AtnaParser",
    "proxy": "garde.parse.cef:CefParser",
    "firewall": "garde.parse.syslog:SyslogParser",
    "vpn": "garde.parse.syslog:SyslogParser",
    "dhcp": "garde.parse.syslog:SyslogParser",
    "wifi": "garde.parse.syslog:SyslogParser",
    "mail": "garde.parse.syslog:SyslogParser",
    "backup": "garde.parse.syslog:SyslogParser",
}


def _parser(target: str) -> Parser:
    module, _, name = target.partition(":")
    parser: Parser = getattr(import_module(module), name)()
    return parser


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    config = SimulationConfig(
        out_dir=tmp_path_factory.mktemp("contract"),
        seed=3,
        staff=40,
        days=1,
        start=date(2026, 11, 24),
        scenarios=tuple(SCENARIOS),
    )
    return generate(config).files


@pytest.mark.parametrize("source", sorted(PARSERS))
def test_garde_parses_every_simulated_record(run: dict[str, list[Path]], source: str) -> None:
    parser = _parser(PARSERS[source])
    for path in run[source]:
        lines = path.read_bytes().count(b"\n")
        assert parser.sniff(path.read_bytes()[:65536], path.name), f"{parser.name} does not recognise {path.name}"
        events = rejects = 0
        sim_ids_seen = 0
        with path.open("rb") as stream:
            for chunk in parser.parse(stream, str(path)):
                events += chunk.events.height
                rejects += len(chunk.rejects)
                sim_ids_seen += len(sim_ids_in(o or "" for o in chunk.events["original"].to_list()))
        assert rejects == 0
        assert events == lines
        assert sim_ids_seen == events  # every event keeps its own sim id in ``original``
