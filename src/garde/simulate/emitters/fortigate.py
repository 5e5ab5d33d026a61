"""Perimeter firewall and SSL-VPN logs in FortiGate's key=value form, carried in RFC 5424."""

from __future__ import annotations

from garde.simulate.emitters.syslog5424 import line
from garde.simulate.sources import Sink
from garde.simulate.timefmt import date_time_kv

DEVNAME = "FGT-CHU-DEMO"
_VPN_MSG = {"tunnel-up": "established", "tunnel-down": "shutdown", "ssl-login-fail": "login failed"}
DEVID = "FG100FTK2290DEMO"
_HOST = "fgt-chu-demo.chu-demo.local"


def _head(ms: int, offset_s: int, logid: str, type_: str, subtype: str, level: str) -> str:
    d, t = date_time_kv(ms, offset_s)
    return (
        f'date={d} time={t} devname="{DEVNAME}" devid="{DEVID}" eventtime={ms}000000 tz="+0{offset_s // 3600}00" '
        f'logid="{logid}" type="{type_}" subtype="{subtype}" level="{level}" vd="root"'
    )


def traffic(
    sink: Sink,
    ms: int,
    offset_s: int,
    src: str,
    sport: int,
    dst: str,
    dport: int,
    action: str,
    service: str,
    sent: int,
    rcvd: int,
    policy: int,
    src_country: str = "Reserved",
    dst_country: str = "Reserved",
    srcintf: str = "internal",
    dstintf: str = "wan1",
    app: str = "",
    user: str = "",
    duration: int = 1,
) -> str:
    sim_id = sink.new_id()
    pri = 189 if action in ("accept", "close", "timeout") else 188
    msg = (
        f"{_head(ms, offset_s, '0000000013', 'traffic', 'forward', 'notice' if action != 'deny' else 'warning')} "
        f'srcip={src} srcport={sport} srcintf="{srcintf}" srcintfrole="{"wan" if srcintf == "wan1" else "lan"}" '
        f'dstip={dst} dstport={dport} dstintf="{dstintf}" dstintfrole="{"wan" if dstintf == "wan1" else "lan"}" '
        f'srccountry="{src_country}" dstcountry="{dst_country}" sessionid={ms % 99999991} proto=6 action="{action}" '
        f'policyid={policy} policytype="policy" service="{service}" '
        f'trandisp="{"snat" if dstintf == "wan1" else "noop"}" '
        f"duration={duration} sentbyte={sent} rcvdbyte={rcvd} sentpkt={sent // 1200 + 1} rcvdpkt={rcvd // 1200 + 1}"
        + (f' app="{app}"' if app else "")
        + (f' user="{user}"' if user else "")
    )
    sink.add(ms, line(ms, pri, _HOST, "fortigate", "traffic", sim_id, msg))
    return sim_id


def anomaly(
    sink: Sink, ms: int, offset_s: int, src: str, dst: str, dport: int, attack: str, count: int, src_country: str
) -> str:
    sim_id = sink.new_id()
    msg = (
        f'{_head(ms, offset_s, "0720018432", "anomaly", "anomaly", "alert")} severity="critical" srcip={src} '
        f'srccountry="{src_country}" dstip={dst} srcintf="wan1" dstintf="internal" sessionid=0 action="clear_session" '
        f'proto=6 service="HTTPS" count={count} attack="{attack}" srcport={1024 + ms % 60000} dstport={dport} '
        f'attackid=100663402 policyid=3 policytype="DoS-policy" msg="anomaly: {attack}, {count} > threshold 2000" '
        'crscore=50 craction=4096 crlevel="critical"'
    )
    sink.add(ms, line(ms, 185, _HOST, "fortigate", "anomaly", sim_id, msg))
    return sim_id


def vpn(
    sink: Sink,
    ms: int,
    offset_s: int,
    action: str,
    user: str,
    remip: str,
    country: str,
    tunnelip: str,
    reason: str = "",
    sent: int = 0,
    rcvd: int = 0,
    duration: int = 0,
) -> str:
    """SSL-VPN events: ``ssl-login-fail``, ``tunnel-up``, ``tunnel-down``."""
    sim_id = sink.new_id()
    logid = {"tunnel-up": "0101039947", "tunnel-down": "0101039948", "ssl-login-fail": "0101039426"}[action]
    level = "warning" if action == "ssl-login-fail" else "information"
    msg = (
        f'{_head(ms, offset_s, logid, "event", "vpn", level)} logdesc="SSL VPN {action}" action="{action}" '
        f'tunneltype="ssl-tunnel" tunnelid={ms % 999983} remip={remip} srccountry="{country}" '
        f'tunnelip={tunnelip or "(null)"} user="{user}" group="GRP-VPN" dst_host="N/A" '
        f'reason="{reason or ("login successfully" if action == "tunnel-up" else "N/A")}"'
        + (f" sentbyte={sent} rcvdbyte={rcvd} duration={duration}" if action == "tunnel-down" else "")
        + f' msg="SSL tunnel {_VPN_MSG[action]}"'
    )
    sink.add(ms, line(ms, 190 if level == "information" else 188, _HOST, "fortigate", "vpn", sim_id, msg))
    return sim_id
