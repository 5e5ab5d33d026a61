"""Rule packs: download from a local HTTP server on 127.0.0.1 (never any other address),
checksum, size cap, redirect and scheme policy, offline install."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from garde.detect.sigma.packs import MAX_MEMBERS
from garde.detect.sigma.rulefile import MAX_RULE_FILE_BYTES
from garde.service.rulepacks import DownloadError, RulePackService
from zip_crafting import make_zip, repeat_central_entry

RULE = b"""title: Test
id: 12345678-0000-0000-0000-000000000001
status: test
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
level: low
"""


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


# -- hostile packs: refused from the central directory, before anything is decompressed ------


def install_bytes(tmp_path: Path, data: bytes) -> tuple[RulePackService, Path]:
    source = tmp_path / "pack.zip"
    source.write_bytes(data)
    return service(tmp_path), source


def incompressible(size: int) -> bytes:
    return random.Random(0).randbytes(size // 2 + 1).hex().encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_zip({"a.yml": RULE}, symlinks={"rules/link.yml": "/etc/passwd"}), "'rules/link.yml' is a symbolic link"),
        (make_zip({"a.yml": RULE}, symlinks={"docs": "/etc"}), "'docs' is a symbolic link"),
        (make_zip({"a.yml": RULE, "../../evil.yml": RULE}), "'../../evil.yml' is a path with '..'"),
        (make_zip({"a.yml": RULE, "rules/../../x.txt": b"x"}), "a path with '..'"),
        (make_zip({"a.yml": RULE, "/etc/cron.d/x.yml": RULE}), "'/etc/cron.d/x.yml' is an absolute path"),
        (make_zip({"a.yml": RULE, "C:/Windows/x.yml": RULE}), "is an absolute path"),
        (repeat_central_entry(make_zip({"rules/a.yml": RULE}), 2), "'rules/a.yml' is listed more than once"),
        (repeat_central_entry(make_zip({"rules/a0000.yml": RULE}), 20, distinct_names=True), "overlap"),
        (make_zip({"zeros.yml": b"\0" * (4 << 20)}), "a zip bomb?"),
    ],
)
def test_install_refuses_a_hostile_archive_and_installs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, message: str
) -> None:
    packs, source = install_bytes(tmp_path, data)

    def no_decompression(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was decompressed before the archive was judged")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_decompression)
    with pytest.raises(DownloadError, match=re.escape(message)) as raised:
        packs.install(source)
    assert "nothing installed" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert packs.installed() == []
    assert list((tmp_path / "rules").iterdir()) == []


def test_the_repeated_entry_bomb_is_refused_before_decompression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 1 MB zip of the report: one deflated member listed again and again in the central
    directory; checking the zip by decompressing each entry took 12.9 s of CPU."""
    packs, source = install_bytes(tmp_path, repeat_central_entry(make_zip({"rules/a.yml": b"\0" * (8 << 20)}), 100))
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(str(name))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    with pytest.raises(DownloadError, match="listed more than once"):
        packs.install(source)
    assert opened == []
    assert packs.installed() == []


def test_too_many_members_or_too_big_a_directory_is_refused_from_the_end_record(tmp_path: Path) -> None:
    many = make_zip({f"r/{n}.txt": b"" for n in range(MAX_MEMBERS + 1)})
    packs, source = install_bytes(tmp_path, many)
    with pytest.raises(DownloadError, match="over the 20,000 a rule pack may hold"):
        packs.install(source)


def test_hostile_rule_files_are_refused_one_by_one_and_the_rest_installed(tmp_path: Path) -> None:
    data = make_zip(
        {
            "rules/good.yml": RULE,
            "rules/scalar.yml": b"just a string\n",
            "rules/list.yml": b"- a\n- b\n",
            "rules/tag.yml": b"!!python/object/apply:os.system ['id']\n",
            "rules/latin1.yml": b"title: caf\xe9\n",
            "rules/huge.yml": b"title: " + incompressible(MAX_RULE_FILE_BYTES),
            "README.md": b"x",
        }
    )
    packs, source = install_bytes(tmp_path, data)
    pack = packs.install(source)
    assert pack.rules == 1
    refused = dict(line.split(": ", 1) for line in pack.refused)
    assert sorted(refused) == [
        "rules/huge.yml",
        "rules/latin1.yml",
        "rules/list.yml",
        "rules/scalar.yml",
        "rules/tag.yml",
    ]
    assert "not a mapping" in refused["rules/scalar.yml"]
    assert "over the 1 MiB cap" in refused["rules/huge.yml"]
    assert "tag" in refused["rules/tag.yml"]
    assert "not UTF-8" in refused["rules/latin1.yml"]
    assert packs.installed() == [pack]


def test_a_pack_whose_every_rule_is_refused_is_not_installed(tmp_path: Path) -> None:
    packs, source = install_bytes(tmp_path, make_zip({"rules/a.yml": b"- a\n", "rules/b.yml": b""}))
    with pytest.raises(DownloadError, match="no usable Sigma rule"):
        packs.install(source)
    assert packs.installed() == []


def test_manifests_written_before_refusals_were_recorded_still_load(tmp_path: Path) -> None:
    packs, source = install_bytes(tmp_path, PACK)
    pack = packs.install(source)
    manifest = tmp_path / "rules" / f"{pack.name}.json"
    old = json.loads(manifest.read_text())
    del old["refused"]
    manifest.write_text(json.dumps(old))
    assert packs.installed() == [pack]
