"""Log-source routing: which rows of a batch a rule's ``logsource`` can match.

A route is a list of clauses (OR); a clause maps a selector to accepted values (AND across
selectors). Selectors are ``channel``, ``event_id`` and ``provider`` (read from the Winlogbeat
fields in ``original``) or a column of the event schema. Values compare lower-cased; ``*``
accepts any present value, ``x*`` a prefix.

Windows: services name an event-log channel, categories name Sysmon event ids (with the
Security/PowerShell equivalents). Other products route on ``event.module`` / ``event.dataset``,
which Garde's parsers fill (``event.module`` = product or service, ``event.dataset`` =
``module.stream``).
"""

from __future__ import annotations

from garde.detect.sigma.ir import LogSource

Clause = dict[str, list[str]]
Route = list[Clause]

SYSMON = "microsoft-windows-sysmon/operational"
PS_OPERATIONAL = "microsoft-windows-powershell/operational"
PS_CLASSIC = "windows powershell"

WINDOWS_SERVICES: dict[str, list[str]] = {
    "security": ["security"],
    "system": ["system"],
    "application": ["application"],
    "sysmon": [SYSMON],
    "powershell": [PS_OPERATIONAL],
    "powershell-classic": [PS_CLASSIC],
    "taskscheduler": ["microsoft-windows-taskscheduler/operational"],
    "wmi": ["microsoft-windows-wmi-activity/operational"],
    "dns-server": ["dns server"],
    "dns-server-analytic": ["microsoft-windows-dns-server/analytical"],
    "dns-client": [
        "microsoft-windows-dns client events/operational",
        "microsoft-windows-dns-client/operational",
    ],
    "driver-framework": ["microsoft-windows-driverframeworks-usermode/operational"],
    "ntlm": ["microsoft-windows-ntlm/operational"],
    "windefend": ["microsoft-windows-windows defender/operational"],
    "firewall-as": ["microsoft-windows-windows firewall with advanced security/firewall"],
    "bits-client": ["microsoft-windows-bits-client/operational"],
    "codeintegrity-operational": ["microsoft-windows-codeintegrity/operational"],
    "msexchange-management": ["msexchange management"],
    "printservice-admin": ["microsoft-windows-printservice/admin"],
    "printservice-operational": ["microsoft-windows-printservice/operational"],
    "smbclient-security": ["microsoft-windows-smbclient/security"],
    "smbclient-connectivity": ["microsoft-windows-smbclient/connectivity"],
    "smbserver-connectivity": ["microsoft-windows-smbserver/connectivity"],
    "applocker": [
        "microsoft-windows-applocker/msi and script",
        "microsoft-windows-applocker/exe and dll",
        "microsoft-windows-applocker/packaged app-deployment",
        "microsoft-windows-applocker/packaged app-execution",
    ],
    "security-mitigations": ["microsoft-windows-security-mitigations*"],
    "terminalservices-localsessionmanager": ["microsoft-windows-terminalservices-localsessionmanager/operational"],
    "openssh": ["openssh/operational"],
    "ldap": ["microsoft-windows-ldap-client/debug"],
    "ldap_debug": ["microsoft-windows-ldap-client/debug"],
    "appxdeployment-server": ["microsoft-windows-appxdeploymentserver/operational"],
    "appxpackaging-om": ["microsoft-windows-appxpackaging/operational"],
    "appmodel-runtime": ["microsoft-windows-appmodel-runtime/admin"],
    "lsa-server": ["microsoft-windows-lsa/operational"],
    "capi2": ["microsoft-windows-capi2/operational"],
    "certificateservicesclient-lifecycle-system": [
        "microsoft-windows-certificateservicesclient-lifecycle-system/operational"
    ],
    "diagnosis-scripted": ["microsoft-windows-diagnosis-scripted/operational"],
    "shell-core": ["microsoft-windows-shell-core/operational"],
    "iis-configuration": ["microsoft-iis-configuration/operational"],
    "microsoft-servicebus-client": ["microsoft-servicebus-client"],
    "bitlocker": ["microsoft-windows-bitlocker/bitlocker management"],
    "vhdmp": ["microsoft-windows-vhdmp/operational"],
    "hyper-v-worker": ["microsoft-windows-hyper-v-worker"],
    "kernel-shimengine": ["microsoft-windows-kernel-shimengine/operational"],
    "sysmon-operational": [SYSMON],
}

# Sysmon event ids per category; extra clauses for the native equivalents.
SYSMON_CATEGORIES: dict[str, list[str]] = {
    "process_creation": ["1"],
    "file_change": ["2"],
    "network_connection": ["3"],
    "sysmon_status": ["4", "16"],
    "process_termination": ["5"],
    "driver_load": ["6"],
    "image_load": ["7"],
    "create_remote_thread": ["8"],
    "raw_access_thread": ["9"],
    "process_access": ["10"],
    "file_event": ["11"],
    "registry_add": ["12"],
    "registry_delete": ["12"],
    "registry_set": ["13"],
    "registry_rename": ["14"],
    "registry_event": ["12", "13", "14"],
    "create_stream_hash": ["15"],
    "pipe_created": ["17", "18"],
    "wmi_event": ["19", "20", "21"],
    "dns_query": ["22"],
    "file_delete": ["23", "26"],
    "clipboard_capture": ["24"],
    "process_tampering": ["25"],
    "file_delete_detected": ["26"],
    "file_block_executable": ["27"],
    "file_block_shredding": ["28"],
    "file_executable_detected": ["29"],
    "sysmon_error": ["255"],
}

WINDOWS_CATEGORY_EXTRA: dict[str, Route] = {
    "process_creation": [{"channel": ["security"], "event_id": ["4688"]}],
    "ps_module": [{"channel": [PS_OPERATIONAL], "event_id": ["4103"]}],
    "ps_script": [{"channel": [PS_OPERATIONAL], "event_id": ["4104"]}],
    "ps_classic_start": [{"channel": [PS_CLASSIC], "event_id": ["400"]}],
    "ps_classic_provider_start": [{"channel": [PS_CLASSIC], "event_id": ["600"]}],
    "ps_classic_script": [{"channel": [PS_CLASSIC], "event_id": ["800"]}],
    "antivirus": [{"channel": ["microsoft-windows-windows defender/operational"]}],
    "dns_query": [{"channel": ["microsoft-windows-dns-client/operational"], "event_id": ["3008"]}],
}

# Non-Windows categories: the ECS categories and datasets Garde's parsers give such sources.
OTHER_CATEGORIES: dict[str, Route] = {
    "proxy": [
        {"event.dataset": ["proxy*", "*.proxy"]},
        {"event.category": ["web"], "event.module": ["proxy*"]},
        {"event.module": ["cef"], "event.dataset": ["*proxy"]},  # CEF: cef.<vendor>_<product>
    ],
    "webserver": [{"event.dataset": ["webserver*", "apache*", "nginx*", "iis*"]}],
    "firewall": [
        {"event.category": ["network"], "event.dataset": ["firewall*", "*.firewall", "*.traffic"]},
        {"event.module": ["fortinet"], "event.dataset": ["fortigate.traffic"]},  # kv parser: no event.category
    ],
    "dns": [{"event.dataset": ["dns*", "*.dns"]}],
    "antivirus": [{"event.dataset": ["antivirus*", "*.antivirus"]}],
    "database": [{"event.dataset": ["database*", "*.database"]}],
    "application": [{"event.category": ["application"]}],
}


# Products whose logs Garde's generic parsers keep under a generic module: also route there
# (the rule's detection names the product's own fields, which other sources do not have).
PRODUCT_EXTRA: dict[str, Route] = {
    "veeam": [{"event.module": ["kv"], "event.dataset": ["kv"]}],  # Veeam job-session syslog, key=value
}


class UnsupportedLogSource(ValueError):
    """No routing known for this log source: the rule would never see an event."""


def route_key(ls: LogSource) -> str:
    return "/".join(part or "" for part in (ls.product, ls.category, ls.service))


def route_for(ls: LogSource) -> Route:
    """The route of a log source; raises UnsupportedLogSource when none is known."""
    product = (ls.product or "").lower()
    category = (ls.category or "").lower()
    service = (ls.service or "").lower()
    if product == "windows":
        return _windows_route(category, service)
    if category and category in OTHER_CATEGORIES and not service:
        known = list(OTHER_CATEGORIES[category])
        if product:
            known.append({"event.module": [product], "event.category": [category]})
        return known
    if not product and service:  # e.g. service: apache, nginx: the service names the source
        return [{"event.module": [service]}, {"event.dataset": [f"{service}*"]}]
    if not product:
        raise UnsupportedLogSource(f"unsupported log source: {route_key(ls)} (no product)")
    clause: Clause = {"event.module": [product, *([service] if service else [])]}
    extra = [] if service or category else PRODUCT_EXTRA.get(product, [])
    route: Route = [clause, *({k: list(v) for k, v in c.items()} for c in extra)]
    if service:
        route = [
            {"event.module": [product], "event.dataset": [f"{product}.{service}*", f"{service}*"]},
            {"event.module": [service]},
        ]
    if category:
        for c in route:
            c["event.category"] = [category]
    return route


def _windows_route(category: str, service: str) -> Route:
    if category:
        route: Route = []
        if category in SYSMON_CATEGORIES:
            route.append({"channel": [SYSMON], "event_id": SYSMON_CATEGORIES[category]})
        route.extend(WINDOWS_CATEGORY_EXTRA.get(category, []))
        if not route:
            raise UnsupportedLogSource(f"unsupported log source: windows category {category}")
        return route
    if service:
        if service not in WINDOWS_SERVICES:
            raise UnsupportedLogSource(f"unsupported log source: windows service {service}")
        return [{"channel": WINDOWS_SERVICES[service]}]
    return [{"channel": ["*"]}]


def selectors(route: Route) -> set[str]:
    return {name for clause in route for name in clause}
