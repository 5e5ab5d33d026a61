"""Sysmon events (Microsoft-Windows-Sysmon/Operational) as Winlogbeat JSON: process creation (1),
network connection (3), file creation (11), DNS query (22), with Sysmon's own field names."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from garde.simulate.emitters.winlog import SYSMON, emit, guid
from garde.simulate.org import NETBIOS
from garde.simulate.sources import Sink
from garde.simulate.timefmt import sysmon_utc


def process(
    sink: Sink,
    ms: int,
    fqdn: str,
    user: str,
    image: str,
    command_line: str,
    parent_image: str,
    pid: int,
    parent_command_line: str = "",
    integrity: str = "Medium",
    cwd: str = "C:\\Windows\\system32\\",
) -> str:
    name = image.rsplit("\\", 1)[-1]
    return emit(
        sink,
        ms,
        fqdn,
        SYSMON,
        1,
        {
            "RuleName": "-",
            "UtcTime": sysmon_utc(ms),
            "ProcessGuid": guid(pid * 7919 + ms % 100000),
            "ProcessId": str(pid),
            "Image": image,
            "FileVersion": "-",
            "Description": "-",
            "Product": "-",
            "Company": "-",
            "OriginalFileName": name.upper() if name.lower() in ("psexesvc.exe",) else name,
            "CommandLine": command_line,
            "CurrentDirectory": cwd,
            "User": f"{NETBIOS}\\{user}" if "\\" not in user else user,
            "LogonGuid": guid(pid),
            "LogonId": f"0x{(pid * 31) & 0xFFFFFF:x}",
            "TerminalSessionId": "1",
            "IntegrityLevel": integrity,
            "Hashes": f"SHA256={image_hash(image)}",
            "ParentProcessGuid": guid(pid - 4),
            "ParentProcessId": str(max(4, pid - 4 - pid % 97)),
            "ParentImage": parent_image,
            "ParentCommandLine": parent_command_line or f'"{parent_image}"',
            "ParentUser": f"{NETBIOS}\\{user}" if "\\" not in user else user,
        },
        us=pid % 1000,
    )


def netconn(
    sink: Sink,
    ms: int,
    fqdn: str,
    user: str,
    image: str,
    src_ip: str,
    dst_ip: str,
    dst_port: int,
    dst_host: str = "",
    pid: int = 4000,
) -> str:
    return emit(
        sink,
        ms,
        fqdn,
        SYSMON,
        3,
        {
            "RuleName": "-",
            "UtcTime": sysmon_utc(ms),
            "ProcessGuid": guid(pid * 7919),
            "ProcessId": str(pid),
            "Image": image,
            "User": f"{NETBIOS}\\{user}",
            "Protocol": "tcp",
            "Initiated": "true",
            "SourceIsIpv6": "false",
            "SourceIp": src_ip,
            "SourceHostname": fqdn,
            "SourcePort": str(49152 + ms % 16000),
            "DestinationIsIpv6": "false",
            "DestinationIp": dst_ip,
            "DestinationHostname": dst_host or "-",
            "DestinationPort": str(dst_port),
        },
    )


def file_created(sink: Sink, ms: int, fqdn: str, user: str, image: str, target: str, pid: int = 4000) -> str:
    return emit(
        sink,
        ms,
        fqdn,
        SYSMON,
        11,
        {
            "RuleName": "-",
            "UtcTime": sysmon_utc(ms),
            "ProcessGuid": guid(pid * 7919),
            "ProcessId": str(pid),
            "Image": image,
            "TargetFilename": target,
            "CreationUtcTime": sysmon_utc(ms),
            "User": f"{NETBIOS}\\{user}",
        },
    )


def dns_query(sink: Sink, ms: int, fqdn: str, user: str, image: str, query: str, answer: str, pid: int = 4000) -> str:
    return emit(
        sink,
        ms,
        fqdn,
        SYSMON,
        22,
        {
            "RuleName": "-",
            "UtcTime": sysmon_utc(ms),
            "ProcessGuid": guid(pid * 7919),
            "ProcessId": str(pid),
            "QueryName": query,
            "QueryStatus": "0",
            "QueryResults": f"::ffff:{answer};",
            "Image": image,
            "User": f"{NETBIOS}\\{user}",
        },
    )


@lru_cache(maxsize=4096)
def image_hash(image: str) -> str:
    """A stable SHA-256-shaped value per executable path (the simulated binary's hash)."""
    return hashlib.sha256(image.encode()).hexdigest().upper()
