"""Web proxy access logs as ArcSight CEF, carried in RFC 5424; the sim id is also ``externalId``."""

from __future__ import annotations

from garde.simulate.emitters.syslog5424 import line
from garde.simulate.sources import Sink
from garde.simulate.timefmt import cef_time

_HOST = "srv-proxy01.chu-demo.local"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("=", "\\=")


def proxy(
    sink: Sink,
    ms: int,
    user: str,
    src: str,
    method: str,
    url: str,
    domain: str,
    status: int,
    dst: str,
    out_bytes: int,
    in_bytes: int,
    category: str,
    action: str = "allowed",
    agent: str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
) -> str:
    sim_id = sink.new_id()
    severity = 3 if action == "allowed" else 6
    port = 443 if url.startswith("https") else 80
    ext = (
        f"rt={cef_time(ms)} externalId={sim_id} src={src} suser={user} dhost={domain} dst={dst} dpt={port} "
        f"requestMethod={method} request={_esc(url)} outcome={status} act={action} in={in_bytes} out={out_bytes} "
        f"cat={_esc(category)} requestClientApplication={_esc(agent)} "
        f"cs5Label=dataset cs5=demo cs6Label=garde_sim_id cs6={sim_id}"
    )
    signature = "http-access" if action == "allowed" else "http-blocked"
    msg = f"CEF:0|GardeSim|SecureWebProxy|4.2|{signature}|HTTP request {action}|{severity}|{ext}"
    sink.add(ms, line(ms, 134, _HOST, "webproxy", "CEF", sim_id, msg))
    return sim_id
