"""Field mapping as a pySigma ``ProcessingPipeline``: Sigma field names -> Garde's event fields.

Windows rules name Windows event fields; Garde keeps them in ``original`` under Winlogbeat's
names: System fields as ``winlog.*``, EventData/UserData as ``winlog.event_data.<Name>``.
Generic web/network names map to the ECS columns of the event schema. Any other name is kept
as is and looked up in ``original`` first, then among the columns (see ``fields.py``).
"""

from __future__ import annotations

import re

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldFunctionTransformation, FieldMappingTransformation

EVENT_DATA = "winlog.event_data."

WINDOWS_SYSTEM_FIELDS: dict[str, str] = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "Provider_Name": "winlog.provider_name",
    "Provider_Guid": "winlog.provider_guid",
    "Computer": "winlog.computer_name",
    "EventRecordID": "winlog.record_id",
    "Keywords": "winlog.keywords",
    "Task": "winlog.task",
    "Opcode": "winlog.opcode",
    "Version": "winlog.version",
    "Level": "winlog.level",
    "Security_UserID": "winlog.user.identifier",
}

# Security 4688 names the same things as Sysmon 1 differently; one of the two is present.
PROCESS_CREATION_ALIASES: dict[str, list[str]] = {
    "Image": [EVENT_DATA + "Image", EVENT_DATA + "NewProcessName"],
    "ParentImage": [EVENT_DATA + "ParentImage", EVENT_DATA + "ParentProcessName"],
}

# Generic names used by proxy, web-server, firewall and DNS rules -> event-schema columns.
GENERIC_TO_ECS: dict[str, str] = {
    "c-uri": "url.full",
    "cs-uri": "url.full",
    "url": "url.full",
    "cs-host": "url.domain",
    "r-dns": "url.domain",
    "cs-method": "http.request.method",
    "sc-status": "http.response.status_code",
    "c-ip": "source.ip",
    "src_ip": "source.ip",
    "src_port": "source.port",
    "dst_ip": "destination.ip",
    "dst_port": "destination.port",
    "dst_hostname": "url.domain",
    "action": "event.action",
    "hostname": "host.name",
}

# Where a mapped name has nothing for a row, the rule's own name is tried in ``original``.
ECS_FALLBACK: dict[str, list[str]] = {}
for _generic, _ecs in GENERIC_TO_ECS.items():
    ECS_FALLBACK.setdefault(_ecs, []).append(_generic)


def _windows_field(name: str | None) -> str:
    if name is None:
        return ""  # keywords: never reached (apply_keyword is False)
    if name.startswith("winlog."):
        return name
    return EVENT_DATA + name


def _spaced_variants(name: str | None) -> list[str] | str:
    """Defender's EventData names have spaces ("Threat Name"); Sigma rules write them joined."""
    if name is None:
        return ""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    base = _windows_field(name)
    return [base, EVENT_DATA + spaced] if spaced != name and not name.startswith("winlog.") else base


def build_pipeline() -> ProcessingPipeline:
    """The pipeline every rule goes through before compilation."""
    return ProcessingPipeline(
        name="garde",
        items=[
            ProcessingItem(
                identifier="garde_process_creation_aliases",
                transformation=FieldMappingTransformation(dict(PROCESS_CREATION_ALIASES)),  # type: ignore[arg-type]
                rule_conditions=[LogsourceCondition(product="windows", category="process_creation")],
            ),
            ProcessingItem(
                identifier="garde_defender_spaced_fields",
                transformation=FieldFunctionTransformation(
                    transform_func=_spaced_variants,  # type: ignore[arg-type]
                    mapping=dict(WINDOWS_SYSTEM_FIELDS),  # type: ignore[arg-type]
                ),
                rule_conditions=[LogsourceCondition(product="windows", service="windefend")],
            ),
            ProcessingItem(
                identifier="garde_windows_fields",
                transformation=FieldFunctionTransformation(
                    transform_func=_windows_field,
                    mapping=dict(WINDOWS_SYSTEM_FIELDS),  # type: ignore[arg-type]
                ),
                rule_conditions=[LogsourceCondition(product="windows")],
            ),
            ProcessingItem(
                identifier="garde_generic_ecs",
                transformation=FieldMappingTransformation(dict(GENERIC_TO_ECS)),  # type: ignore[arg-type]
                rule_conditions=[LogsourceCondition(product="windows")],
                rule_condition_negation=True,
            ),
        ],
    )
