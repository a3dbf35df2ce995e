"""The datasets floor: a checksummed catalog, downloads, verification, extraction.

Every practical gets its bytes from here. A `DatasetEntry` names one file (a
dataset archive or a weights file): where to download it (mirrors, tried in
order), its published checksum, its licence, how to cite it and what is inside.
`fetch(name)` downloads a catalog entry once, with a progress bar, verifies it,
extracts it safely if it is an archive, and caches it in `data_dir()`.

Offline, nothing hangs: before any download `fetch` probes the mirrors (DNS and
a TCP connection, a couple of seconds at most) and raises `OfflineError` at once
with the exact file to copy by hand and where to put it. Other modules call
`require_online()` or `ensure_keras_file()` the same way before handing over to
`keras.datasets`, `keras.applications` or `tensorflow_datasets`, whose own
retries take minutes to give up.

The design follows d2l's `DATA_HUB` and Keras' `WEIGHTS_HASHES` (name -> URL,
hash), with pooch-style mirrors and tarfile's `filter="data"` for extraction.

Example:

```python
from secuah_dl import datasets

path = datasets.fetch("pneumoniamnist")      # .../pneumoniamnist.npz
folder = datasets.fetch("mednist")           # .../mednist/MedNIST/<class>/*.jpeg
print(datasets.get_entry("mednist").citation)
```
"""

import dataclasses
import gzip
import hashlib
import http.client
import os
import re
import secrets
import shutil
import socket
import stat
import tarfile
import tempfile
import threading
import time
import types
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
import zlib
from pathlib import Path

__all__ = [
    "ARCHIVE_KINDS",
    "CATALOG",
    "DATA_DIR_ENV",
    "ChecksumError",
    "DatasetEntry",
    "DownloadError",
    "OfflineError",
    "PROBE_TIMEOUT",
    "UnsafeArchiveError",
    "data_dir",
    "ensure_keras_file",
    "fetch",
    "file_digest",
    "get_entry",
    "keras_cache_path",
    "list_entries",
    "EMBEDDED",
    "embedded",
    "probe",
    "register",
    "require_online",
    "safe_extract",
    "verify",
]

DATA_DIR_ENV = "SECUAH_DL_DATA"
"""Environment variable that overrides the cache directory (see `data_dir`)."""

PROBE_TIMEOUT = 2.0
"""Seconds `fetch` gives each mirror to answer the reachability probe."""

ARCHIVE_KINDS = ("zip", "tar", "tar.gz", "gz")
_KIND_ALIASES = {"tgz": "tar.gz", "tar.bz2": "tar", "tar.xz": "tar"}
_SUFFIX_KINDS = (
    (".tar.gz", "tar.gz"),
    (".tgz", "tar.gz"),
    (".tar.bz2", "tar"),
    (".tbz2", "tar"),
    (".tar.xz", "tar"),
    (".txz", "tar"),
    (".tar", "tar"),
    (".zip", "zip"),
    (".gz", "gz"),
)
_URL_SCHEMES = ("http", "https", "file")
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_HEX_PATTERN = re.compile(r"^[0-9a-f]+$")
_CHUNK_SIZE = 1 << 20
_USER_AGENT = "secuah_dl (+https://github.com; python urllib)"
_PACKAGE_DIR = Path(__file__).resolve().parent
_HAS_DATA_FILTER = hasattr(tarfile, "data_filter")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class DownloadError(ConnectionError):
    """A file could not be downloaded from any of its mirrors.

    The message lists every URL tried with the reason it failed, and the
    path where the file can be placed by hand.

    Attributes:
        urls: tuple of str. The URLs that were tried, in order.
        put_here: `pathlib.Path` or `None`. Where a copy placed by hand is
            picked up.
    """

    def __init__(self, message, *, urls=(), put_here=None):
        super().__init__(message)
        self.urls = tuple(urls)
        self.put_here = None if put_here is None else Path(put_here)


class OfflineError(DownloadError):
    """No mirror of a file is reachable: the machine is offline or blocked.

    Raised within seconds by `require_online`, `ensure_keras_file` and
    `fetch`, before any slow library retry loop starts. It is a
    `ConnectionError`, so `except ConnectionError` catches it.

    Attributes:
        urls: tuple of str. The URLs that were probed.
        put_here: `pathlib.Path` or `None`. Where to copy the file by hand.
    """


class ChecksumError(ValueError):
    """A file's digest differs from the published one.

    Attributes:
        path: `pathlib.Path`. The file that failed verification.
        algorithm: str. `"sha256"` or `"md5"`.
        expected: str. The published hex digest.
        received: str. The hex digest of the file on disk.
    """

    def __init__(
        self, message, *, path=None, algorithm=None, expected=None, received=None
    ):
        super().__init__(message)
        self.path = None if path is None else Path(path)
        self.algorithm = algorithm
        self.expected = expected
        self.received = received


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the target folder.

    Raised by `safe_extract` for absolute member paths, `..` components,
    links pointing outside the target and device or other special files.
    Nothing is extracted when it is raised.

    Attributes:
        archive: `pathlib.Path`. The archive.
        member: str. The offending member name.
    """

    def __init__(self, message, *, archive=None, member=None):
        super().__init__(message)
        self.archive = None if archive is None else Path(archive)
        self.member = member


# --------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DatasetEntry:
    """One downloadable file of the catalog: a dataset or a weights file.

    An entry must carry a published checksum (`sha256`, `md5` or both, exactly
    as the publisher gives them), so that a silently changed or truncated
    file is never used. Data that has no stable published checksum (a live
    export, a folder a user brings) must say so explicitly with
    `unverified=True`; `fetch` then accepts whatever it downloads and warns
    with the sha256 to pin.

    Args:
        name: str. Catalog key: lowercase letters, digits, `.`, `_` or `-`,
            e.g. `"pneumoniamnist"`.
        urls: str or sequence of str. Download URLs (`http`, `https` or
            `file`), tried in order: the first is the primary, the others
            are mirrors.
        filename: str. Name of the file on disk, without folders. Defaults
            to the last path component of the first URL.
        sha256: str. Published SHA-256 hex digest (64 characters).
        md5: str. Published MD5 hex digest (32 characters), for publishers
            that only give MD5 (Zenodo, Keras weight files, MONAI).
        size: int. Size in bytes, if known. Used for the progress bar when
            the server sends no `Content-Length`, and shown in messages.
        license: str. Licence of the data, e.g. `"CC BY 4.0"`.
        citation: str. How to cite the data (paper, DOI).
        description: str. What the data is and where its checksum comes
            from.
        layout: str. What is inside the file (arrays and shapes, folders).
        extract: bool or str. Whether `fetch` extracts the file: `False`,
            `True` (archive kind guessed from `filename`), or one of
            `"zip"`, `"tar"` (any compression), `"tar.gz"`/`"tgz"`, `"gz"`
            (a single gzip-compressed file). Stored as the kind string or
            `False`. Defaults to `False`.
        unverified: bool. Set to `True` to allow an entry without any
            checksum. Defaults to `False`.

    Raises:
        ValueError: if an argument is malformed; the message names it, says
            what is expected and shows the received value.

    Example:

    >>> entry = DatasetEntry(
    ...     "toy",
    ...     "https://example.org/data/toy.npz",
    ...     sha256="0" * 64,
    ...     license="CC0",
    ... )
    >>> entry.filename
    'toy.npz'
    """

    name: str
    urls: tuple
    _: dataclasses.KW_ONLY
    filename: str = None
    sha256: str = None
    md5: str = None
    size: int = None
    license: str = ""
    citation: str = ""
    description: str = ""
    layout: str = ""
    extract: object = False
    unverified: bool = False

    def __post_init__(self):
        def set_field(field_name, value):
            object.__setattr__(self, field_name, value)

        if not isinstance(self.name, str) or not _NAME_PATTERN.match(self.name):
            raise ValueError(
                "`name` must be a lowercase identifier made of letters, digits, "
                "'.', '_' or '-' and starting with a letter or digit, e.g. "
                f"'pneumoniamnist'. Received: name={self.name!r}"
            )

        urls = (self.urls,) if isinstance(self.urls, str) else self.urls
        try:
            urls = tuple(urls)
        except TypeError:
            urls = None
        if not urls or not all(isinstance(url, str) for url in urls):
            raise ValueError(
                "`urls` must be a URL string or a non-empty sequence of URL "
                f"strings (mirrors, tried in order). Received: urls={self.urls!r}"
            )
        for url in urls:
            _check_url(url, argument="urls")
        set_field("urls", urls)

        filename = self.filename
        if filename is None:
            filename = _filename_from_url(urls[0])
        if (
            not isinstance(filename, str)
            or filename in ("", ".", "..")
            or "/" in filename
            or "\\" in filename
        ):
            raise ValueError(
                "`filename` must be a plain file name without folders, e.g. "
                "'data.npz' (it is derived from the first URL when omitted). "
                f"Received: filename={filename!r}"
            )
        set_field("filename", filename)

        set_field("sha256", _check_digest(self.sha256, "sha256", 64))
        set_field("md5", _check_digest(self.md5, "md5", 32))
        if not isinstance(self.unverified, bool):
            raise ValueError(
                f"`unverified` must be True or False. Received: unverified={self.unverified!r}"
            )
        has_checksum = self.sha256 is not None or self.md5 is not None
        if not has_checksum and not self.unverified:
            raise ValueError(
                f"Dataset entry {self.name!r} needs a checksum: pass `sha256=` or "
                "`md5=` exactly as the publisher gives it (Zenodo, the library "
                "source code, the project's release page). For a file you trust, "
                "compute one with `secuah_dl.datasets.file_digest(path)`. Only for "
                "data without a stable published checksum pass `unverified=True`. "
                "Received: sha256=None, md5=None"
            )
        if has_checksum and self.unverified:
            raise ValueError(
                "`unverified=True` contradicts the checksum given: drop one of them. "
                f"Received: unverified=True, sha256={self.sha256!r}, md5={self.md5!r}"
            )

        if self.size is not None and (
            isinstance(self.size, bool)
            or not isinstance(self.size, int)
            or self.size <= 0
        ):
            raise ValueError(
                "`size` must be a positive int (bytes) or None. "
                f"Received: size={self.size!r}"
            )
        for field_name in ("license", "citation", "description", "layout"):
            value = getattr(self, field_name)
            if not isinstance(value, str):
                raise ValueError(
                    f"`{field_name}` must be a str. Received: {field_name}={value!r}"
                )

        kind = _normalize_kind(self.extract, filename, argument="extract")
        set_field("extract", kind or False)
        if kind and filename.casefold() == self.name.casefold():
            raise ValueError(
                "When `extract` is set, `filename` must differ from `name`: the "
                "archive is kept as <data_dir>/<filename> and extracted into "
                f"<data_dir>/<name>/. Received: name={self.name!r}, filename={filename!r}"
            )

    @property
    def checksum(self):
        """tuple of (algorithm, hex digest) for the strongest known checksum, or None."""
        if self.sha256:
            return ("sha256", self.sha256)
        if self.md5:
            return ("md5", self.md5)
        return None


_REGISTRY = {}
CATALOG = types.MappingProxyType(_REGISTRY)
"""Read-only view `{name: DatasetEntry}` of the catalog; add entries with `register`."""


def register(entry, *, overwrite=False):
    """Adds an entry to the catalog.

    Practicals register the files they need at import time of their module,
    e.g. `ENTRY = datasets.register(datasets.DatasetEntry(...))`.

    Args:
        entry: `DatasetEntry`. The entry to add.
        overwrite: bool. Replace an existing entry of the same name instead
            of raising. Defaults to `False`.

    Returns:
        The entry, so registration can be used as an expression.

    Raises:
        TypeError: if `entry` is not a `DatasetEntry`.
        ValueError: if an entry with the same name exists and `overwrite` is
            `False`.

    Example:

    >>> entry = register(DatasetEntry("toy", "https://example.org/toy.npz",
    ...                               sha256="0" * 64), overwrite=True)
    >>> get_entry("toy") is entry
    True
    """
    if not isinstance(entry, DatasetEntry):
        raise TypeError(
            "`entry` must be a `secuah_dl.datasets.DatasetEntry`. "
            f"Received: entry={entry!r} of type {type(entry).__name__}"
        )
    if entry.name in _REGISTRY and not overwrite:
        existing = _REGISTRY[entry.name]
        if existing == entry:
            return existing
        raise ValueError(
            f"A different catalog entry named {entry.name!r} is already registered "
            f"(file {existing.filename!r} from {existing.urls[0]}). Choose another "
            "name, or pass `overwrite=True` to replace it. "
            f"Received: entry.name={entry.name!r}"
        )
    _REGISTRY[entry.name] = entry
    return entry


def get_entry(name):
    """Returns the catalog entry called `name`.

    Args:
        name: str or `DatasetEntry`. Catalog name (case-insensitive). An entry
            is returned unchanged.

    Returns:
        The `DatasetEntry`.

    Raises:
        ValueError: if no entry has that name; the message lists the known
            names.

    Example:

    >>> get_entry("mnist").filename
    'mnist.npz'
    """
    if isinstance(name, DatasetEntry):
        return name
    if not isinstance(name, str):
        raise ValueError(
            "`name` must be a catalog name (str) or a DatasetEntry. "
            f"Received: name={name!r}"
        )
    entry = _REGISTRY.get(name.strip().lower())
    if entry is None:
        raise ValueError(
            f"Unknown dataset {name!r}. Known names: {', '.join(list_entries())}. "
            "Register new files with `secuah_dl.datasets.register(DatasetEntry(...))`. "
            f"Received: name={name!r}"
        )
    return entry


def list_entries():
    """Returns the names of the catalog entries, sorted.

    Returns:
        list of str.

    Example:

    >>> "pneumoniamnist" in list_entries()
    True
    """
    return sorted(_REGISTRY)


# --------------------------------------------------------------------------
# Cache location
# --------------------------------------------------------------------------


def _checkout_root():
    """Returns the source checkout holding the package, or None when installed."""
    root = _PACKAGE_DIR.parent
    if (root / "setup.cfg").is_file() and (root / "datasets").is_dir():
        return root
    return None


def _resolve_data_dir():
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    root = _checkout_root()
    if root is not None:
        return root / "datasets" / "cache"
    cache_home = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(cache_home).expanduser() if cache_home else Path.home() / ".cache"
    return base / "secuah_dl"


def data_dir(create=True):
    """Returns the folder where downloads are cached.

    The first that applies wins:

    1. the environment variable `SECUAH_DL_DATA`, when set and not empty;
    2. `<checkout>/datasets/cache` when the package runs from a source
       checkout (a `setup.cfg` next to the package folder and a `datasets/`
       folder there); that folder is git-ignored;
    3. `$XDG_CACHE_HOME/secuah_dl`, by default `~/.cache/secuah_dl`.

    Args:
        create: bool. Create the folder (and its parents) if missing.
            Defaults to `True`.

    Returns:
        `pathlib.Path` of the cache folder.

    Raises:
        PermissionError: if the folder cannot be created; the message says
            how to point `SECUAH_DL_DATA` elsewhere.

    Example:

    >>> import os
    >>> os.environ["SECUAH_DL_DATA"] = "/tmp/my_data"
    >>> str(data_dir(create=False))
    '/tmp/my_data'
    """
    directory = _resolve_data_dir()
    if create:
        _create_folder(directory)
    return directory


def _create_folder(directory):
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PermissionError(
            f"Cannot create the data folder {directory} ({error}). Pass another "
            f"`data_dir=`, or point the environment variable {DATA_DIR_ENV} to a "
            f"writable folder, e.g. `export {DATA_DIR_ENV}=$HOME/secuah_data`."
        ) from error
    return directory


# --------------------------------------------------------------------------
# Reachability
# --------------------------------------------------------------------------


def _check_url(url, *, argument):
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in _URL_SCHEMES:
        raise ValueError(
            f"`{argument}` must use one of the schemes {', '.join(_URL_SCHEMES)}, "
            f"e.g. 'https://zenodo.org/records/1/files/x.npz'. Received: {argument}={url!r}"
        )
    if parsed.scheme in ("http", "https") and not parsed.hostname:
        raise ValueError(
            f"`{argument}` must name a host, e.g. 'https://example.org/file.zip'. "
            f"Received: {argument}={url!r}"
        )
    if parsed.scheme == "file" and not parsed.path:
        raise ValueError(
            f"`{argument}` must be a file URL with a path, e.g. 'file:///data/x.npz' "
            f"(`pathlib.Path(p).as_uri()` builds one). Received: {argument}={url!r}"
        )
    return parsed


def _filename_from_url(url):
    path = urllib.parse.urlsplit(url).path
    return urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1])


def _file_url_path(parsed):
    if parsed.netloc not in ("", "localhost"):
        return None
    return Path(urllib.request.url2pathname(parsed.path))


def _probe_target(parsed):
    """Returns the (host, port) a connection to `parsed` goes through."""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    host = parsed.hostname
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_parsed = urllib.parse.urlsplit(
            proxy if "://" in proxy else "http://" + proxy
        )
        if proxy_parsed.hostname:
            default = 443 if proxy_parsed.scheme == "https" else 80
            return proxy_parsed.hostname, proxy_parsed.port or default
    return host, port


def _resolve(host, port, timeout):
    """getaddrinfo bounded by `timeout` (it has no timeout of its own)."""
    outcome = {}

    def target():
        try:
            outcome["addresses"] = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as error:
            outcome["error"] = error

    worker = threading.Thread(target=target, name="secuah_dl-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return None, f"DNS lookup of {host} took more than {timeout:g} s"
    if "error" in outcome:
        return None, f"DNS lookup of {host} failed: {outcome['error']}"
    return outcome["addresses"], None


def _probe_reason(url, timeout):
    """Returns None when `url` is reachable, else a short reason."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":
        path = _file_url_path(parsed)
        if path is None:
            return f"file URL with a remote host ({parsed.netloc}) is not supported"
        return None if path.exists() else f"{path} does not exist"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"not an http(s) or file URL: {url}"
    deadline = time.monotonic() + timeout
    host, port = _probe_target(parsed)
    addresses, reason = _resolve(host, port, timeout)
    if addresses is None:
        return reason
    last_error = None
    for family, kind, proto, _, address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return f"no TCP connection to {host}:{port} within {timeout:g} s"
        try:
            with socket.socket(family, kind, proto) as connection:
                connection.settimeout(remaining)
                connection.connect(address)
            return None
        except OSError as error:
            last_error = error
    return f"cannot connect to {host}:{port}: {last_error}"


def probe(url, timeout=2.0):
    """Checks quickly whether a URL's server can be reached.

    For `http(s)` URLs this resolves the host and opens a TCP connection to
    its port (or to the configured proxy), without sending a request; both
    steps together take at most about `timeout` seconds, even when DNS
    hangs. For `file://` URLs it checks that the path exists.

    Args:
        url: str. The URL to check.
        timeout: float. Seconds to wait at most. Defaults to `2.0`.

    Returns:
        bool. `True` when a download could start.

    Raises:
        ValueError: if `timeout` is not a positive number.

    Example:

    >>> probe("file:///")
    True
    """
    _check_timeout(timeout)
    return _probe_reason(url, timeout) is None


def _check_timeout(timeout, argument="timeout"):
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or timeout <= 0
    ):
        raise ValueError(
            f"`{argument}` must be a positive number of seconds. "
            f"Received: {argument}={timeout!r}"
        )


def _by_hand(put_here, checksum=None):
    if put_here is None:
        return (
            "Connect to the internet, or download the file on a machine that has "
            "access and copy it where the calling code expects it "
            "(see docs/datasets.md, 'Working offline')."
        )
    text = (
        "To work offline, download it on a machine with internet access and copy "
        f"it to:\n    {put_here}\nthen run this again."
    )
    if checksum is not None:
        algorithm, digest = checksum
        text += (
            f" It is checked against {algorithm} {digest} before use "
            f"(`secuah_dl.datasets.verify(path, {algorithm}='{digest}')`)."
        )
    return text


def require_online(what, url, *, put_here=None, timeout=2.0):
    """Fails at once, with instructions, when `url` cannot be reached.

    Call it right before a library call that downloads on its own
    (`tfds.load`, `keras.datasets.*.load_data`, `keras.applications.*`):
    offline, those retry for minutes before failing, while this raises in a
    second or two with a message that says which file to place where.

    Args:
        what: str. What is being fetched, in words, e.g.
            `"VGG16 ImageNet weights"`.
        url: str. The URL the library will download from.
        put_here: str or `pathlib.Path`. Where a copy placed by hand is
            picked up (file or folder), shown in the message. Optional.
        timeout: float. Seconds for the probe. Defaults to `2.0`.

    Returns:
        None when the URL is reachable.

    Raises:
        OfflineError: if the URL is not reachable.
        ValueError: if `url` is not an http(s) or file URL or `timeout` is
            not positive.

    Example:

    ```python
    datasets.require_online(
        "MNIST (keras.datasets)",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        put_here=datasets.keras_cache_path("datasets", "mnist.npz"),
    )
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    ```
    """
    if not isinstance(url, str):
        raise ValueError(f"`url` must be a str. Received: url={url!r}")
    _check_url(url, argument="url")
    _check_timeout(timeout)
    start = time.monotonic()
    reason = _probe_reason(url, timeout)
    if reason is None:
        return None
    elapsed = time.monotonic() - start
    raise OfflineError(
        f"Cannot download {what}: {url} is not reachable from this machine "
        f"({reason}; checked in {elapsed:.1f} s). {_by_hand(put_here)}",
        urls=(url,),
        put_here=put_here,
    )


def _keras_home():
    """Mirrors how Keras 3 picks its cache root (`keras.src.backend.config`)."""
    configured = os.environ.get("KERAS_HOME")
    if configured:
        base = Path(configured).expanduser()
    else:
        home = os.path.expanduser("~")
        base = Path(home if os.access(home, os.W_OK) else "/tmp") / ".keras"
    # keras.utils.get_file falls back to /tmp/.keras when the root is not writable.
    probe_dir = base
    while not probe_dir.exists() and probe_dir.parent != probe_dir:
        probe_dir = probe_dir.parent
    if not os.access(probe_dir, os.W_OK):
        return Path("/tmp") / ".keras"
    return base


def keras_cache_path(subdir, filename):
    """Returns where `keras.utils.get_file` caches a file.

    That is `~/.keras/<subdir>/<filename>`, or `$KERAS_HOME/<subdir>/<filename>`
    when the variable is set (Keras reads it when it is first imported), with
    Keras' own fallback to `/tmp/.keras` when the folder is not writable.
    `keras.datasets` use `subdir="datasets"`, `keras.applications` weights use
    `subdir="models"`. Nothing is created.

    Args:
        subdir: str. Sub-folder of the Keras cache, e.g. `"models"`.
        filename: str. File name, e.g. `"mnist.npz"`.

    Returns:
        `pathlib.Path`.

    Raises:
        ValueError: if `subdir` or `filename` is empty, absolute or contains
            `..`.

    Example:

    >>> keras_cache_path("datasets", "mnist.npz").name
    'mnist.npz'
    """
    for argument, value in (("subdir", subdir), ("filename", filename)):
        parts = (
            str(value).replace("\\", "/").split("/") if isinstance(value, str) else []
        )
        if (
            not isinstance(value, str)
            or not value
            or value.startswith(("/", "\\"))
            or ".." in parts
        ):
            raise ValueError(
                f"`{argument}` must be a relative name inside the Keras cache, e.g. "
                f"'models' or 'mnist.npz'. Received: {argument}={value!r}"
            )
    return _keras_home() / subdir / filename


def ensure_keras_file(subdir, filename, url, what, *, file_hash=None, timeout=2.0):
    """Checks that Keras can get a file before Keras tries to download it.

    Returns the cached path when the file is already in the Keras cache
    (and matches `file_hash`, if given); then Keras will not download.
    Otherwise probes `url` and raises `OfflineError` at once when it is
    unreachable, naming the exact cache path to copy the file to. When the
    URL is reachable it returns `None` and the caller lets Keras download.

    Args:
        subdir: str. Keras cache sub-folder: `"models"` for
            `keras.applications` weights, `"datasets"` for `keras.datasets`.
        filename: str. The file name Keras uses.
        url: str. The URL Keras downloads from.
        what: str. What the file is, in words, for the message.
        file_hash: str. Optional md5 (32 hex) or sha256 (64 hex) digest, as
            in `keras.utils.get_file`; a cached file that does not match is
            treated as missing (Keras would download it again).
        timeout: float. Seconds for the probe. Defaults to `2.0`.

    Returns:
        `pathlib.Path` of the cached file, or `None` when Keras has to (and
        can) download it.

    Raises:
        OfflineError: if the file is not cached and `url` is unreachable.

    Example:

    ```python
    entry = datasets.get_entry("vgg16_imagenet_notop")
    datasets.ensure_keras_file("models", entry.filename, entry.urls[0],
                               "VGG16 ImageNet weights (include_top=False)")
    base_model = keras.applications.VGG16(include_top=False, weights="imagenet")
    ```
    """
    path = keras_cache_path(subdir, filename)
    algorithm = None
    if file_hash is not None:
        algorithm = (
            "sha256"
            if isinstance(file_hash, str) and len(file_hash.strip()) == 64
            else "md5"
        )
        file_hash = _check_digest(
            file_hash, "file_hash", 64 if algorithm == "sha256" else 32
        )
    if path.is_file():
        if file_hash is None or file_digest(path, algorithm) == file_hash:
            return path
        what = (
            f"{what} (the cached copy at {path} does not match {algorithm} {file_hash})"
        )
    require_online(what, url, put_here=path, timeout=timeout)
    return None


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------


def _check_digest(value, algorithm, length):
    if value is None:
        return None
    if isinstance(value, str):
        cleaned = value.strip().lower()
        if len(cleaned) == length and _HEX_PATTERN.match(cleaned):
            return cleaned
    raise ValueError(
        f"`{algorithm}` must be a hex digest of {length} characters, as published "
        f"with the file. Received: {algorithm}={value!r}"
    )


def file_digest(path, algorithm="sha256", *, chunk_size=_CHUNK_SIZE):
    """Computes a file's hex digest, reading it in chunks.

    Args:
        path: str or `pathlib.Path`. The file.
        algorithm: str. Any `hashlib` algorithm name, e.g. `"sha256"` or
            `"md5"`. Defaults to `"sha256"`.
        chunk_size: int. Bytes read at a time. Defaults to 1 MiB.

    Returns:
        str. The lowercase hex digest.

    Raises:
        ValueError: if `algorithm` is unknown to `hashlib`.
        FileNotFoundError: if `path` does not exist.

    Example:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> path.write_bytes(b"")
    0
    >>> file_digest(path, "md5")
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    if (
        not isinstance(algorithm, str)
        or algorithm.lower() not in hashlib.algorithms_available
    ):
        raise ValueError(
            "`algorithm` must be a hashlib algorithm such as 'sha256' or 'md5'. "
            f"Received: algorithm={algorithm!r}"
        )
    try:
        hasher = hashlib.new(algorithm.lower(), usedforsecurity=False)
    except TypeError:  # pragma: no cover - very old OpenSSL builds
        hasher = hashlib.new(algorithm.lower())
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def verify(path, *, sha256=None, md5=None):
    """Checks a file against its published checksum(s).

    Args:
        path: str or `pathlib.Path`. The file.
        sha256: str. Expected SHA-256 hex digest.
        md5: str. Expected MD5 hex digest. When both are given, both are
            checked.

    Returns:
        str. The file's hex digest (the sha256 one when `sha256` is given,
        else the md5 one).

    Raises:
        ValueError: if neither `sha256` nor `md5` is given or one is
            malformed.
        FileNotFoundError: if `path` does not exist.
        ChecksumError: if a digest differs; the message names the file, the
            expected and the received digests.

    Example:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> path.write_bytes(b"")
    0
    >>> verify(path, md5="d41d8cd98f00b204e9800998ecf8427e")
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    sha256 = _check_digest(sha256, "sha256", 64)
    md5 = _check_digest(md5, "md5", 32)
    if sha256 is None and md5 is None:
        raise ValueError(
            "`verify` needs the expected digest: pass `sha256=` or `md5=`. "
            "Received: sha256=None, md5=None"
        )
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Cannot verify {path}: no such file.")
    result = None
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        received = file_digest(path, algorithm)
        if received != expected:
            raise ChecksumError(
                f"{path} does not match its published {algorithm}: expected "
                f"{expected}, received {received} ({path.stat().st_size} bytes). "
                "The file is truncated, corrupted or a different version.",
                path=path,
                algorithm=algorithm,
                expected=expected,
                received=received,
            )
        result = received
    return result


def _verify_entry(entry, path):
    return verify(path, sha256=entry.sha256, md5=entry.md5)


# --------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------


def _progress_bar(total, description, enabled):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not enabled,
        leave=True,
    )


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _create_unique(parent, prefix, suffix, *, directory=False):
    """Creates a new file (returns path, fd) or folder (path, None) in `parent`.

    Unlike `tempfile`, which creates 0600 files and 0700 folders, the user's
    umask applies, so cached data gets the same permissions as any other file.
    """
    for _ in range(100):
        path = os.path.join(parent, f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            if directory:
                os.mkdir(path, 0o777)
                return path, None
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return path, os.open(path, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary name in {parent}.")


def _download_to_temp(url, folder, filename, *, timeout, progress, expected_size):
    """Streams `url` into a hidden temp file in `folder`; returns its Path.

    The temp file is removed on any failure, so nothing partial is left.
    """
    temp_name, handle = _create_unique(folder, f".{filename}.", ".part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with (
            os.fdopen(handle, "wb") as output,
            urllib.request.urlopen(request, timeout=timeout) as response,
        ):
            header = response.headers.get("Content-Length")
            length = int(header) if header and header.strip().isdigit() else None
            if response.headers.get("Content-Encoding") not in (None, "identity"):
                length = None
            received = 0
            with _progress_bar(length or expected_size, filename, progress) as bar:
                while True:
                    chunk = response.read(_CHUNK_SIZE)
                    if not chunk:
                        break
                    output.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if length is not None and received != length:
                raise OSError(f"truncated: received {received} of {length} bytes")
        return Path(temp_name)
    except BaseException:
        _unlink_quietly(temp_name)
        raise


def _describe_failure(error):
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{error.reason}"
    return f"{type(error).__name__}: {error}"


def _normalize_kind(value, filename, *, argument):
    if value is None or value is False:
        return None
    if value is True:
        lowered = filename.lower()
        for suffix, kind in _SUFFIX_KINDS:
            if lowered.endswith(suffix):
                return kind
        raise ValueError(
            f"`{argument}=True` needs a file name ending in an archive suffix "
            "(.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .gz) to know how to "
            f"extract it; give the kind instead ({', '.join(map(repr, ARCHIVE_KINDS))}). "
            f"Received: {argument}=True, filename={filename!r}"
        )
    if isinstance(value, str):
        kind = _KIND_ALIASES.get(value.lower(), value.lower())
        if kind in ARCHIVE_KINDS:
            return kind
    raise ValueError(
        f"`{argument}` must be False, True or one of {', '.join(map(repr, ARCHIVE_KINDS))} "
        f"(or 'tgz'). Received: {argument}={value!r}"
    )


def _ensure_file(entry, folder, *, force, progress, timeout, extracted_to=None):
    """Returns a verified copy of `entry` in `folder`, downloading it if needed."""
    final = folder / entry.filename
    by_hand = _by_hand(final, entry.checksum)
    if extracted_to is not None:
        by_hand += (
            f" It is then extracted into {extracted_to}/; a folder already "
            "extracted there by hand is used as is."
        )
    if final.exists() and not force:
        if entry.checksum is None:
            return final
        try:
            _verify_entry(entry, final)
        except ChecksumError as error:
            raise ChecksumError(
                f"{final} already exists but does not match the catalog entry "
                f"{entry.name!r}: expected {error.algorithm} {error.expected}, received "
                f"{error.received}. secuah_dl gives this name only to downloads that "
                "passed verification, so this copy was placed or changed by hand and "
                "is left untouched: it is probably truncated or a different version. "
                "Delete or rename it and run again, or call `fetch(..., force=True)` "
                "to download a fresh copy over it.",
                path=final,
                algorithm=error.algorithm,
                expected=error.expected,
                received=error.received,
            ) from None
        return final

    start = time.monotonic()
    probe_timeout = min(PROBE_TIMEOUT, timeout)
    unreachable = {}
    for url in entry.urls:
        reason = _probe_reason(url, probe_timeout)
        if reason is not None:
            unreachable[url] = reason
    if len(unreachable) == len(entry.urls):
        tried = "\n".join(
            f"  - {url} ({reason})" for url, reason in unreachable.items()
        )
        raise OfflineError(
            f"Cannot download {entry.name!r} ({entry.filename}"
            f"{_size_text(entry.size)}): no mirror is reachable (checked in "
            f"{time.monotonic() - start:.1f} s):\n{tried}\n{by_hand}",
            urls=entry.urls,
            put_here=final,
        )

    failures = dict(unreachable)
    for url in entry.urls:
        if url in unreachable:
            continue
        try:
            temp = _download_to_temp(
                url,
                folder,
                entry.filename,
                timeout=timeout,
                progress=progress,
                expected_size=entry.size,
            )
        except (OSError, ValueError, http.client.HTTPException) as error:
            failures[url] = _describe_failure(error)
            continue
        try:
            if entry.checksum is None:
                digest = file_digest(temp, "sha256")
                warnings.warn(
                    f"{entry.filename} for the unverified entry {entry.name!r} was "
                    f"downloaded without a checksum; its sha256 is {digest}. Pin it "
                    "with `sha256=` in the DatasetEntry once you trust the file.",
                    stacklevel=3,
                )
            else:
                _verify_entry(entry, temp)
        except ChecksumError as error:
            corrupt = folder / f"{entry.filename}.corrupt"
            os.replace(temp, corrupt)
            raise ChecksumError(
                f"Downloaded {url} for {entry.name!r}, but it does not match the "
                f"published {error.algorithm}: expected {error.expected}, received "
                f"{error.received}. The download was kept as {corrupt} for "
                f"inspection; it is not used and {final} was not created. Run again "
                "if the transfer was interrupted; if it fails again the publisher "
                "may have changed the file: check the entry's source and update "
                "its checksum.",
                path=corrupt,
                algorithm=error.algorithm,
                expected=error.expected,
                received=error.received,
            ) from None
        except BaseException:
            _unlink_quietly(temp)
            raise
        os.replace(temp, final)
        return final

    tried = "\n".join(f"  - {url} ({failures[url]})" for url in entry.urls)
    raise DownloadError(
        f"Cannot download {entry.name!r} ({entry.filename}): every mirror failed:\n"
        f"{tried}\n{by_hand}",
        urls=entry.urls,
        put_here=final,
    )


def _size_text(size):
    if not size:
        return ""
    return f", {size / 2**20:.1f} MiB"


def fetch(
    name_or_entry,
    *,
    data_dir=None,
    extract=None,
    force=False,
    progress=True,
    timeout=30.0,
):
    """Downloads a catalog file once, verifies it and returns its local path.

    When `<data_dir>/<filename>` already exists and matches the published
    checksum, it is returned without touching the network, so a file copied
    there by hand is used as is. Otherwise the mirrors are probed first
    (offline this fails within seconds with `OfflineError`), then the file is
    streamed into a hidden temporary file next to its final place, with a
    progress bar, verified, and renamed into place. A mirror answering with
    an HTTP or network error is skipped for the next one. An interrupted
    download never leaves a file under the final name.

    Archives are extracted with `safe_extract` into `<data_dir>/<name>/`;
    once that folder exists it is returned directly.

    Args:
        name_or_entry: str or `DatasetEntry`. A catalog name (see
            `list_entries()`) or an entry.
        data_dir: str or `pathlib.Path`. Folder to download into. Defaults
            to `data_dir()` (the `SECUAH_DL_DATA` variable, the checkout's
            `datasets/cache`, or `~/.cache/secuah_dl`).
        extract: bool or str. Overrides the entry's `extract` (`False`,
            `True` or an archive kind). Defaults to the entry's setting.
        force: bool. Download again even when a copy exists, replacing it
            (and the extracted folder) once the new copy verifies. Defaults
            to `False`.
        progress: bool. Show a tqdm progress bar. Defaults to `True`.
        timeout: float. Socket timeout in seconds for the download (per
            connection attempt and per read). Defaults to `30.0`.

    Returns:
        `pathlib.Path` of the file, or of the extracted folder when
        extracting.

    Raises:
        OfflineError: if no mirror is reachable; the message lists the
            mirrors and where to place the file by hand.
        DownloadError: if every reachable mirror failed (HTTP error,
            truncated transfer).
        ChecksumError: if the download does not match the published
            checksum (it is kept as `<filename>.corrupt`), or if a file
            already in place does not match (it is left untouched; use
            `force=True` to replace it).
        UnsafeArchiveError: if the archive holds members that would escape
            the target folder.
        ValueError: for unknown names or malformed arguments, and for
            archives that cannot be read.

    Example:

    ```python
    path = datasets.fetch("pneumoniamnist")
    with np.load(path) as data:
        train_images = data["train_images"]
    ```
    """
    entry = get_entry(name_or_entry)
    if not isinstance(force, bool):
        raise ValueError(f"`force` must be True or False. Received: force={force!r}")
    _check_timeout(timeout)
    kind = _normalize_kind(
        entry.extract if extract is None else extract,
        entry.filename,
        argument="extract",
    )
    if kind and entry.filename.casefold() == entry.name.casefold():
        raise ValueError(
            "Cannot extract an entry whose `filename` equals its `name`: the archive "
            "and the extracted folder would share a path. "
            f"Received: name={entry.name!r}, filename={entry.filename!r}"
        )
    folder = (
        Path(data_dir).expanduser() if data_dir is not None else _resolve_data_dir()
    )
    _create_folder(folder)

    target = folder / entry.name
    if kind and not force and target.is_dir() and any(target.iterdir()):
        return target
    archive = _ensure_file(
        entry,
        folder,
        force=force,
        progress=progress,
        timeout=timeout,
        extracted_to=target if kind else None,
    )
    if not kind:
        return archive
    return safe_extract(archive, target, kind=kind, overwrite=force)


# --------------------------------------------------------------------------
# Safe extraction
# --------------------------------------------------------------------------


def _guess_kind(archive):
    lowered = archive.name.lower()
    for suffix, kind in _SUFFIX_KINDS:
        if lowered.endswith(suffix):
            return kind
    if zipfile.is_zipfile(archive):
        return "zip"
    try:
        if tarfile.is_tarfile(archive):
            return "tar"
    except OSError:
        pass
    raise ValueError(
        f"Cannot tell what kind of archive {archive} is from its name or content. "
        f"Pass `kind=` (one of {', '.join(map(repr, ARCHIVE_KINDS))}). "
        f"Received: archive={str(archive)!r}"
    )


def _member_problem(name):
    """Returns why a member name is unsafe, or None."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized):
        return "has an absolute path"
    if ".." in normalized.split("/"):
        return "contains '..' and would escape the target folder"
    if "\x00" in normalized:
        return "contains a NUL character"
    return None


def _escapes(root, path):
    root = os.path.realpath(root)
    path = os.path.realpath(path)
    return os.path.commonpath([root, path]) != root


def _lexically_outside(member_dir, link_target):
    """Whether `link_target` (relative to member_dir, both archive-relative) escapes."""
    joined = os.path.normpath(os.path.join("/__root__", member_dir, link_target))
    return not (joined == "/__root__" or joined.startswith("/__root__/"))


def _unsafe(archive, member, reason):
    return UnsafeArchiveError(
        f"Refusing to extract {archive}: member {member!r} {reason}. Nothing was "
        "extracted. Archives from the catalog never contain such members; the "
        "file may have been tampered with or is not the expected one.",
        archive=archive,
        member=member,
    )


def _check_tar_members(archive, members):
    for member in members:
        problem = _member_problem(member.name)
        if problem:
            raise _unsafe(archive, member.name, problem)
        if member.ischr() or member.isblk() or member.isfifo():
            raise _unsafe(archive, member.name, "is a device or FIFO special file")
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise _unsafe(
                archive, member.name, f"has unsupported tar type {member.type!r}"
            )
        if member.issym() or member.islnk():
            link = member.linkname.replace("\\", "/")
            kind = "symlink" if member.issym() else "hard link"
            if link.startswith("/") or re.match(r"^[A-Za-z]:", link):
                raise _unsafe(
                    archive,
                    member.name,
                    f"is a {kind} to an absolute path ({member.linkname})",
                )
            base = (
                os.path.dirname(member.name.replace("\\", "/"))
                if member.issym()
                else ""
            )
            if _lexically_outside(base, link):
                raise _unsafe(
                    archive,
                    member.name,
                    f"is a {kind} pointing outside the target ({member.linkname})",
                )


def _extract_tar_manually(archive, tar, members, root):
    """Extraction for Pythons without tarfile's `filter="data"` (before 3.10.12)."""
    for member in members:
        relative = member.name.replace("\\", "/")
        while relative.startswith("./"):
            relative = relative[2:]
        relative = relative.rstrip("/")
        if relative in ("", "."):
            continue
        destination = os.path.join(root, relative)
        if _escapes(root, destination):
            raise _unsafe(
                archive,
                member.name,
                "would be written outside the target through a link",
            )
        if member.isdir():
            os.makedirs(destination, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        if member.issym():
            if _escapes(
                root, os.path.join(os.path.dirname(destination), member.linkname)
            ):
                raise _unsafe(
                    archive,
                    member.name,
                    f"is a symlink pointing outside the target ({member.linkname})",
                )
            os.symlink(member.linkname, destination)
        elif member.islnk():
            source = os.path.join(root, member.linkname)
            if _escapes(root, source) or not os.path.isfile(source):
                raise _unsafe(
                    archive,
                    member.name,
                    f"is a hard link to a missing or outside file ({member.linkname})",
                )
            shutil.copyfile(source, destination)
        else:
            with tar.extractfile(member) as source, open(destination, "wb") as output:
                shutil.copyfileobj(source, output, _CHUNK_SIZE)
            os.chmod(destination, 0o755 if member.mode & stat.S_IXUSR else 0o644)


def _extract_tar(archive, root):
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        _check_tar_members(archive, members)
        if _HAS_DATA_FILTER:
            try:
                tar.extractall(root, members=members, filter="data")
            except tarfile.FilterError as error:
                member = getattr(error, "tarinfo", None)
                raise _unsafe(
                    archive,
                    getattr(member, "name", "?"),
                    f"was refused by tarfile's data filter ({error})",
                ) from error
        else:
            _extract_tar_manually(archive, tar, members, root)


def _extract_zip(archive, root):
    with zipfile.ZipFile(archive) as bundle:
        infos = bundle.infolist()
        for info in infos:
            problem = _member_problem(info.filename)
            if problem:
                raise _unsafe(archive, info.filename, problem)
            mode = info.external_attr >> 16
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
                raise _unsafe(
                    archive, info.filename, "is a device or FIFO special file"
                )
            if stat.S_ISLNK(mode):
                link = bundle.read(info).decode("utf-8", "replace").replace("\\", "/")
                base = os.path.dirname(info.filename.rstrip("/"))
                if link.startswith("/") or _lexically_outside(base, link):
                    raise _unsafe(
                        archive,
                        info.filename,
                        f"is a symlink pointing outside the target ({link})",
                    )
        for info in infos:
            if _escapes(root, os.path.join(root, info.filename)):
                raise _unsafe(
                    archive, info.filename, "would be written outside the target"
                )
            bundle.extract(info, root)


def _extract_gz(archive, root):
    name = (
        archive.name[:-3]
        if archive.name.lower().endswith(".gz")
        else archive.name + ".out"
    )
    with (
        gzip.open(archive, "rb") as source,
        open(os.path.join(root, name or "data"), "wb") as output,
    ):
        shutil.copyfileobj(source, output, _CHUNK_SIZE)


_EXTRACTORS = {
    "zip": _extract_zip,
    "tar": _extract_tar,
    "tar.gz": _extract_tar,
    "gz": _extract_gz,
}
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.ReadError,
    tarfile.CompressionError,
    gzip.BadGzipFile,
    EOFError,
    zlib.error,
    NotImplementedError,
)


def safe_extract(archive, target, *, kind=None, overwrite=False):
    """Extracts an archive without letting any member escape `target`.

    Supports zip, tar (plain, gzip, bzip2 or xz compressed) and single-file
    gzip (`data.csv.gz` becomes `<target>/data.csv`). Before writing anything
    it refuses, with `UnsafeArchiveError`, any member with an absolute path
    or `..` component, any symlink or hard link pointing outside `target`,
    and device or FIFO files. Tar archives are then extracted with tarfile's
    `filter="data"` (Python >= 3.10.12, 3.11.4, 3.12) or an equivalent
    member-by-member extraction on older Pythons.

    Everything is extracted into a hidden temporary folder next to `target`
    and moved into place at the end, so a failure never leaves a
    half-extracted `target`.

    Args:
        archive: str or `pathlib.Path`. The archive file.
        target: str or `pathlib.Path`. Folder to create with the contents.
            It must not exist, or be empty, unless `overwrite=True`.
        kind: str. `"zip"`, `"tar"`, `"tar.gz"` (or `"tgz"`) or `"gz"`.
            Defaults to guessing from the file name, then the content.
        overwrite: bool. Replace an existing non-empty `target` (only after
            the new extraction succeeded). Defaults to `False`.

    Returns:
        `pathlib.Path` of `target`.

    Raises:
        UnsafeArchiveError: if a member would escape `target` or is a special
            file; nothing is extracted.
        ValueError: if the archive is corrupt or not of the expected kind
            (the original `zipfile`/`tarfile` error is chained), or `target`
            exists and is not empty while `overwrite=False`.
        FileNotFoundError: if `archive` does not exist.

    Example:

    ```python
    folder = datasets.safe_extract("MedNIST.tar.gz", "mednist")
    ```
    """
    archive = Path(archive)
    target = Path(target)
    if not archive.is_file():
        raise FileNotFoundError(f"Cannot extract {archive}: no such file.")
    kind = (
        _guess_kind(archive)
        if kind is None
        else _normalize_kind(kind, archive.name, argument="kind")
    )
    if target.exists() and not target.is_dir():
        raise ValueError(
            f"`target` must be a folder to create, but {target} is a file. "
            f"Received: target={str(target)!r}"
        )
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ValueError(
            f"`target` {target} already exists and is not empty. Delete it, choose "
            "another folder, or pass `overwrite=True`. "
            f"Received: target={str(target)!r}, overwrite=False"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging, _ = _create_unique(
        target.parent, f".{target.name}.", ".partial", directory=True
    )
    try:
        try:
            _EXTRACTORS[kind](archive, staging)
        except UnsafeArchiveError:
            raise
        except _READ_ERRORS as error:
            raise ValueError(
                f"Cannot read {archive} as a {kind} archive ({type(error).__name__}: "
                f"{error}). The file is truncated, corrupted, or not a {kind} file: "
                "delete it and fetch it again, or pass the right `kind=`."
            ) from error
        except OSError as error:
            if isinstance(error, (FileNotFoundError, PermissionError)):
                raise
            raise ValueError(
                f"Cannot read {archive} as a {kind} archive ({type(error).__name__}: "
                f"{error}). The file is truncated, corrupted, or not a {kind} file: "
                "delete it and fetch it again, or pass the right `kind=`."
            ) from error
        _move_into_place(staging, target, overwrite=overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _move_into_place(staging, target, *, overwrite):
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        os.rename(staging, target)
        return
    if not overwrite:
        raise ValueError(
            f"`target` {target} appeared while extracting (another process?). "
            "Delete it and run again, or pass `overwrite=True`."
        )
    retired = tempfile.mkdtemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".old"
    )
    os.rmdir(retired)
    os.rename(target, retired)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


# --------------------------------------------------------------------------
# Seed catalog. Checksums are copied from the sources named in each
# description; sizes come from the publisher's listing or Keras' download log.
# --------------------------------------------------------------------------

_MEDMNIST_RECORD = "https://zenodo.org/records/10519652/files/"
_MEDMNIST_CITATION = (
    "Yang, J., Shi, R., Wei, D., Liu, Z., Zhao, L., Ke, B., Pfister, H., Ni, B. "
    "MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical "
    "image classification. Scientific Data 10, 41 (2023). "
    "doi:10.1038/s41597-022-01721-8"
)
_MEDMNIST_CHECKSUM_SOURCE = (
    "Checksum: the MD5 that the MedMNIST package's `medmnist.INFO` (v3) gives "
    "next to this Zenodo URL"
)


def _medmnist_layout(image_shape, label_shape, train, val, test, labels):
    return (
        "NumPy .npz with uint8 arrays train_images/val_images/test_images of shape "
        f"(N, {image_shape}) and train_labels/val_labels/test_labels of shape "
        f"(N, {label_shape}); N = {train} / {val} / {test}. Labels: {labels}."
    )


def _medmnist(
    name,
    md5,
    *,
    license,
    source,
    layout,
    description,
    sha256=None,
    size=None,
    checksum_note="",
):
    return DatasetEntry(
        name,
        (_MEDMNIST_RECORD + f"{name}.npz?download=1",),
        filename=f"{name}.npz",
        md5=md5,
        sha256=sha256,
        size=size,
        license=license,
        citation=f"{_MEDMNIST_CITATION}. Source data: {source}",
        description=(
            f"{description} The 28x28 release of MedMNIST v2 (Zenodo record "
            f"10519652). {_MEDMNIST_CHECKSUM_SOURCE}{checksum_note}."
        ),
        layout=layout,
    )


_SEED_ENTRIES = (
    DatasetEntry(
        "mnist",
        ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        size=11490434,
        license="CC BY-SA 3.0 (as stated in keras.datasets.mnist)",
        citation=(
            "LeCun, Y., Bottou, L., Bengio, Y., Haffner, P. Gradient-based learning "
            "applied to document recognition. Proc. IEEE 86(11), 2278-2324 (1998)."
        ),
        description=(
            "MNIST handwritten digits, the file `keras.datasets.mnist.load_data()` "
            "uses (Keras caches it as ~/.keras/datasets/mnist.npz). Checksum: the "
            "`file_hash` in keras/src/datasets/mnist.py; size from Keras' download log."
        ),
        layout=(
            "NumPy .npz with uint8 x_train (60000, 28, 28), y_train (60000,), "
            "x_test (10000, 28, 28), y_test (10000,); labels 0-9."
        ),
    ),
    DatasetEntry(
        "mednist",
        (
            "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/download/0.8.1/MedNIST.tar.gz",
        ),
        md5="0bc7306e7427e00ad1c5526a6677552d",
        extract="tar.gz",
        license="CC BY-SA 4.0",
        citation=(
            "MedNIST, gathered from TCIA, the RSNA Bone Age Challenge and the NIH "
            "Chest X-ray dataset; made available by Dr. Bradley J. Erickson (Mayo "
            "Clinic) through Project MONAI."
        ),
        description=(
            "Six-class medical image classification toy set: 58,954 64x64 "
            "grayscale JPEGs (10,000 per class, 8,954 BreastMRI). Checksum: the "
            "md5 in MONAI's `MedNISTDataset` (monai/apps/datasets.py) and in the "
            "MONAI 2D classification tutorial that downloads this URL."
        ),
        layout=(
            "gzip tar with one folder MedNIST/ holding one sub-folder per class "
            "(AbdomenCT, BreastMRI, CXR, ChestCT, Hand, HeadCT) of 64x64 grayscale "
            ".jpeg files. fetch() extracts it to <data_dir>/mednist/MedNIST/."
        ),
    ),
    _medmnist(
        "pneumoniamnist",
        "28209eda62fecd6e6a2d98b1501bb15f",
        sha256="e1792d3f03751cb101e99f19a63b3c1941436c988665f47853417b05be250cd8",
        size=4170669,
        license="CC BY 4.0",
        source=(
            "Kermany, D. S. et al. Identifying medical diagnoses and treatable "
            "diseases by image-based deep learning. Cell 172(5), 1122-1131 (2018)."
        ),
        layout=_medmnist_layout("28, 28", 1, 4708, 524, 624, "0 normal, 1 pneumonia"),
        description=("Pediatric chest X-rays, pneumonia vs normal (binary)."),
        checksum_note=(
            "; the sha256 and size come from TensorFlow Datasets' "
            "pneumonia_mnist/checksums.tsv"
        ),
    ),
    _medmnist(
        "chestmnist",
        "02c8a6516a18b556561a56cbdd36c4a8",
        license="CC BY 4.0",
        source=(
            "Wang, X. et al. ChestX-ray8: Hospital-scale chest X-ray database and "
            "benchmarks. CVPR 2017."
        ),
        layout=_medmnist_layout(
            "28, 28",
            14,
            78468,
            11219,
            22433,
            "14 binary findings (multi-label), NIH ChestX-ray14",
        ),
        description="NIH ChestX-ray14 frontal chest X-rays, 14 findings (multi-label).",
    ),
    _medmnist(
        "dermamnist",
        "0744692d530f8e62ec473284d019b0c7",
        license="CC BY-NC 4.0",
        source=(
            "Tschandl, P., Rosendahl, C., Kittler, H. The HAM10000 dataset. "
            "Scientific Data 5, 180161 (2018)."
        ),
        layout=_medmnist_layout(
            "28, 28, 3",
            1,
            7007,
            1003,
            2005,
            "7 lesion classes of HAM10000 (0 actinic keratoses ... 6 vascular lesions)",
        ),
        description="Dermatoscopic images of pigmented skin lesions, 7 classes. Non-commercial licence.",
    ),
    _medmnist(
        "bloodmnist",
        "7053d0359d879ad8a5505303e11de1dc",
        license="CC BY 4.0",
        source=(
            "Acevedo, A. et al. A dataset of microscopic peripheral blood cell "
            "images for development of automatic recognition systems. Data in "
            "Brief 30, 105474 (2020)."
        ),
        layout=_medmnist_layout(
            "28, 28, 3",
            1,
            11959,
            1712,
            3421,
            "8 blood cell types (basophil, eosinophil, erythroblast, immature "
            "granulocytes, lymphocyte, monocyte, neutrophil, platelet)",
        ),
        description="Microscopy of normal peripheral blood cells, 8 classes.",
    ),
    _medmnist(
        "pathmnist",
        "a8b06965200029087d5bd730944a56c1",
        license="CC BY 4.0",
        source=(
            "Kather, J. N. et al. Predicting survival from colorectal cancer "
            "histology slides using deep learning. PLOS Medicine 16(1), e1002730 (2019)."
        ),
        layout=_medmnist_layout(
            "28, 28, 3",
            1,
            89996,
            10004,
            7180,
            "9 colorectal tissue types (NCT-CRC-HE-100K)",
        ),
        description="H&E colorectal cancer histology patches, 9 tissue classes.",
    ),
    _medmnist(
        "octmnist",
        "c68d92d5b585d8d81f7112f81e2d0842",
        license="CC BY 4.0",
        source=(
            "Kermany, D. S. et al. Identifying medical diagnoses and treatable "
            "diseases by image-based deep learning. Cell 172(5), 1122-1131 (2018)."
        ),
        layout=_medmnist_layout(
            "28, 28", 1, 97477, 10832, 1000, "0 CNV, 1 DME, 2 drusen, 3 normal"
        ),
        description="Retinal optical coherence tomography, 4 classes.",
    ),
    _medmnist(
        "breastmnist",
        "750601b1f35ba3300ea97c75c52ff8f6",
        license="CC BY 4.0",
        source=(
            "Al-Dhabyani, W. et al. Dataset of breast ultrasound images. Data in "
            "Brief 28, 104863 (2020)."
        ),
        layout=_medmnist_layout(
            "28, 28", 1, 546, 78, 156, "0 malignant, 1 normal or benign"
        ),
        description="Breast ultrasound, malignant vs normal/benign (binary).",
    ),
    _medmnist(
        "retinamnist",
        "bd4c0672f1bba3e3a89f0e4e876791e4",
        license="CC BY 4.0",
        source=(
            "Liu, R. et al. DeepDRiD: Diabetic Retinopathy - Grading and Image "
            "Quality Estimation Challenge. Patterns 3(6), 100512 (2022)."
        ),
        layout=_medmnist_layout(
            "28, 28, 3", 1, 1080, 120, 400, "diabetic retinopathy grade 0-4 (ordinal)"
        ),
        description="Retina fundus images, 5-level diabetic retinopathy grading.",
    ),
    DatasetEntry(
        "vgg16_imagenet_notop",
        (
            "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        md5="6d6bbae143d832006294945121d1f1fc",
        size=58889256,
        license="CC BY (Creative Commons Attribution), as released by VGG at Oxford",
        citation=(
            "Simonyan, K., Zisserman, A. Very deep convolutional networks for "
            "large-scale image recognition. ICLR 2015. arXiv:1409.1556."
        ),
        description=(
            "ImageNet weights of VGG16 without the classifier head, the file "
            "`keras.applications.VGG16(include_top=False, weights='imagenet')` "
            "downloads into ~/.keras/models/. Checksum: the `file_hash` (md5) for "
            "WEIGHTS_PATH_NO_TOP in keras/src/applications/vgg16.py; size from "
            "Keras' download log."
        ),
        layout="HDF5 weights file for the 13 convolutional layers of VGG16 (channels last).",
    ),
    DatasetEntry(
        "resnet50_imagenet_notop",
        (
            "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        md5="4d473c1dd8becc155b73f8504c6f6626",
        size=94765736,
        license="MIT, as released by Kaiming He",
        citation=(
            "He, K., Zhang, X., Ren, S., Sun, J. Deep residual learning for image "
            "recognition. CVPR 2016. arXiv:1512.03385."
        ),
        description=(
            "ImageNet weights of ResNet50 without the classifier head, the file "
            "`keras.applications.ResNet50(include_top=False, weights='imagenet')` "
            "downloads into ~/.keras/models/. Checksum: WEIGHTS_HASHES['resnet50'][1] "
            "(md5) in keras/src/applications/resnet.py; size from Keras' download log."
        ),
        layout="HDF5 weights file for the convolutional layers of ResNet50 (channels last).",
    ),
)

for _entry in _SEED_ENTRIES:
    register(_entry)
del _entry


# --------------------------------------------------------------------------
# Files the package ships (offline defaults)
# --------------------------------------------------------------------------

EMBEDDED = {
    "pneumoniamnist_subset": (
        "pneumoniamnist_subset.npz",
        "f497a643ef98ffdf5a8803ba355a19259a0f88aadb3f990c5c29093b26178f04",
    ),
    "mnist_test_images": (
        "mnist-t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "mnist_test_labels": (
        "mnist-t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
    "spain_energy": (
        "spain_energy_2015_2016.csv.gz",
        "42eae6656d5893b3b0f23039fd5a717e2121b6c230fdc2126149e074330a4da9",
    ),
    "pjme_hourly": (
        "pjme_hourly.csv.gz",
        "1756a8c4f2edb9a69b7148ad8063d1912a9a0b12bee0571157395ecb368c31a0",
    ),
    "chembl_100k": (
        "chembl_smiles_100k.txt.gz",
        "1e9591690dd5055f7d92f34e91920536912243ab96fd20acd13efd006e71ffd2",
    ),
    "mobilenet_025_imagenet_notop": (
        "mobilenet_2_5_224_tf_no_top.h5",
        "dbdb03ee2a22fd895301636cd328b234bb3a9952358f436d82f46b81e0d5b0bf",
    ),
    "analgesics": (
        "analgesics.csv",
        "8b3e72b8bfb3f9dfd7659cd3476d2f1b59f6eb72abacd89d3319f4b347b235d3",
    ),
    "smiles_lstm_chembl": (
        "smiles_lstm_chembl.npz",
        "d925f8b0c8b496fafe13b684a4c57dc963f7e6af7dddaefa4fd06a4dbbdd96ca",
    ),
}
"""name -> (file in `secuah_dl/_data/`, sha256). See `_data/ATTRIBUTION.md`."""

_VERIFIED_EMBEDDED = set()


def embedded(name):
    """The path of a data or weights file shipped inside the package.

    The first call per file in a process checks its sha256, so a damaged
    install is caught with a clear message instead of a confusing error
    deep inside a loader.

    Args:
        name: str. A key of `EMBEDDED`, e.g. `"pneumoniamnist_subset"`.

    Returns:
        `pathlib.Path` of the file.

    Raises:
        ValueError: if `name` is unknown (the message lists the known ones).
        FileNotFoundError: if the file is missing from the installation.
        ChecksumError: if the file does not match its recorded sha256.
    """
    if name not in EMBEDDED:
        raise ValueError(
            f"No embedded file {name!r}. Known: {', '.join(sorted(EMBEDDED))}. "
            f"Received: name={name!r}"
        )
    filename, sha256 = EMBEDDED[name]
    path = _PACKAGE_DIR / "_data" / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"The embedded file {path} is missing: reinstall secuah_dl "
            f"(`pip install --force-reinstall secuah_dl`). Received: name={name!r}"
        )
    if name not in _VERIFIED_EMBEDDED:
        digest = file_digest(path)
        if digest != sha256:
            raise ChecksumError(
                f"The embedded file {path} is damaged: sha256 {digest}, expected "
                f"{sha256}. Reinstall secuah_dl."
            )
        _VERIFIED_EMBEDDED.add(name)
    return path
