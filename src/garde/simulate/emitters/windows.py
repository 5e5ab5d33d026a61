"""The Windows events the simulator uses, with the event_data fields Windows really writes."""

from __future__ import annotations

from garde.simulate.emitters.winlog import SECURITY, SYSTEM, emit, guid
from garde.simulate.org import NETBIOS
from garde.simulate.sources import Sink

_ADMIN_PRIVILEGES = "\n\t\t\t".join(
    (
        "SeSecurityPrivilege",
        "SeBackupPrivilege",
        "SeRestorePrivilege",
        "SeTakeOwnershipPrivilege",
        "SeDebugPrivilege",
        "SeSystemEnvironmentPrivilege",
        "SeLoadDriverPrivilege",
        "SeImpersonatePrivilege",
    )
)
_LOGON_PROCESS = {
    2: ("User32 ", "Negotiate"),
    3: ("Kerberos", "Kerberos"),
    7: ("User32 ", "Negotiate"),
    10: ("User32 ", "Negotiate"),
    5: ("Advapi  ", "Negotiate"),
    11: ("User32 ", "Negotiate"),
}


def logon(
    sink: Sink,
    ms: int,
    fqdn: str,
    user: str,
    sid: str,
    logon_type: int,
    ip: str,
    logon_id: int,
    workstation: str = "-",
    auth: str | None = None,
) -> str:
    process, package = _LOGON_PROCESS.get(logon_type, ("Kerberos", "Kerberos"))
    if auth:
        package = process = auth
    return emit(
        sink,
        ms,
        fqdn,
        SECURITY,
        4624,
        {
            "SubjectUserSid": "S-1-5-18" if logon_type != 3 else "S-1-0-0",
            "SubjectUserName": fqdn.split(".")[0].upper() + "$" if logon_type != 3 else "-",
            "SubjectDomainName": NETBIOS if logon_type != 3 else "-",
            "SubjectLogonId": "0x3e7" if logon_type != 3 else "0x0",
            "TargetUserSid": sid,
            "TargetUserName": user,
            "TargetDomainName": NETBIOS,
            "TargetLogonId": f"0x{logon_id:x}",
            "LogonType": str(logon_type),
            "LogonProcessName": process,
            "AuthenticationPackageName": package,
            "WorkstationName": workstation,
            "LogonGuid": guid(logon_id),
            "TransmittedServices": "-",
            "LmPackageName": "NTLM V2" if package == "NTLM" else "-",
            "KeyLength": "0",
            "ProcessId": "0x2cc" if logon_type != 3 else "0x0",
            "ProcessName": r"C:\Windows\System32\svchost.exe" if logon_type in (2, 7, 11) else "-",
            "IpAddress": ip or "-",
            "IpPort": "0" if logon_type != 3 else str(49152 + logon_id % 16000),
            "ImpersonationLevel": "%%1833",
            "VirtualAccount": "%%1843",
            "ElevatedToken": "%%1842" if logon_type == 3 else "%%1843",
        },
    )


def logon_failed(
    sink: Sink,
    ms: int,
    fqdn: str,
    user: str,
    logon_type: int,
    ip: str,
    sub_status: str = "0xC000006A",
    workstation: str = "-",
    package: str = "NTLM",
) -> str:
    status = "0xC000006D" if sub_status in ("0xC000006A", "0xC0000064") else sub_status
    return emit(
        sink,
        ms,
        fqdn,
        SECURITY,
        4625,
        {
            "SubjectUserSid": "S-1-0-0",
            "SubjectUserName": "-",
            "SubjectDomainName": "-",
            "SubjectLogonId": "0x0",
            "TargetUserSid": "S-1-0-0",
            "TargetUserName": user,
            "TargetDomainName": NETBIOS,
            "Status": status,
            "FailureReason": "%%2313",
            "SubStatus": sub_status,
            "LogonType": str(logon_type),
            "LogonProcessName": "NtLmSsp " if package == "NTLM" else "User32 ",
            "AuthenticationPackageName": package,
            "WorkstationName": workstation,
            "TransmittedServices": "-",
            "LmPackageName": "-",
            "KeyLength": "0",
            "ProcessId": "0x0",
            "ProcessName": "-",
            "IpAddress": ip,
            "IpPort": "0",
        },
    )


def logoff(
    sink: Sink, ms: int, fqdn: str, user: str, sid: str, logon_type: int, logon_id: int, initiated: bool = False
) -> str:
    data = {
        "TargetUserSid": sid,
        "TargetUserName": user,
        "TargetDomainName": NETBIOS,
        "TargetLogonId": f"0x{logon_id:x}",
    }
    if initiated:
        return emit(sink, ms, fqdn, SECURITY, 4647, data)
    data["LogonType"] = str(logon_type)
    return emit(sink, ms, fqdn, SECURITY, 4634, data)


def lock(sink: Sink, ms: int, fqdn: str, user: str, sid: str, logon_id: int, unlock: bool) -> str:
    return emit(
        sink,
        ms,
        fqdn,
        SECURITY,
        4801 if unlock else 4800,
        {
            "TargetUserSid": sid,
            "TargetUserName": user,
            "TargetDomainName": NETBIOS,
            "TargetLogonId": f"0x{logon_id:x}",
            "SessionId": "1",
        },
    )


def special_privileges(sink: Sink, ms: int, fqdn: str, user: str, sid: str, logon_id: int) -> str:
    return emit(
        sink,
        ms,
        fqdn,
        SECURITY,
        4672,
        {
            "SubjectUserSid": sid,
            "SubjectUserName": user,
            "SubjectDomainName": NETBIOS,
            "SubjectLogonId": f"0x{logon_id:x}",
            "PrivilegeList": _ADMIN_PRIVILEGES,
        },
    )


def tgt(sink: Sink, ms: int, dc_fqdn: str, user: str, sid: str, ip: str, status: str = "0x0") -> str:
    return emit(
        sink,
        ms,
        dc_fqdn,
        SECURITY,
        4768,
        {
            "TargetUserName": user,
            "TargetDomainName": NETBIOS,
            "TargetSid": sid,
            "ServiceName": "krbtgt",
            "ServiceSid": f"{sid.rsplit('-', 1)[0]}-502",
            "TicketOptions": "0x40810010",
            "Status": status,
            "TicketEncryptionType": "0x12",
            "PreAuthType": "2",
            "IpAddress": f"::ffff:{ip}",
            "IpPort": "0",
            "CertIssuerName": "",
            "CertSerialNumber": "",
            "CertThumbprint": "",
        },
    )


def service_ticket(sink: Sink, ms: int, dc_fqdn: str, user: str, service: str, ip: str) -> str:
    return emit(
        sink,
        ms,
        dc_fqdn,
        SECURITY,
        4769,
        {
            "TargetUserName": f"{user}@{NETBIOS}.LOCAL",
            "TargetDomainName": f"{NETBIOS}.LOCAL",
            "ServiceName": service,
            "ServiceSid": "S-1-5-21-0-0-0-0",
            "TicketOptions": "0x40810000",
            "TicketEncryptionType": "0x12",
            "IpAddress": f"::ffff:{ip}",
            "IpPort": "0",
            "Status": "0x0",
            "LogonGuid": guid(ms & 0xFFFFFF),
            "TransmittedServices": "-",
        },
    )


def ntlm_validate(sink: Sink, ms: int, dc_fqdn: str, user: str, workstation: str, status: str = "0x0") -> str:
    return emit(
        sink,
        ms,
        dc_fqdn,
        SECURITY,
        4776,
        {
            "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
            "TargetUserName": user,
            "Workstation": workstation,
            "Status": status,
        },
    )


def account_event(
    sink: Sink, ms: int, dc_fqdn: str, event_id: int, admin: str, admin_sid: str, target: str, target_sid: str
) -> str:
    return emit(
        sink,
        ms,
        dc_fqdn,
        SECURITY,
        event_id,
        {
            "TargetUserName": target,
            "TargetDomainName": NETBIOS,
            "TargetSid": target_sid,
            "SubjectUserSid": admin_sid,
            "SubjectUserName": admin,
            "SubjectDomainName": NETBIOS,
            "SubjectLogonId": "0x5a3c1f",
        },
    )


def lockout(sink: Sink, ms: int, dc_fqdn: str, target: str, target_sid: str, caller: str) -> str:
    return emit(
        sink,
        ms,
        dc_fqdn,
        SECURITY,
        4740,
        {
            "TargetUserName": target,
            "TargetDomainName": caller,
            "TargetSid": target_sid,
            "SubjectUserSid": "S-1-5-18",
            "SubjectUserName": dc_fqdn.split(".")[0].upper() + "$",
            "SubjectDomainName": NETBIOS,
            "SubjectLogonId": "0x3e7",
        },
    )


def service_installed(sink: Sink, ms: int, fqdn: str, name: str, image: str, account: str = "LocalSystem") -> str:
    return emit(
        sink,
        ms,
        fqdn,
        SYSTEM,
        7045,
        {
            "ServiceName": name,
            "ImagePath": image,
            "ServiceType": "user mode service",
            "StartType": "demand start",
            "AccountName": account,
        },
    )


def service_state(sink: Sink, ms: int, fqdn: str, display_name: str, state: str) -> str:
    """7036: ``The <display_name> service entered the <state> state.`` (state: running, stopped)."""
    key = display_name.replace(" ", "")[:24]
    binary = key.encode("utf-16-le").hex().upper() + "0000"
    return emit(sink, ms, fqdn, SYSTEM, 7036, {"param1": display_name, "param2": state, "Binary": binary})
