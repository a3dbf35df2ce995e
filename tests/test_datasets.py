"""Tests for `secuah_dl.datasets`: catalog, cache folder, probes, fetch, extraction.

Network use is limited to a local HTTP server on 127.0.0.1 (started per test)
and `file://` URLs; "offline" is a closed port on 127.0.0.1.
"""

import functools
import gzip
import hashlib
import http.server
import io
import os
import re
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from secuah_dl import datasets

REPO_ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = bytes(range(256)) * 40  # 10 KiB, not a multiple of the chunk size


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def md5_of(data):
    return hashlib.md5(data).hexdigest()


def leftovers(folder):
    """Hidden temporary files or folders the library might have left behind."""
    return sorted(
        path.name for path in Path(folder).iterdir() if path.name.startswith(".")
    )


def closed_port_url(path="/a.bin"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No proxies, and caches inside the test's temporary folder."""
    for variable in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path / "default_cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


@pytest.fixture
def isolated_catalog():
    saved = dict(datasets._REGISTRY)
    yield
    datasets._REGISTRY.clear()
    datasets._REGISTRY.update(saved)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; `/nolength/<f>` omits Content-Length, `/truncate/<f>` lies about it."""

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        for prefix in ("/nolength/", "/truncate/"):
            if self.path.startswith(prefix):
                body = (Path(self.directory) / self.path[len(prefix) :]).read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if prefix == "/truncate/":
                    self.send_header("Content-Length", str(2 * len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving `server.root`; counts requests."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.requests = []
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    httpd.root = root
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def make_entry(name, urls, content=PAYLOAD, **overrides):
    arguments = {"sha256": sha256_of(content), "license": "test"}
    arguments.update(overrides)
    return datasets.DatasetEntry(name, urls, **arguments)


# --------------------------------------------------------------------------
# fetch over HTTP
# --------------------------------------------------------------------------


def test_fetch_downloads_verifies_and_caches(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    entry = make_entry(
        "toy", f"{server.url}/a.bin", md5=md5_of(PAYLOAD), size=len(PAYLOAD)
    )
    cache = tmp_path / "cache"

    path = datasets.fetch(entry, data_dir=cache, progress=False)

    assert path == cache / "a.bin"
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/a.bin"]
    assert leftovers(cache) == []

    again = datasets.fetch(entry, data_dir=cache, progress=False)
    assert again == path
    assert server.requests == ["/a.bin"], (
        "a verified cached file must not be downloaded again"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_downloads_and_extractions_get_normal_permissions(server, tmp_path):
    archive = server.root / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("inner.txt", b"inner")
    entry = datasets.DatasetEntry(
        "bundle",
        f"{server.url}/bundle.zip",
        md5=md5_of(archive.read_bytes()),
        extract="zip",
    )
    previous = os.umask(0o022)
    try:
        folder = datasets.fetch(entry, data_dir=tmp_path / "c", progress=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "c" / "bundle.zip").stat().st_mode) == 0o644
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_fetch_uses_the_default_data_dir(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    path = datasets.fetch(make_entry("toy", f"{server.url}/a.bin"), progress=False)
    assert path == tmp_path / "default_cache" / "a.bin"


def test_progress_bar_with_content_length(server, tmp_path, capsys):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    datasets.fetch(make_entry("toy", f"{server.url}/a.bin"), data_dir=tmp_path / "c")
    err = capsys.readouterr().err
    assert "a.bin" in err
    assert "100%" in err


def test_progress_bar_without_content_length(server, tmp_path, capsys):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    path = datasets.fetch(
        make_entry("toy", f"{server.url}/nolength/a.bin"), data_dir=tmp_path / "c"
    )
    err = capsys.readouterr().err
    assert path.read_bytes() == PAYLOAD
    assert "a.bin" in err
    assert "%" not in err  # no total known: a byte counter, not a percentage


def test_progress_false_prints_nothing(server, tmp_path, capsys):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    datasets.fetch(
        make_entry("toy", f"{server.url}/a.bin"),
        data_dir=tmp_path / "c",
        progress=False,
    )
    assert "a.bin" not in capsys.readouterr().err


def test_mirror_fallback_after_http_error(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    entry = make_entry("toy", (f"{server.url}/gone/a.bin", f"{server.url}/a.bin"))
    path = datasets.fetch(entry, data_dir=tmp_path / "c", progress=False)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/gone/a.bin", "/a.bin"]


def test_mirror_fallback_skips_unreachable_mirror(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    entry = make_entry("toy", (closed_port_url(), f"{server.url}/a.bin"))
    path = datasets.fetch(entry, data_dir=tmp_path / "c", progress=False)
    assert path.read_bytes() == PAYLOAD


def test_every_mirror_failing_raises_download_error(server, tmp_path):
    first, second = f"{server.url}/x/a.bin", f"{server.url}/y/a.bin"
    cache = tmp_path / "c"
    with pytest.raises(datasets.DownloadError, match="HTTP 404") as info:
        datasets.fetch(
            make_entry("toy", (first, second)), data_dir=cache, progress=False
        )
    message = str(info.value)
    assert first in message and second in message
    assert str(cache / "a.bin") in message
    assert not isinstance(info.value, datasets.OfflineError)
    assert list(cache.iterdir()) == []


def test_truncated_download_leaves_nothing(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    cache = tmp_path / "c"
    with pytest.raises(datasets.DownloadError, match="truncated|IncompleteRead"):
        datasets.fetch(
            make_entry("toy", f"{server.url}/truncate/a.bin"),
            data_dir=cache,
            progress=False,
        )
    assert list(cache.iterdir()) == []


def test_interrupted_download_leaves_nothing(server, tmp_path, monkeypatch):
    (server.root / "a.bin").write_bytes(PAYLOAD)

    class InterruptingBar:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, count):
            raise KeyboardInterrupt

    monkeypatch.setattr(datasets, "_progress_bar", lambda *args: InterruptingBar())
    cache = tmp_path / "c"
    with pytest.raises(KeyboardInterrupt):
        datasets.fetch(make_entry("toy", f"{server.url}/a.bin"), data_dir=cache)
    assert list(cache.iterdir()) == []


def test_checksum_mismatch_keeps_corrupt_copy(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    expected = sha256_of(b"something else")
    entry = make_entry("toy", f"{server.url}/a.bin", sha256=expected)
    cache = tmp_path / "c"

    with pytest.raises(datasets.ChecksumError, match=expected) as info:
        datasets.fetch(entry, data_dir=cache, progress=False)

    corrupt = cache / "a.bin.corrupt"
    assert corrupt.read_bytes() == PAYLOAD
    assert not (cache / "a.bin").exists()
    assert info.value.received == sha256_of(PAYLOAD)
    assert info.value.path == corrupt
    assert str(corrupt) in str(info.value)
    assert sha256_of(PAYLOAD) in str(info.value)
    assert leftovers(cache) == []


def test_user_placed_wrong_file_is_not_touched(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    cache = tmp_path / "c"
    cache.mkdir()
    placed = cache / "a.bin"
    placed.write_bytes(b"copied by hand, wrong version")
    entry = make_entry("toy", f"{server.url}/a.bin")

    with pytest.raises(datasets.ChecksumError, match="force=True"):
        datasets.fetch(entry, data_dir=cache, progress=False)
    assert placed.read_bytes() == b"copied by hand, wrong version"
    assert server.requests == []

    path = datasets.fetch(entry, data_dir=cache, progress=False, force=True)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == ["/a.bin"]


def test_user_placed_good_file_is_used_offline(tmp_path):
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "a.bin").write_bytes(PAYLOAD)
    entry = make_entry("toy", closed_port_url())
    assert datasets.fetch(entry, data_dir=cache, progress=False) == cache / "a.bin"


def test_force_offline_keeps_existing_file(tmp_path):
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "a.bin").write_bytes(b"old")
    entry = make_entry("toy", closed_port_url())
    with pytest.raises(datasets.OfflineError):
        datasets.fetch(entry, data_dir=cache, progress=False, force=True)
    assert (cache / "a.bin").read_bytes() == b"old"


def test_offline_fails_fast_with_instructions(tmp_path):
    url = closed_port_url("/data/a.bin")
    cache = tmp_path / "c"
    entry = make_entry("toy", url)
    start = time.monotonic()
    with pytest.raises(datasets.OfflineError) as info:
        datasets.fetch(entry, data_dir=cache, progress=False)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert url in message
    assert str(cache / "a.bin") in message
    assert entry.sha256 in message
    assert isinstance(info.value, ConnectionError)
    assert info.value.put_here == cache / "a.bin"
    assert list(cache.iterdir()) == []


def test_fetch_file_url(tmp_path):
    source = tmp_path / "src" / "a.bin"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    path = datasets.fetch(
        make_entry("toy", source.as_uri()), data_dir=tmp_path / "c", progress=False
    )
    assert path.read_bytes() == PAYLOAD
    assert path != source


def test_fetch_missing_file_url_is_offline_error(tmp_path):
    missing = tmp_path / "nowhere" / "a.bin"
    with pytest.raises(datasets.OfflineError, match="does not exist"):
        datasets.fetch(
            make_entry("toy", missing.as_uri()), data_dir=tmp_path / "c", progress=False
        )


def test_unverified_entry_warns_with_digest_to_pin(server, tmp_path):
    (server.root / "a.bin").write_bytes(PAYLOAD)
    entry = datasets.DatasetEntry("free", f"{server.url}/a.bin", unverified=True)
    with pytest.warns(UserWarning, match=sha256_of(PAYLOAD)):
        path = datasets.fetch(entry, data_dir=tmp_path / "c", progress=False)
    assert path.read_bytes() == PAYLOAD


def test_fetch_extracts_archive_once(server, tmp_path):
    archive = server.root / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_tar_file(tar, "bundle/class_a/1.txt", b"one")
        add_tar_file(tar, "bundle/class_b/2.txt", b"two")
    data = archive.read_bytes()
    entry = datasets.DatasetEntry(
        "bundle", f"{server.url}/bundle.tar.gz", md5=md5_of(data), extract=True
    )
    assert entry.extract == "tar.gz"
    cache = tmp_path / "c"

    folder = datasets.fetch(entry, data_dir=cache, progress=False)

    assert folder == cache / "bundle"
    assert (folder / "bundle" / "class_b" / "2.txt").read_bytes() == b"two"
    assert (cache / "bundle.tar.gz").read_bytes() == data
    assert datasets.fetch(entry, data_dir=cache, progress=False) == folder
    assert server.requests == ["/bundle.tar.gz"]
    assert (
        datasets.fetch(entry, data_dir=cache, extract=False) == cache / "bundle.tar.gz"
    )
    assert leftovers(cache) == []


@pytest.mark.parametrize(
    "arguments, match",
    [
        ({"timeout": 0}, "`timeout` must be a positive"),
        ({"extract": "rar"}, "`extract` must be"),
        ({"extract": True}, "archive suffix"),
        ({"force": "yes"}, "`force` must be"),
    ],
)
def test_fetch_rejects_bad_arguments_before_any_download(tmp_path, arguments, match):
    entry = make_entry("toy", closed_port_url())
    with pytest.raises(ValueError, match=match):
        datasets.fetch(entry, data_dir=tmp_path / "c", **arguments)


# --------------------------------------------------------------------------
# probe, require_online, Keras cache
# --------------------------------------------------------------------------


def test_probe(server, tmp_path):
    assert datasets.probe(f"{server.url}/anything") is True
    assert datasets.probe(closed_port_url()) is False
    assert datasets.probe(tmp_path.as_uri()) is True
    assert datasets.probe((tmp_path / "missing").as_uri()) is False
    assert server.requests == [], "a probe connects but sends no request"


def test_probe_never_hangs_on_slow_dns(monkeypatch):
    def slow_getaddrinfo(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("too slow")

    monkeypatch.setattr(socket, "getaddrinfo", slow_getaddrinfo)
    start = time.monotonic()
    assert datasets.probe("http://slow-dns.invalid/file", timeout=0.3) is False
    assert time.monotonic() - start < 1.5


def test_probe_rejects_bad_timeout():
    with pytest.raises(ValueError, match="Received: timeout=-1"):
        datasets.probe("file:///", timeout=-1)


def test_require_online(server, tmp_path):
    assert datasets.require_online("toy data", f"{server.url}/a.bin") is None

    url = closed_port_url("/weights.h5")
    target = tmp_path / "models" / "weights.h5"
    start = time.monotonic()
    with pytest.raises(datasets.OfflineError) as info:
        datasets.require_online("toy weights", url, put_here=target)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "toy weights" in message and url in message and str(target) in message

    with pytest.raises(ValueError, match="schemes"):
        datasets.require_online("toy", "ftp://127.0.0.1/a.bin")


def test_keras_cache_path_honours_keras_home(tmp_path):
    assert (
        datasets.keras_cache_path("models", "w.h5")
        == tmp_path / "keras_home" / "models" / "w.h5"
    )
    with pytest.raises(ValueError, match="Received: subdir='../x'"):
        datasets.keras_cache_path("../x", "w.h5")


def test_ensure_keras_file(server, tmp_path):
    path = tmp_path / "keras_home" / "models" / "w.h5"
    offline_url = closed_port_url("/w.h5")

    with pytest.raises(datasets.OfflineError) as info:
        datasets.ensure_keras_file("models", "w.h5", offline_url, "toy weights")
    assert str(path) in str(info.value) and offline_url in str(info.value)

    assert (
        datasets.ensure_keras_file(
            "models", "w.h5", f"{server.url}/w.h5", "toy weights"
        )
        is None
    )

    path.parent.mkdir(parents=True)
    path.write_bytes(PAYLOAD)
    assert (
        datasets.ensure_keras_file("models", "w.h5", offline_url, "toy weights") == path
    )
    assert (
        datasets.ensure_keras_file(
            "models", "w.h5", offline_url, "toy weights", file_hash=md5_of(PAYLOAD)
        )
        == path
    )
    with pytest.raises(datasets.OfflineError, match="does not match"):
        datasets.ensure_keras_file(
            "models", "w.h5", offline_url, "toy weights", file_hash=md5_of(b"other")
        )


# --------------------------------------------------------------------------
# data_dir
# --------------------------------------------------------------------------


def test_data_dir_environment_override(tmp_path, monkeypatch):
    custom = tmp_path / "custom" / "data"
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(custom))
    assert datasets.data_dir(create=False) == custom
    assert not custom.exists()
    assert datasets.data_dir() == custom
    assert custom.is_dir()


def test_data_dir_in_a_checkout(tmp_path, monkeypatch):
    checkout = tmp_path / "repo"
    (checkout / "secuah_dl").mkdir(parents=True)
    (checkout / "datasets").mkdir()
    (checkout / "setup.cfg").write_text("[metadata]\n")
    monkeypatch.delenv(datasets.DATA_DIR_ENV)
    monkeypatch.setattr(datasets, "_PACKAGE_DIR", checkout / "secuah_dl")
    assert datasets.data_dir(create=False) == checkout / "datasets" / "cache"


def test_data_dir_when_installed(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.DATA_DIR_ENV)
    monkeypatch.setattr(
        datasets, "_PACKAGE_DIR", tmp_path / "site-packages" / "secuah_dl"
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir(create=False) == tmp_path / "xdg" / "secuah_dl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.data_dir(create=False) == tmp_path / "home" / ".cache" / "secuah_dl"


# --------------------------------------------------------------------------
# verify and file_digest
# --------------------------------------------------------------------------


def test_verify_and_file_digest(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(PAYLOAD)
    assert datasets.file_digest(path) == sha256_of(PAYLOAD)
    assert datasets.file_digest(path, "md5", chunk_size=7) == md5_of(PAYLOAD)
    assert datasets.verify(path, sha256=sha256_of(PAYLOAD).upper()) == sha256_of(
        PAYLOAD
    )
    assert datasets.verify(path, md5=md5_of(PAYLOAD)) == md5_of(PAYLOAD)

    wrong = md5_of(b"x")
    with pytest.raises(
        datasets.ChecksumError, match=f"expected {wrong}, received {md5_of(PAYLOAD)}"
    ) as info:
        datasets.verify(path, sha256=sha256_of(PAYLOAD), md5=wrong)
    assert info.value.path == path and info.value.algorithm == "md5"
    assert str(path) in str(info.value)

    with pytest.raises(ValueError, match="pass `sha256=` or `md5=`"):
        datasets.verify(path)
    with pytest.raises(ValueError, match="Received: sha256='abc'"):
        datasets.verify(path, sha256="abc")
    with pytest.raises(ValueError, match="Received: algorithm='sha1000'"):
        datasets.file_digest(path, "sha1000")
    with pytest.raises(FileNotFoundError):
        datasets.verify(tmp_path / "missing", md5=wrong)


# --------------------------------------------------------------------------
# safe_extract
# --------------------------------------------------------------------------


def add_tar_file(tar, name, data=b"data"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def add_tar_link(tar, name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    tar.addfile(info)


@pytest.fixture(params=["data_filter", "manual"])
def tar_mode(request, monkeypatch):
    """Runs tar tests with tarfile's `filter="data"` and with the fallback."""
    if request.param == "data_filter" and not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tarfile data filter")
    monkeypatch.setattr(datasets, "_HAS_DATA_FILTER", request.param == "data_filter")
    return request.param


def test_safe_extract_zip(tmp_path):
    archive = tmp_path / "good.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("top.txt", b"top")
        bundle.writestr("folder/inner.txt", b"inner")
    target = datasets.safe_extract(archive, tmp_path / "out")
    assert (target / "top.txt").read_bytes() == b"top"
    assert (target / "folder" / "inner.txt").read_bytes() == b"inner"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "suffix, mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz")]
)
def test_safe_extract_tar(tmp_path, tar_mode, suffix, mode):
    archive = tmp_path / f"good{suffix}"
    with tarfile.open(archive, mode) as tar:
        add_tar_file(tar, "./folder/inner.txt", b"inner")
        add_tar_file(tar, "top.txt", b"top")
        add_tar_link(tar, "folder/link.txt", "inner.txt")
        add_tar_link(tar, "hard.txt", "top.txt", kind=tarfile.LNKTYPE)
    target = datasets.safe_extract(archive, tmp_path / "out")
    assert (target / "folder" / "inner.txt").read_bytes() == b"inner"
    assert (target / "folder" / "link.txt").read_bytes() == b"inner"
    assert (target / "hard.txt").read_bytes() == b"top"
    assert leftovers(tmp_path) == []


def test_safe_extract_single_gz(tmp_path):
    archive = tmp_path / "table.csv.gz"
    archive.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    target = datasets.safe_extract(archive, tmp_path / "out")
    assert (target / "table.csv").read_bytes() == b"a,b\n1,2\n"


def _evil_zip(path, name):
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("fine.txt", b"fine")
        bundle.writestr(zipfile.ZipInfo(name), b"evil")


@pytest.mark.parametrize(
    "name", ["../evil.txt", "folder/../../evil.txt", "/abs/evil.txt", "..\\evil.txt"]
)
def test_safe_extract_refuses_escaping_zip(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "evil.zip"
    _evil_zip(archive, name)
    assert name in zipfile.ZipFile(archive).namelist()
    with pytest.raises(datasets.UnsafeArchiveError, match="evil.txt") as info:
        datasets.safe_extract(archive, work / "out")
    assert info.value.member == name
    assert sorted(path.name for path in work.iterdir()) == ["evil.zip"]
    assert not (tmp_path / "evil.txt").exists()


def _build_evil_tar(path, case):
    with tarfile.open(path, "w") as tar:
        add_tar_file(tar, "fine.txt", b"fine")
        if case == "dotdot":
            add_tar_file(tar, "../evil.txt", b"evil")
        elif case == "absolute":
            add_tar_file(tar, "/tmp/evil.txt", b"evil")
        elif case == "symlink_outside":
            add_tar_link(tar, "evil_link", "../../outside")
        elif case == "symlink_absolute":
            add_tar_link(tar, "evil_link", "/etc/passwd")
        elif case == "symlink_chain":
            add_tar_link(tar, "here", ".")
            add_tar_link(tar, "evil_link", "here/..")
            add_tar_file(tar, "evil_link/evil.txt", b"evil")
        elif case == "hardlink_outside":
            add_tar_link(tar, "evil_link", "../outside.txt", kind=tarfile.LNKTYPE)
        elif case == "device":
            info = tarfile.TarInfo("evil_device")
            info.type = tarfile.CHRTYPE
            info.devmajor, info.devminor = 1, 3
            tar.addfile(info)


@pytest.mark.parametrize(
    "case, member, reason",
    [
        ("dotdot", "../evil.txt", "contains '..'"),
        ("absolute", "/tmp/evil.txt", "absolute path"),
        ("symlink_outside", "evil_link", "outside"),
        ("symlink_absolute", "evil_link", "absolute path"),
        ("symlink_chain", "evil_link", "outside"),
        ("hardlink_outside", "evil_link", "outside"),
        ("device", "evil_device", "device"),
    ],
)
def test_safe_extract_refuses_unsafe_tar(tmp_path, tar_mode, case, member, reason):
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "evil.tar"
    _build_evil_tar(archive, case)
    with pytest.raises(
        datasets.UnsafeArchiveError,
        match=re.escape(f"member {member!r}") + ".*" + reason,
    ) as info:
        datasets.safe_extract(archive, work / "out")
    assert info.value.member == member
    assert sorted(path.name for path in work.iterdir()) == ["evil.tar"]
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize(
    "name, data",
    [("broken.zip", b"PK\x03\x04 not really a zip"), ("broken.tar.gz", None)],
)
def test_safe_extract_corrupt_archive(tmp_path, name, data):
    if data is None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            add_tar_file(tar, "big.bin", os.urandom(50_000))
        data = buffer.getvalue()[:-20_000]
    archive = tmp_path / name
    archive.write_bytes(data)
    with pytest.raises(ValueError, match=name) as info:
        datasets.safe_extract(archive, tmp_path / "out")
    assert not isinstance(info.value, datasets.UnsafeArchiveError)
    assert info.value.__cause__ is not None
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


def test_safe_extract_target_handling(tmp_path):
    archive = tmp_path / "good.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("new.txt", b"new")
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(ValueError, match="overwrite=True"):
        datasets.safe_extract(archive, target)
    assert (target / "old.txt").exists()

    datasets.safe_extract(archive, target, overwrite=True)
    assert sorted(path.name for path in target.iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == []

    with pytest.raises(ValueError, match="Received: kind='rar'"):
        datasets.safe_extract(archive, tmp_path / "other", kind="rar")


# --------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------


def test_seed_catalog_is_complete():
    names = datasets.list_entries()
    for name in (
        "mnist",
        "mednist",
        "pneumoniamnist",
        "dermamnist",
        "chestmnist",
        "bloodmnist",
        "vgg16_imagenet_notop",
        "resnet50_imagenet_notop",
    ):
        assert name in names
    for name in names:
        entry = datasets.CATALOG[name]
        # Practicals may register sources that publish no checksum, but only
        # explicitly (unverified=True); the seed entries above all have one.
        assert entry.checksum is not None or entry.unverified, name
        if name in ("mnist", "mednist", "pneumoniamnist", "vgg16_imagenet_notop"):
            assert entry.checksum is not None, name
        assert all(url.startswith("https://") for url in entry.urls), name
        assert (
            entry.license and entry.citation and entry.layout and entry.description
        ), name
        # Each description says where its checksum comes from (or why there is none).
        assert any(
            word in entry.description.lower() for word in ("checksum", "sha256", "md5")
        ), name
    assert (
        datasets.get_entry("PneumoniaMNIST").md5 == "28209eda62fecd6e6a2d98b1501bb15f"
    )
    assert datasets.get_entry("mednist").extract == "tar.gz"
    assert (
        datasets.get_entry("mnist").sha256
        == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    )


def test_get_entry_unknown_name_lists_known_names():
    with pytest.raises(
        ValueError, match=r"Known names: .*pneumoniamnist.*Received: name='pneumonia'"
    ):
        datasets.get_entry("pneumonia")


def test_register_duplicates_and_overwrite(isolated_catalog):
    first = make_entry("toy_dataset", "https://example.org/a.bin")
    assert datasets.register(first) is first
    assert (
        datasets.register(make_entry("toy_dataset", "https://example.org/a.bin"))
        is first
    )

    second = make_entry("toy_dataset", "https://example.org/b.bin")
    with pytest.raises(ValueError, match="already registered.*overwrite=True"):
        datasets.register(second)
    assert datasets.get_entry("toy_dataset") is first
    datasets.register(second, overwrite=True)
    assert datasets.get_entry("toy_dataset") is second

    with pytest.raises(TypeError, match="DatasetEntry"):
        datasets.register({"name": "toy"})
    with pytest.raises(TypeError):
        datasets.CATALOG["toy"] = first


def test_entry_normalisation():
    entry = datasets.DatasetEntry(
        "toy",
        "https://zenodo.org/records/1/files/toy%20set.tgz?download=1",
        md5="D41D8CD98F00B204E9800998ECF8427E",
        extract=True,
    )
    assert entry.urls == (
        "https://zenodo.org/records/1/files/toy%20set.tgz?download=1",
    )
    assert entry.filename == "toy set.tgz"
    assert entry.md5 == "d41d8cd98f00b204e9800998ecf8427e"
    assert entry.extract == "tar.gz"
    assert entry.checksum == ("md5", entry.md5)


GOOD = {"sha256": "0" * 64}


@pytest.mark.parametrize(
    "name, urls, arguments, match",
    [
        ("Bad Name", "https://e.org/a", GOOD, "Received: name='Bad Name'"),
        ("toy", (), GOOD, "`urls` must be"),
        ("toy", "ftp://e.org/a.bin", GOOD, "schemes"),
        ("toy", "https:///a.bin", GOOD, "must name a host"),
        ("toy", "https://e.org/a.bin", {}, "needs a checksum"),
        (
            "toy",
            "https://e.org/a.bin",
            {"sha256": "abc"},
            "`sha256` must be a hex digest of 64",
        ),
        (
            "toy",
            "https://e.org/a.bin",
            {"md5": "z" * 32},
            "`md5` must be a hex digest of 32",
        ),
        ("toy", "https://e.org/a.bin", {**GOOD, "unverified": True}, "contradicts"),
        ("toy", "https://e.org/a.bin", {**GOOD, "size": -1}, "Received: size=-1"),
        (
            "toy",
            "https://e.org/a.bin",
            {**GOOD, "filename": "a/b.bin"},
            "Received: filename='a/b.bin'",
        ),
        ("toy", "https://e.org/", GOOD, "`filename` must be"),
        (
            "toy",
            "https://e.org/a.bin",
            {**GOOD, "extract": "rar"},
            "Received: extract='rar'",
        ),
        ("toy", "https://e.org/a.bin", {**GOOD, "extract": True}, "archive suffix"),
        (
            "toy",
            "https://e.org/toy",
            {**GOOD, "extract": "zip"},
            "must differ from `name`",
        ),
        (
            "toy",
            "https://e.org/a.bin",
            {**GOOD, "license": None},
            "Received: license=None",
        ),
    ],
)
def test_entry_validation(name, urls, arguments, match):
    with pytest.raises(ValueError, match=match):
        datasets.DatasetEntry(name, urls, **arguments)


def test_import_is_cheap_and_does_not_load_tensorflow():
    code = "import sys, secuah_dl.datasets; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=REPO_ROOT,
    )
    assert result.stdout.split() == ["False", "False"]
