"""The datasets floor: one catalog of downloads, checksummed, cached, extracted safely.

`CATALOG` names each file a practical may download (a dataset archive or a
weights file): its URL and mirrors, published checksum, licence, citation and
layout. `fetch(name)` downloads an entry once through `keras.utils.get_file`
(checksum, cache, progress bar; weights land in the Keras cache, where
`keras.applications` looks), verifies it, extracts it if it is an archive and
returns its path. Around `get_file` it adds: `OfflineError` within seconds
(each mirror is probed first) saying which file to put where; mirrors tried
in order; a file on disk is never deleted (a wrong file in place is reported,
a download that fails its checksum is kept as `<file>.corrupt`); unsafe
archives raise `UnsafeArchiveError` instead of being skipped silently.
`embedded(name)` returns the small real files the package ships (see
`_data/ATTRIBUTION.md`).

```python
from secuah_dl import datasets

path = datasets.fetch("pneumoniamnist")     # .../pneumoniamnist.npz
folder = datasets.fetch("mednist")          # .../mednist/MedNIST/<class>/*.jpeg
print(datasets.CATALOG["mednist"].citation)
```
"""

import concurrent.futures
import dataclasses
import hashlib
import os
import pathlib
import socket
import tarfile
import urllib.parse
import urllib.request
import warnings
import zipfile

__all__ = [
    "CATALOG",
    "DATA_DIR_ENV",
    "EMBEDDED",
    "ChecksumError",
    "DownloadError",
    "Entry",
    "OfflineError",
    "UnsafeArchiveError",
    "embedded",
    "fetch",
]

DATA_DIR_ENV = "SECUAH_DL_DATA"
"""Environment variable that overrides the download folder."""

_PROBE_TIMEOUT = 2.0  # seconds each mirror gets to answer the reachability probe
_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


class DownloadError(ConnectionError):
    """A file could not be downloaded from any of its mirrors."""


class OfflineError(DownloadError):
    """No mirror of a file is reachable: the machine is offline or blocked.

    Raised within seconds, before any download starts; the message says where
    to put the file by hand. It is a `ConnectionError`.
    """


class ChecksumError(ValueError):
    """A file's digest differs from the published one (the file is kept)."""


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the target folder, or is no file.

    Nothing of the archive is kept when it is raised.
    """


@dataclasses.dataclass(frozen=True)
class Entry:
    """One downloadable file of the catalog.

    Attributes:
        name: str. Catalog key, e.g. `"mednist"`.
        urls: tuple of str. The file's URL and its mirrors, tried in order.
        filename: str. Name of the file on disk.
        sha256: str or None. Published sha256 (hex).
        md5: str or None. Published md5 (hex), when no sha256 is published.
        license: str. The data's licence.
        citation: str. How to cite it.
        description: str. What it is and where its checksum comes from.
        layout: str. What is inside (arrays and shapes, or folders).
        extract: bool. Whether `fetch` extracts it (and returns the folder).
        keras_cache: str or None. `"models"` or `"datasets"`: store the file
            in `$KERAS_HOME/<keras_cache>`, where `keras.applications` /
            `keras.datasets` find it.
    """

    name: str
    urls: tuple
    filename: str
    sha256: str = None
    md5: str = None
    license: str = ""
    citation: str = ""
    description: str = ""
    layout: str = ""
    extract: bool = False
    keras_cache: str = None

    @property
    def digest(self):
        """tuple `(algorithm, hex digest)`, or `(None, None)` when unverified."""
        if self.sha256:
            return "sha256", self.sha256.lower()
        if self.md5:
            return "md5", self.md5.lower()
        return None, None


def _medmnist(name, md5, license, source, layout, description, sha256=None):
    return Entry(
        name,
        (f"https://zenodo.org/records/10519652/files/{name}.npz?download=1",),
        f"{name}.npz",
        sha256=sha256,
        md5=md5,
        license=license,
        citation=(
            "Yang, J. et al. MedMNIST v2 - A large-scale lightweight benchmark "
            "for 2D and 3D biomedical image classification. Scientific Data 10, "
            f"41 (2023). Source data: {source}"
        ),
        description=(
            f"{description} The 28x28 release of MedMNIST v2 (Zenodo record "
            "10519652). Checksum: the md5 in `medmnist.INFO` (v3)."
        ),
        layout=(
            "NumPy .npz with uint8 train_images/val_images/test_images and "
            f"train_labels/val_labels/test_labels. {layout}"
        ),
    )


_KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
_GUACAMOL = (
    "Brown, N., Fiscato, M., Segler, M. H. S., Vaucher, A. C. GuacaMol: "
    "Benchmarking Models for de Novo Molecular Design. J. Chem. Inf. Model. "
    "59(3), 1096-1108 (2019). Data from ChEMBL 24."
)

CATALOG = {
    entry.name: entry
    for entry in (
        Entry(
            "mnist",
            ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
            "mnist.npz",
            sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            license="CC BY-SA 3.0 (as stated in keras.datasets.mnist)",
            citation=(
                "LeCun, Y., Bottou, L., Bengio, Y., Haffner, P. Gradient-based "
                "learning applied to document recognition. Proc. IEEE 86(11), "
                "2278-2324 (1998)."
            ),
            description=(
                "MNIST digits, the file keras.datasets.mnist.load_data() uses. "
                "Checksum: the file_hash in keras/src/datasets/mnist.py."
            ),
            layout="x_train (60000, 28, 28), y_train, x_test (10000, 28, 28), y_test.",
            keras_cache="datasets",
        ),
        Entry(
            "mednist",
            (
                "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/"
                "download/0.8.1/MedNIST.tar.gz",
            ),
            "MedNIST.tar.gz",
            md5="0bc7306e7427e00ad1c5526a6677552d",
            license="CC BY-SA 4.0",
            citation=(
                "MedNIST, gathered from TCIA, the RSNA Bone Age Challenge and the "
                "NIH Chest X-ray dataset; made available by Dr. Bradley J. "
                "Erickson (Mayo Clinic) through Project MONAI."
            ),
            description=(
                "Six classes of 64x64 grayscale medical images (58,954 JPEGs). "
                "Checksum: the md5 in MONAI's MedNISTDataset."
            ),
            layout=(
                "MedNIST/<class>/*.jpeg with classes AbdomenCT, BreastMRI, CXR, "
                "ChestCT, Hand, HeadCT; fetch() returns the extracted folder."
            ),
            extract=True,
        ),
        _medmnist(
            "pneumoniamnist",
            "28209eda62fecd6e6a2d98b1501bb15f",
            "CC BY 4.0",
            "Kermany, D. S. et al. Cell 172(5), 1122-1131 (2018).",
            "(28, 28) images; 4708/524/624; labels 0 normal, 1 pneumonia.",
            "Pediatric chest X-rays, pneumonia vs normal.",
            sha256="e1792d3f03751cb101e99f19a63b3c1941436c988665f47853417b05be250cd8",
        ),
        *(
            _medmnist(*row)
            for row in (
                (
                    "chestmnist",
                    "02c8a6516a18b556561a56cbdd36c4a8",
                    "CC BY 4.0",
                    "Wang, X. et al. ChestX-ray8. CVPR 2017.",
                    "(28, 28) images; 14 binary findings (multi-label).",
                    "NIH ChestX-ray14 frontal chest X-rays.",
                ),
                (
                    "dermamnist",
                    "0744692d530f8e62ec473284d019b0c7",
                    "CC BY-NC 4.0",
                    "Tschandl, P. et al. The HAM10000 dataset. Sci. Data 5 (2018).",
                    "(28, 28, 3) images; 7007/1003/2005; labels 0 actinic keratoses, 1 basal cell carcinoma, 2 benign keratosis, 3 dermatofibroma, 4 melanoma, 5 nevus, 6 vascular.",
                    "Dermatoscopic images of skin lesions. Non-commercial.",
                ),
                (
                    "bloodmnist",
                    "7053d0359d879ad8a5505303e11de1dc",
                    "CC BY 4.0",
                    "Acevedo, A. et al. Data in Brief 30, 105474 (2020).",
                    "(28, 28, 3) images; 8 blood cell types.",
                    "Microscopy of peripheral blood cells.",
                ),
                (
                    "pathmnist",
                    "a8b06965200029087d5bd730944a56c1",
                    "CC BY 4.0",
                    "Kather, J. N. et al. PLOS Medicine 16(1), e1002730 (2019).",
                    "(28, 28, 3) images; 9 colorectal tissue types.",
                    "H&E colorectal cancer histology patches.",
                ),
                (
                    "octmnist",
                    "c68d92d5b585d8d81f7112f81e2d0842",
                    "CC BY 4.0",
                    "Kermany, D. S. et al. Cell 172(5), 1122-1131 (2018).",
                    "(28, 28) images; 0 CNV, 1 DME, 2 drusen, 3 normal.",
                    "Retinal optical coherence tomography.",
                ),
                (
                    "breastmnist",
                    "750601b1f35ba3300ea97c75c52ff8f6",
                    "CC BY 4.0",
                    "Al-Dhabyani, W. et al. Data in Brief 28, 104863 (2020).",
                    "(28, 28) images; 0 malignant, 1 normal or benign.",
                    "Breast ultrasound.",
                ),
                (
                    "retinamnist",
                    "bd4c0672f1bba3e3a89f0e4e876791e4",
                    "CC BY 4.0",
                    "Liu, R. et al. Patterns 3(6), 100512 (2022).",
                    "(28, 28, 3) images; diabetic retinopathy grade 0-4.",
                    "Retina fundus images.",
                ),
            )
        ),
        Entry(
            "vgg16_imagenet_notop",
            (
                _KERAS_APPLICATIONS
                + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            ),
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            md5="6d6bbae143d832006294945121d1f1fc",
            license="CC BY 4.0 (VGG, University of Oxford)",
            citation=(
                "Simonyan, K., Zisserman, A. Very deep convolutional networks for "
                "large-scale image recognition. ICLR 2015."
            ),
            description=(
                "ImageNet weights of VGG16 without its classifier. Checksum: "
                "WEIGHTS_PATH_NO_TOP's file_hash in keras/src/applications/vgg16.py."
            ),
            layout="HDF5 weights of the 13 convolutional layers (channels last).",
            keras_cache="models",
        ),
        Entry(
            "resnet50_imagenet_notop",
            (
                _KERAS_APPLICATIONS
                + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            ),
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
            md5="4d473c1dd8becc155b73f8504c6f6626",
            license="MIT (Kaiming He)",
            citation=(
                "He, K., Zhang, X., Ren, S., Sun, J. Deep residual learning for "
                "image recognition. CVPR 2016."
            ),
            description=(
                "ImageNet weights of ResNet50 without its classifier. Checksum: "
                "WEIGHTS_HASHES['resnet50'][1] in keras/src/applications/resnet.py."
            ),
            layout="HDF5 weights of the convolutional layers (channels last).",
            keras_cache="models",
        ),
        Entry(
            "opsd_time_series_60min",
            (
                "https://data.open-power-system-data.org/time_series/2020-10-06/"
                "time_series_60min_singleindex.csv",
            ),
            "opsd_time_series_60min_singleindex_2020-10-06.csv",
            license="CC BY 4.0 (Open Power System Data; ENTSO-E Transparency data)",
            citation=(
                "Open Power System Data. 2020. Data Package Time series. Version "
                "2020-10-06. https://doi.org/10.25832/time_series/2020-10-06."
            ),
            description=(
                "Hourly load, wind and solar of European countries, 2015-2020 "
                "(about 124 MB). OPSD publishes no checksum: unverified, fetch() "
                "prints the sha256 to pin."
            ),
            layout=(
                "CSV: utc_timestamp, cet_cest_timestamp, then one column per "
                "country and quantity, e.g. ES_load_actual_entsoe_transparency (MW)."
            ),
        ),
        *(
            Entry(
                f"guacamol_v1_{split}",
                (f"https://ndownloader.figshare.com/files/{file_id}",),
                f"guacamol_v1_{split}.smiles",
                md5=md5,
                license="CC BY-SA 3.0 (ChEMBL)",
                citation=_GUACAMOL,
                description=(
                    f"GuacaMol v1 {split} split: {count} standardised ChEMBL 24 "
                    "molecules. Checksum: the md5 in the README of "
                    "BenevolentAI/guacamol."
                ),
                layout="Plain text, one canonical SMILES per line.",
            )
            for split, file_id, md5, count in (
                ("train", "13612760", "05ad85d871958a05c02ab51a4fde8530", "1,273,104"),
                ("valid", "13612766", "e53db4bff7dc4784123ae6df72e3b1f0", "79,568"),
                ("test", "13612757", "677b757ccec4809febd83850b43e1616", "238,706"),
            )
        ),
        Entry(
            "moses_dataset_v1",
            (
                "https://media.githubusercontent.com/media/molecularsets/moses/"
                "master/data/dataset_v1.csv",
            ),
            "moses_dataset_v1.csv",
            license="MIT (MOSES code and data)",
            citation=(
                "Polykovskiy, D. et al. Molecular Sets (MOSES): A Benchmarking "
                "Platform for Molecular Generation Models. Front. Pharmacol. 11, "
                "565644 (2020). Derived from ZINC Clean Leads."
            ),
            description=(
                "1,936,962 molecules (ZINC Clean Leads). No checksum is "
                "published: unverified, fetch() prints the sha256 to pin."
            ),
            layout="CSV with columns SMILES, SPLIT (train/test/test_scaffolds).",
        ),
    )
}
"""name -> `Entry`: every file a practical may download."""


def _folder_for(entry):
    """`$SECUAH_DL_DATA`, the Keras cache, `datasets/cache/` in a checkout, or ~/.cache."""
    if entry.keras_cache:  # where keras.applications / keras.datasets look
        home = os.environ.get("KERAS_HOME") or pathlib.Path("~/.keras").expanduser()
        return pathlib.Path(home) / entry.keras_cache
    if os.environ.get(DATA_DIR_ENV):
        folder = pathlib.Path(os.environ[DATA_DIR_ENV]).expanduser()
    elif (_PACKAGE_DIR.parent / "setup.cfg").is_file():
        folder = _PACKAGE_DIR.parent / "datasets" / "cache"
    else:
        folder = pathlib.Path("~/.cache/secuah_dl").expanduser()
    return folder


def _probe(url, timeout=_PROBE_TIMEOUT):
    """Whether a URL's host answers within `timeout` s (DNS included; no request)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return pathlib.Path(urllib.request.url2pathname(parts.path)).exists()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(
            socket.getaddrinfo, parts.hostname, port, 0, socket.SOCK_STREAM
        )
        address = future.result(timeout=timeout)[0][4]
        with socket.create_connection(address[:2], timeout=timeout):
            return True
    except (OSError, concurrent.futures.TimeoutError, IndexError):
        return False
    finally:
        pool.shutdown(wait=False)


def _file_digest(path, algorithm="sha256"):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path, entry):
    algorithm, expected = entry.digest
    if algorithm is None:
        return
    received = _file_digest(path, algorithm)
    if received != expected:
        raise ChecksumError(
            f"{path} does not match the catalog's {algorithm} for {entry.name!r}: "
            f"expected {expected}, received {received}. It was not deleted: "
            f"replace it with the right file (from {entry.urls[0]}) or remove it "
            "and fetch again."
        )


def _unsafe(name):
    parts = pathlib.PurePosixPath(name.replace("\\", "/")).parts
    return (
        name.startswith(("/", "\\"))
        or ".." in parts
        or ":" in (parts[0] if parts else "")
    )


def _refuse_unsafe(archive, names):
    bad = [name for name in names if _unsafe(name)]
    if bad:
        raise UnsafeArchiveError(
            f"{archive} has members outside its folder: {bad[:3]}. Nothing was "
            "extracted."
        )


def _extract(archive, target):
    """Extracts a zip or tar into the new folder `target`, all or nothing.

    Tar archives use tarfile's `data` filter (no absolute paths, no `..`, no
    links leaving the folder, no devices), zip members the same rules; the
    files go to a temporary sibling renamed into place only when complete.
    """
    import shutil
    import tempfile

    archive, target = pathlib.Path(archive), pathlib.Path(target)
    if target.exists():
        raise ValueError(f"`target` already exists. Received: target={str(target)!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if not hasattr(tarfile, "data_filter"):  # Python < 3.10.12 / 3.11.4
        raise RuntimeError(
            "Safe extraction needs tarfile's `data` filter: use Python >= 3.11.4 "
            "(or >= 3.10.12)."
        )
    staging = pathlib.Path(
        tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.")
    )
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as handle:
                _refuse_unsafe(archive, [info.filename for info in handle.infolist()])
                handle.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as handle:
                _refuse_unsafe(archive, handle.getnames())
                try:
                    handle.extractall(staging, filter="data")
                except tarfile.FilterError as error:
                    raise UnsafeArchiveError(
                        f"{archive} has an unsafe member ({error}). Nothing was "
                        "extracted."
                    ) from None
        else:
            raise ValueError(
                f"{archive} is not a zip or tar archive (or it is corrupt). "
                "Expected a .zip, .tar or .tar.gz file."
            )
        os.rename(staging, target)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
        raise ValueError(
            f"{archive} could not be extracted ({type(error).__name__}: {error}); "
            "it is probably truncated or corrupt."
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def fetch(name):
    """Downloads a catalog entry once, verifies it, extracts it, returns its path.

    A file already in place is used as it is (after verifying it). Files go to
    `$SECUAH_DL_DATA`, else `datasets/cache/` in a checkout, else
    `~/.cache/secuah_dl`; entries with `keras_cache` go to the Keras cache.

    Args:
        name: str or `Entry`. A catalog name, or an `Entry` of your own.

    Returns:
        `pathlib.Path` of the file, or of the extracted folder when the entry
        is an archive.

    Raises:
        ValueError: if `name` is not in the catalog.
        OfflineError: if no mirror is reachable (within about 2 seconds per
            mirror); the message says where to put the file by hand.
        DownloadError: if every reachable mirror failed.
        ChecksumError: if the file (in place or downloaded) does not match its
            checksum; it is kept (a download as `<file>.corrupt`).
        UnsafeArchiveError: if the archive has unsafe members.
    """
    entry = name if isinstance(name, Entry) else CATALOG.get(str(name))
    if entry is None:
        raise ValueError(
            f"No catalog entry {name!r}. Known: {', '.join(sorted(CATALOG))}. "
            f"Received: name={name!r}"
        )
    folder = _folder_for(entry)
    target = folder / entry.filename
    extracted = folder / entry.name
    if entry.extract and extracted.is_dir():
        return extracted
    if not target.is_file():
        reachable = [url for url in entry.urls if _probe(url)]
        if not reachable:
            algorithm, expected = entry.digest
            check = f" ({algorithm} {expected})" if expected else ""
            raise OfflineError(
                f"Cannot reach {', '.join(entry.urls)} to download {entry.name!r}: "
                f"the machine looks offline. Download {entry.filename}{check} on a "
                f"machine with internet and put it at {target}, then run again."
            )
        _download(entry, folder, target, reachable)
    _verify(target, entry)
    if entry.extract:
        return _extract(target, extracted)
    return target


def _download(entry, folder, target, urls):
    import keras

    algorithm, expected = entry.digest
    failures = []
    folder.mkdir(parents=True, exist_ok=True)
    for url in urls:
        try:
            path = keras.utils.get_file(
                fname=entry.filename,
                origin=url,
                file_hash=expected,
                hash_algorithm=algorithm or "auto",
                cache_dir=str(folder.parent),
                cache_subdir=folder.name,
            )
        except ValueError as error:  # get_file's checksum failure
            if target.is_file():
                corrupt = target.with_name(target.name + ".corrupt")
                os.replace(target, corrupt)
                raise ChecksumError(
                    f"The download of {entry.name!r} from {url} does not match its "
                    f"{algorithm} {expected}; kept as {corrupt} for inspection."
                ) from None
            failures.append(f"{url}: {error}")
            continue
        except Exception as error:  # noqa: BLE001 - try the next mirror
            failures.append(f"{url}: {error}")
            continue
        if pathlib.Path(path) != target:  # get_file fell back to another cache
            os.replace(path, target)
        if algorithm is None:
            warnings.warn(
                f"{entry.name!r} has no published checksum; the file downloaded "
                f"has sha256 {_file_digest(target)}: pin it in the catalog.",
                stacklevel=3,
            )
        return
    raise DownloadError(
        f"Could not download {entry.name!r}: "
        + "; ".join(failures)
        + f". Put {entry.filename} at {target} by hand and run again."
    )


# Files the package ships (offline defaults).
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
        "5ab1a2340bf340dbdd8014a2b19a4f4d99fb48428e9c5ffa9298beaf96c68243",
    ),
}
"""name -> (file in `secuah_dl/_data/`, sha256). See `_data/ATTRIBUTION.md`."""

_VERIFIED_EMBEDDED = set()


def embedded(name):
    """The path of a data or weights file shipped inside the package.

    The first call per file in a process checks its sha256, so a damaged
    install gets a clear message.

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
        digest = _file_digest(path)
        if digest != sha256:
            raise ChecksumError(
                f"The embedded file {path} is damaged: sha256 {digest}, expected "
                f"{sha256}. Reinstall secuah_dl."
            )
        _VERIFIED_EMBEDDED.add(name)
    return path
