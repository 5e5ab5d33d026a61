"""DHCP server (ISC dhcpd) and Wi-Fi controller (Aruba-style) messages, in RFC 5424."""

from __future__ import annotations

from garde.simulate.emitters.syslog5424 import line
from garde.simulate.sources import Sink

_DHCP_HOST = "srv-dhcp01.chu-demo.local"
_WLC_HOST = "wlc-01.chu-demo.local"


def dhcp_ack(sink: Sink, ms: int, ip: str, mac: str, hostname: str, relay: str) -> list[str]:
    """The DISCOVER/OFFER/REQUEST/ACK exchange, one line each."""
    ids = []
    for step, text in enumerate(
        (
            f"DHCPDISCOVER from {mac} ({hostname}) via {relay}",
            f"DHCPOFFER on {ip} to {mac} ({hostname}) via {relay}",
            f"DHCPREQUEST for {ip} (10.10.0.5) from {mac} ({hostname}) via {relay}",
            f"DHCPACK on {ip} to {mac} ({hostname}) via {relay}",
        )
    ):
        sim_id = sink.new_id()
        sink.add(ms + step * 3, line(ms + step * 3, 30, _DHCP_HOST, "dhcpd", "-", sim_id, text, procid="1187"))
        ids.append(sim_id)
    return ids


def dhcp_renew(sink: Sink, ms: int, ip: str, mac: str, hostname: str, relay: str) -> list[str]:
    ids = []
    for step, text in enumerate(
        (
            f"DHCPREQUEST for {ip} from {mac} ({hostname}) via {relay}",
            f"DHCPACK on {ip} to {mac} ({hostname}) via {relay}",
        )
    ):
        sim_id = sink.new_id()
        sink.add(ms + step * 2, line(ms + step * 2, 30, _DHCP_HOST, "dhcpd", "-", sim_id, text, procid="1187"))
        ids.append(sim_id)
    return ids


def wifi(sink: Sink, ms: int, code: str, text: str) -> str:
    """One controller message; ``code`` is the Aruba message id, e.g. ``522008``."""
    sim_id = sink.new_id()
    proc = "authmgr" if code.startswith("522") else "stm" if code.startswith("501") else "wms"
    level = "WARN" if code in ("522275", "126005", "126006") else "NOTI"
    sink.add(
        ms,
        line(
            ms,
            134 if level == "NOTI" else 132,
            _WLC_HOST,
            proc,
            code,
            sim_id,
            f"<{code}> <{level}> |{proc}| {text}",
            procid=str(3000 + int(code) % 1000),
        ),
    )
    return sim_id


def wifi_auth(sink: Sink, ms: int, user: str, mac: str, ip: str, ssid: str, ap: str, role: str, vlan: int) -> list[str]:
    return [
        wifi(sink, ms, "501095", f"Assoc request @ {ms % 100000:05d}: {mac} (SN 0): AP {ap} SSID {ssid}"),
        wifi(
            sink,
            ms + 40,
            "522008",
            f"User Authentication Successful: username={user} MAC={mac} IP={ip} role={role} VLAN={vlan} "
            f"AP={ap} SSID={ssid} auth method=802.1x auth server=NPS-CHU-DEMO",
        ),
    ]


def wifi_disassoc(sink: Sink, ms: int, mac: str, ap: str) -> str:
    return wifi(sink, ms, "501106", f"Deauth to sta: {mac}: Ageout AP {ap} Reason STA has left and is disassociated")
