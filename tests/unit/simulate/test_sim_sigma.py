"""SigmaHQ rules fire on the attack steps (pySigma + the SQLite backend as a neutral oracle).

Needs the reference corpus (SigmaHQ rules); skipped without it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from simhelpers import Records

# rule file (under rules/windows) -> the scenario whose records it must catch
EXPECTED = {
    "process_creation/proc_creation_win_susp_shadow_copies_deletion.yml": "ransomware",
    "process_creation/proc_creation_win_bcdedit_boot_conf_tamper.yml": "ransomware",
    "process_creation/proc_creation_win_office_susp_child_processes.yml": "ransomware",
    "process_creation/proc_creation_win_powershell_base64_encoded_cmd.yml": "ransomware",
    "process_creation/proc_creation_win_powershell_base64_iex.yml": "ransomware",
    "process_creation/proc_creation_win_net_groups_and_accounts_recon.yml": "ransomware",
    "process_creation/proc_creation_win_rundll32_process_dump_via_comsvcs.yml": "ransomware",
    "process_creation/proc_creation_win_whoami_all_execution.yml": "ransomware",
    "process_creation/proc_creation_win_nltest_recon.yml": "ransomware",
    "process_creation/proc_creation_win_pua_adfind_susp_usage.yml": "ransomware",
    "process_creation/proc_creation_win_sysinternals_psexesvc.yml": "ransomware",
    "builtin/system/service_control_manager/win_system_service_install_sysinternals_psexec.yml": "ransomware",
    "process_creation/proc_creation_win_pua_rclone_execution.yml": "exfiltration",
    "process_creation/proc_creation_win_7zip_password_compression.yml": "exfiltration",
}
_ROUTES = {
    "process_creation": ("Microsoft-Windows-Sysmon/Operational", 1),
    "file_event": ("Microsoft-Windows-Sysmon/Operational", 11),
}


def _rows(hospital: Records, channel: str, event_id: int | None) -> list[dict[str, Any]]:
    out = []
    for source in ("winsec", "winsys", "sysmon"):
        for sim_id, rec in hospital.by_source[source]:
            w = rec["winlog"]
            if w["channel"] != channel or (event_id is not None and int(w["event_id"]) != event_id):
                continue
            row = {k: str(v) for k, v in w["event_data"].items()}
            row.update(EventID=int(w["event_id"]), Provider_Name=w["provider_name"], Channel=channel, sim_id=sim_id)
            out.append(row)
    return out


def _query(rows: list[dict[str, Any]], sql: str) -> set[str]:
    db = sqlite3.connect(":memory:")
    try:
        columns = sorted({k for row in rows for k in row})
        names = ", ".join(f'"{c}"' for c in columns)
        db.execute(f"CREATE TABLE logs ({names})")
        db.executemany(
            f"INSERT INTO logs VALUES ({', '.join('?' for _ in columns)})", [[r.get(c) for c in columns] for r in rows]
        )
        while True:
            try:
                return {row[0] for row in db.execute(sql.replace("SELECT *", 'SELECT "sim_id"', 1))}
            except sqlite3.OperationalError as exc:  # a field none of our records has: it never matches
                missing = str(exc).removeprefix("no such column: ")
                if missing == str(exc):
                    raise
                db.execute(f'ALTER TABLE logs ADD COLUMN "{missing}"')
    finally:
        db.close()


@pytest.mark.corpus
@pytest.mark.parametrize("rule_file", sorted(EXPECTED))
def test_sigmahq_rule_fires_on_its_scenario(hospital: Records, corpus_dir: Path, rule_file: str) -> None:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection

    rule_path = corpus_dir / "sigma" / "rules" / "windows" / rule_file
    collection = SigmaCollection.from_yaml(rule_path.read_text())
    logsource = collection.rules[0].logsource
    channel, event_id = _ROUTES.get(
        str(logsource.category), ("System" if logsource.service == "system" else "Security", None)
    )
    rows = _rows(hospital, channel, event_id)
    hits: set[str] = set()
    for sql in sqliteBackend().convert(collection):
        hits |= _query(rows, sql)
    assert hospital.result.label_file is not None
    labels = {
        (doc := orjson.loads(line))["scenario"]: doc for line in hospital.result.label_file.read_bytes().splitlines()
    }
    ids = {i for values in labels[EXPECTED[rule_file]]["events"].values() for i in values}
    assert hits & ids, f"{rule_file} did not fire on {EXPECTED[rule_file]}"
