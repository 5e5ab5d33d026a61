"""Email gateway message-tracking records (key=value), carried in RFC 5424."""

from __future__ import annotations

from garde.simulate.emitters.syslog5424 import line
from garde.simulate.sources import Sink

_HOST = "mailgw-01.chu-demo.local"


def message(
    sink: Sink,
    ms: int,
    msg_id: str,
    sender: str,
    recipient: str,
    subject: str,
    direction: str,
    verdict: str,
    src_ip: str,
    size: int,
    attachment: str = "",
    url: str = "",
    spam_score: int = 0,
) -> str:
    """``verdict``: delivered, quarantined, rejected; ``direction``: inbound, outbound, internal."""
    sim_id = sink.new_id()
    subject = subject.replace('"', "'")
    msg = (
        f'msgid="{msg_id}" direction={direction} from="{sender}" to="{recipient}" subject="{subject}" '
        f"src_ip={src_ip} size={size} verdict={verdict} spam_score={spam_score} "
        f'attachment="{attachment}" url="{url}" '
        f"spf={'pass' if spam_score < 50 else 'softfail'} dkim={'pass' if spam_score < 50 else 'none'}"
    )
    sink.add(
        ms, line(ms, 22 if verdict == "delivered" else 20, _HOST, "mailgw", "msgtrack", sim_id, msg, procid="2210")
    )
    return sim_id
