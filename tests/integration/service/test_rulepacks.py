"""Rule packs: download from a local HTTP server on 127.0.0.1 (never any other address),
checksum, size cap, redirect and scheme policy, offline install."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from garde.service.rulepacks import DownloadError, RulePackService

RULE = b"""title: Test
id: 12345678-0000-0000-0000-000000000001
status: test
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
"""


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, data in members.items():
            pack.writestr(name, data)
    return buffer.getvalue()


PACK = make_zip({"rules/windows/a.yml": RULE, "rules/windows/b.yml": RULE.replace(b"0001", b"0002"), "README": b"x"})
FILES: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "/sigma_core.zip": (200, PACK, {}),
    "/sigma_core.zip.sha256": (200, f"{hashlib.sha256(PACK).hexdigest()}  sigma_core.zip\n".encode(), {}),
    "/nosum.zip": (200, PACK, {}),
    "/notzip.zip": (200, b"not a zip at all", {}),
    "/notzip.zip.sha256": (200, hashlib.sha256(b"not a zip at all").hexdigest().encode(), {}),
    "/big.zip": (200, b"x" * 5000, {}),
    "/moved.zip": (302, b"", {"Location": "/sigma_core.zip"}),
    "/elsewhere.zip": (302, b"", {"Location": "https://localhost:1/sigma_core.zip"}),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body, headers = FILES.get(self.path, (404, b"", {}))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def service(tmp_path: Path, **kw: object) -> RulePackService:
    return RulePackService(tmp_path / "rules", allow_loopback_http=True, timeout=5, **kw)  # type: ignore[arg-type]


def test_update_with_the_checksum_file_beside(server: str, tmp_path: Path) -> None:
    packs = service(tmp_path)
    pack = packs.update(f"{server}/sigma_core.zip")
    assert pack.name == "sigma_core"
    assert pack.rules == 2
    assert pack.sha256 == hashlib.sha256(PACK).hexdigest()
    assert Path(pack.path).read_bytes() == PACK
    assert packs.installed() == [pack]
    assert packs.paths() == [Path(pack.path)]
    assert [p.name for p in (tmp_path / "rules").iterdir() if p.name.startswith(".")] == []


def test_update_with_a_given_checksum_and_a_same_host_redirect(server: str, tmp_path: Path) -> None:
    pack = service(tmp_path).update(f"{server}/moved.zip", sha256=hashlib.sha256(PACK).hexdigest().upper())
    assert pack.name == "moved"
    assert pack.rules == 2


@pytest.mark.parametrize(
    ("path", "sha", "message"),
    [
        ("/sigma_core.zip", "0" * 64, "SHA-256 mismatch"),
        ("/nosum.zip", None, "no checksum"),
        ("/sigma_core.zip", "abc", "not a SHA-256"),
        ("/notzip.zip", None, "not a usable zip"),
        ("/elsewhere.zip", "0" * 64, "redirects to another host"),
        ("/missing.zip", "0" * 64, "HTTP 404"),
    ],
)
def test_update_refusals_install_nothing(server: str, tmp_path: Path, path: str, sha: str | None, message: str) -> None:
    packs = service(tmp_path)
    with pytest.raises(DownloadError, match=message):
        packs.update(server + path, sha)
    assert packs.installed() == []
    assert not any((tmp_path / "rules").glob("*.zip"))


def test_size_cap(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="cap"):
        service(tmp_path, max_bytes=1000).update(f"{server}/big.zip", "0" * 64)


def test_plain_http_needs_loopback_and_the_setting(server: str, tmp_path: Path) -> None:
    strict = RulePackService(tmp_path / "rules")
    with pytest.raises(DownloadError, match="not https"):
        strict.update(f"{server}/sigma_core.zip")
    with pytest.raises(DownloadError, match="not https"):
        service(tmp_path).update("http://localhost:1/sigma_core.zip", "0" * 64)  # refused before any connection
    with pytest.raises(DownloadError, match="https only"):
        service(tmp_path).update("ftp://127.0.0.1/x.zip", "0" * 64)


def test_offline_install(tmp_path: Path) -> None:
    source = tmp_path / "my pack!.zip"
    source.write_bytes(PACK)
    packs = service(tmp_path)
    pack = packs.install(source, sha256=hashlib.sha256(PACK).hexdigest())
    assert pack.name == "my_pack"
    assert pack.rules == 2
    with pytest.raises(DownloadError, match="mismatch"):
        packs.install(source, sha256="f" * 64)
    empty = tmp_path / "empty.zip"
    empty.write_bytes(make_zip({"README.md": b"no rules"}))
    with pytest.raises(DownloadError, match="no Sigma rule"):
        packs.install(empty)
    assert [p.name for p in packs.installed()] == ["my_pack"]
