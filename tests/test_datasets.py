"""`secuah_dl.datasets`: catalog, fetch (mirrors, offline, checksums), extraction, embedded files.

Network use is limited to a local HTTP server on 127.0.0.1 (started per test)
and `file://` URLs; "offline" is a closed port on 127.0.0.1.
"""

import functools
import hashlib
import http.server
import io
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from secuah_dl import datasets

PAYLOAD = bytes(range(256)) * 40


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def closed_port_url(path="/a.bin"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No proxies, and caches inside the test's temporary folder."""
    for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving `server.root`; counts requests."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.root = root
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def entry(urls, content=PAYLOAD, filename="a.bin", **overrides):
    arguments = {"sha256": sha256_of(content), "license": "test"}
    arguments.update(overrides)
    if isinstance(urls, str):
        urls = (urls,)
    return datasets.Entry("toy", tuple(urls), filename, **arguments)


def test_fetch_downloads_verifies_and_caches(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    path = datasets.fetch(entry(f"{server.url}/a.bin"))
    assert path == tmp_path / "cache" / "a.bin" and path.read_bytes() == PAYLOAD
    assert server.requests == ["/a.bin"]
    assert datasets.fetch(entry(f"{server.url}/a.bin")) == path
    assert server.requests == ["/a.bin"], "a cached file is not downloaded again"


def test_mirrors_are_tried_in_order(server):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    urls = (closed_port_url(), f"{server.url}/missing.bin", f"{server.url}/a.bin")
    path = datasets.fetch(entry(urls))
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/missing.bin", "/a.bin"]


def test_every_mirror_failing_raises_download_error(server, tmp_path):
    urls = (f"{server.url}/one.bin", f"{server.url}/two.bin")
    with pytest.raises(datasets.DownloadError, match=r"one\.bin.*two\.bin") as info:
        datasets.fetch(entry(urls))
    assert f"at {tmp_path / 'cache' / 'a.bin'} by hand" in str(info.value)
    assert not (tmp_path / "cache" / "a.bin").exists()


def test_offline_fails_fast_and_says_where_to_put_the_file(tmp_path):
    url = closed_port_url("/data/a.bin")
    toy = entry(url)
    start = time.monotonic()
    with pytest.raises(datasets.OfflineError) as info:
        datasets.fetch(toy)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert url in message and str(tmp_path / "cache" / "a.bin") in message
    assert toy.sha256 in message
    assert isinstance(info.value, ConnectionError)
    assert not (tmp_path / "cache").exists(), "nothing is written offline"


def test_a_file_put_by_hand_is_used_offline(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "a.bin").write_bytes(PAYLOAD)
    assert datasets.fetch(entry(closed_port_url())).read_bytes() == PAYLOAD


def test_a_wrong_file_in_place_is_reported_and_never_deleted(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "a.bin").write_bytes(b"someone else's file")
    with pytest.raises(datasets.ChecksumError, match="not deleted") as info:
        datasets.fetch(entry(closed_port_url()))
    assert str(tmp_path / "cache" / "a.bin") in str(info.value)
    assert "received " + sha256_of(b"someone else's file") in str(info.value)
    assert (tmp_path / "cache" / "a.bin").read_bytes() == b"someone else's file"


def test_a_corrupt_download_is_kept_for_inspection(server, tmp_path):
    (server.root / "a.bin").write_bytes(b"tampered")
    with pytest.raises(datasets.ChecksumError, match="corrupt"):
        datasets.fetch(entry(f"{server.url}/a.bin"))
    assert (tmp_path / "cache" / "a.bin.corrupt").read_bytes() == b"tampered"
    assert not (tmp_path / "cache" / "a.bin").exists()


def test_unverified_entry_warns_with_the_digest_to_pin(server):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    with pytest.warns(UserWarning, match=sha256_of(PAYLOAD)):
        datasets.fetch(entry(f"{server.url}/a.bin", sha256=None))


def test_file_urls_and_the_keras_cache(tmp_path):
    source = tmp_path / "src" / "weights.h5"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    weights = entry(source.as_uri(), filename="weights.h5", keras_cache="models")
    path = datasets.fetch(weights)
    assert path == tmp_path / "keras_home" / "models" / "weights.h5"
    assert path.read_bytes() == PAYLOAD


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as handle:
        for name, data in members.items():
            handle.writestr(name, data)
    return path


def _tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as handle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):  # (type, linkname)
                info.type, info.linkname = data
                handle.addfile(info)
            else:
                info.size = len(data)
                handle.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_archives_are_extracted_once(server, tmp_path, kind):
    members = {"MedNIST/Hand/0.jpeg": b"x", "MedNIST/CXR/1.jpeg": b"y"}
    archive = server.root / f"toy.{kind}"
    (_zip if kind == "zip" else _tar)(archive, members)
    toy = entry(
        f"{server.url}/toy.{kind}", archive.read_bytes(), f"toy.{kind}", extract=True
    )
    folder = datasets.fetch(toy)
    assert folder == tmp_path / "cache" / "toy"
    assert (folder / "MedNIST" / "Hand" / "0.jpeg").read_bytes() == b"x"
    assert datasets.fetch(toy) == folder and len(server.requests) == 1


@pytest.mark.parametrize(
    "members",
    [
        {"../evil.txt": b"x"},
        {"/etc/evil.txt": b"x"},
        {"ok/link": (tarfile.SYMTYPE, "../../outside")},
        {"dev": (tarfile.CHRTYPE, "")},
    ],
    ids=["dotdot", "absolute", "symlink-out", "device"],
)
def test_unsafe_tar_members_raise_and_nothing_is_extracted(tmp_path, members):
    archive = _tar(tmp_path / "bad.tar", members, mode="w")
    with pytest.raises(datasets.UnsafeArchiveError, match="Nothing was extracted"):
        datasets._extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.tar"]


def test_unsafe_zip_members_raise(tmp_path):
    archive = _zip(tmp_path / "bad.zip", {"fine.txt": b"ok", "../evil.txt": b"x"})
    with pytest.raises(datasets.UnsafeArchiveError, match="evil"):
        datasets._extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_corrupt_and_unknown_archives_name_the_file(tmp_path):
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(
        _tar(tmp_path / "x.tar.gz", {"a": b"1" * 5000}).read_bytes()[:60]
    )
    with pytest.raises(ValueError, match="cut.tar.gz"):
        datasets._extract(truncated, tmp_path / "out")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.txt is not a zip or tar"):
        datasets._extract(text, tmp_path / "out2")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cut.tar.gz",
        "notes.txt",
        "x.tar.gz",
    ]


def test_probe(server, tmp_path, monkeypatch):
    assert datasets._probe(f"{server.url}/anything") is True
    assert datasets._probe(closed_port_url()) is False
    assert datasets._probe(tmp_path.as_uri()) is True
    assert datasets._probe((tmp_path / "missing").as_uri()) is False
    assert server.requests == [], "a probe connects but sends no request"

    def slow_getaddrinfo(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("too slow")

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)
    start = time.monotonic()
    assert datasets._probe("http://slow-dns.invalid/file", timeout=0.3) is False
    assert time.monotonic() - start < 1.5


def test_download_folder(tmp_path, monkeypatch):
    toy = entry("https://example.org/a.bin")
    assert datasets._folder_for(toy) == tmp_path / "cache"
    monkeypatch.delenv(datasets.DATA_DIR_ENV)
    folder = datasets._folder_for(toy)
    repo = Path(datasets.__file__).resolve().parents[1]
    if (repo / "setup.cfg").exists():
        assert folder == repo / "datasets" / "cache"
    else:
        assert folder == Path("~/.cache/secuah_dl").expanduser()


def test_catalog_is_complete_and_named():
    for name, item in datasets.CATALOG.items():
        assert item.name == name and item.urls and item.filename
        assert item.license and item.citation and item.layout, name
        assert all(u.startswith("https://") for u in item.urls), name
    unverified = sorted(n for n, e in datasets.CATALOG.items() if e.digest[0] is None)
    assert unverified == ["moses_dataset_v1", "opsd_time_series_60min"]
    assert datasets.CATALOG["vgg16_imagenet_notop"].keras_cache == "models"
    with pytest.raises(ValueError, match=r"No catalog entry 'nope'\. Known: .*mednist"):
        datasets.fetch("nope")


def test_embedded_files_are_there_and_verified(monkeypatch):
    for name in datasets.EMBEDDED:
        assert datasets.embedded(name).stat().st_size > 1000
    with pytest.raises(ValueError, match="No embedded file 'nope'"):
        datasets.embedded("nope")
    monkeypatch.setitem(datasets.EMBEDDED, "analgesics", ("analgesics.csv", "0" * 64))
    monkeypatch.setattr(datasets, "_VERIFIED_EMBEDDED", set())
    with pytest.raises(datasets.ChecksumError, match="damaged"):
        datasets.embedded("analgesics")


def test_import_is_cheap_and_does_not_load_tensorflow():
    code = "import sys, secuah_dl.datasets; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
