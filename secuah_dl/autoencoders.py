"""Practical 6: autoencoders and the variational autoencoder (VAE).

A deep autoencoder squeezes each image (28 x 28 = 784 numbers for MNIST)
through a narrow *latent space* (2 dimensions here) and then rebuilds it. To
rebuild well it must keep what matters, so the 2-D codes are a "visual map"
of the data: digits of the same class land together. The slides list the
uses: reconstruction of corrupted data (denoising autoencoder), novelty
detection from the residual r = ||x - x_hat||^2 (an autoencoder trained on
known data rebuilds unknown data badly), visualisation, and generative
models. The variational autoencoder (Kingma & Welling 2014) forces the
latent codes towards N(0, 1) with a Kullback-Leibler term, so decoding a
sample of N(0, 1) gives a believable image.

Data: MNIST (`keras.datasets.mnist`, downloaded), Fashion-MNIST, files you
bring (the Keras `mnist.npz` or the original IDX `.gz` files) or, by default
and offline, scikit-learn's bundled handwritten digits (8 x 8 pixels, 1,797
images; *not* MNIST, and every output says so). Pixels are scaled to [0, 1]
float32 and images have shape `(height, width, 1)`.

A 2-D PCA on the same pixels is the linear baseline: the latent maps are
compared with it by the accuracy of a k-nearest-neighbours classifier in
the 2-D space and by `sklearn.manifold.trustworthiness`.

```python
from secuah_dl import autoencoders

result = autoencoders.run(quick=True, out_dir="runs/autoencoders")
print(result.metrics["dense"]["knn_accuracy"], result.metrics["pca"]["knn_accuracy"])
```
"""

import gzip
import math
import pathlib
import time

import keras
import numpy as np
from keras import layers, ops
from matplotlib.figure import Figure

from secuah_dl import datasets, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int as _check_positive_int

__all__ = [
    "KINDS",
    "MNIST_URL",
    "FASHION_MNIST_URL",
    "DIGITS_DESCRIPTION",
    "read_idx",
    "load_arrays",
    "load_data",
    "Sampling",
    "VAE",
    "build_dense_autoencoder",
    "build_conv_autoencoder",
    "build_denoising_autoencoder",
    "build_vae",
    "build_model",
    "train",
    "encode",
    "decode",
    "add_noise",
    "reconstruction_errors",
    "novelty_detection",
    "pca_codes",
    "latent_metrics",
    "evaluate",
    "plot_latent_maps",
    "plot_reconstructions",
    "plot_manifold",
    "plot_novelty",
    "run",
]

KINDS = ("dense", "conv", "denoising", "vae")
MNIST_URL = datasets.get_entry("mnist").urls[0]
FASHION_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DIGITS_DESCRIPTION = "scikit-learn digits 8×8, not MNIST"

_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def _open_bytes(path):
    path = pathlib.Path(path)
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as handle:
                return handle.read()
        except (OSError, EOFError) as error:
            raise ValueError(
                f"{path} is not a readable gzip file ({error}). Expected a gzip-"
                "compressed IDX file such as train-images-idx3-ubyte.gz. "
                f"Received: {path.stat().st_size} bytes"
            ) from error
    return path.read_bytes()


def read_idx(path):
    """Reads one IDX file of the original MNIST distribution (LeCun et al. 1998).

    IDX files start with a big-endian magic number (2051 = 0x00000803 for
    images, 2049 = 0x00000801 for labels), then the number of items (and,
    for images, rows and columns), then one unsigned byte per pixel or label.
    Files ending in `.gz` are decompressed on the fly.

    Args:
        path: str or path-like. An `*-images-idx3-ubyte[.gz]` or
            `*-labels-idx1-ubyte[.gz]` file.

    Returns:
        uint8 NumPy array: `(count, rows, columns)` for images, `(count,)` for
        labels.

    Raises:
        ValueError: if the file is not gzip when named `.gz`, its magic number
            is neither 2051 nor 2049, or it is shorter than its header says.
        FileNotFoundError: if `path` does not exist.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found. Received: path={str(path)!r}")
    data = _open_bytes(path)
    if len(data) < 8:
        raise ValueError(
            f"{path} is truncated: an IDX header needs at least 8 bytes. "
            f"Received: {len(data)} bytes"
        )
    magic = int.from_bytes(data[0:4], "big")
    count = int.from_bytes(data[4:8], "big")
    if magic == _IMAGES_MAGIC:
        if len(data) < 16:
            raise ValueError(
                f"{path} is truncated: an IDX image header needs 16 bytes. "
                f"Received: {len(data)} bytes"
            )
        rows = int.from_bytes(data[8:12], "big")
        columns = int.from_bytes(data[12:16], "big")
        shape, offset = (count, rows, columns), 16
    elif magic == _LABELS_MAGIC:
        shape, offset = (count,), 8
    else:
        raise ValueError(
            f"{path} is not an MNIST IDX file: expected magic number 2051 "
            "(0x00000803, images) or 2049 (0x00000801, labels). "
            f"Received: magic={magic} (0x{magic:08x})"
        )
    expected = offset + math.prod(shape)
    if len(data) < expected:
        raise ValueError(
            f"{path} is truncated: its header announces shape {shape}, i.e. "
            f"{expected} bytes. Received: {len(data)} bytes"
        )
    return np.frombuffer(
        data, dtype=np.uint8, count=expected - offset, offset=offset
    ).reshape(shape)


def _check_pair(images, labels, images_name, labels_name):
    if images.ndim != 3:
        raise ValueError(
            f"{images_name} must hold images of shape (count, height, width). "
            f"Received: shape {images.shape}"
        )
    if labels.ndim != 1:
        raise ValueError(
            f"{labels_name} must hold labels of shape (count,). "
            f"Received: shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{images_name} and {labels_name} must hold as many images as labels. "
            f"Expected: {len(images)} labels. Received: {len(labels)} labels"
        )


def _find_idx(folder, prefix, kind):
    for name in (f"{prefix}-{kind}", f"{prefix}-{kind}.gz"):
        for candidate in (name, name.replace("-idx", ".idx")):
            path = folder / candidate
            if path.is_file():
                return path
    return None


def _load_npz(path):
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path} is not a readable NumPy .npz file ({error}). Expected the "
            "Keras mnist.npz with keys x_train, y_train, x_test, y_test. "
            f"Received: path={str(path)!r}"
        ) from error
    with archive:
        missing = [key for key in _NPZ_KEYS if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path} lacks the arrays {missing}. Expected keys {list(_NPZ_KEYS)} "
                f"(the layout of keras.datasets.mnist). Received: keys {sorted(archive.files)}"
            )
        arrays = {key: archive[key] for key in _NPZ_KEYS}
    _check_pair(
        arrays["x_train"], arrays["y_train"], f"{path}[x_train]", f"{path}[y_train]"
    )
    _check_pair(
        arrays["x_test"], arrays["y_test"], f"{path}[x_test]", f"{path}[y_test]"
    )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _split(images, labels, fraction, seed):
    order = np.random.default_rng(seed).permutation(len(images))
    cut = len(images) - int(round(fraction * len(images)))
    first, second = order[:cut], order[cut:]
    return (images[first], labels[first]), (images[second], labels[second])


def _load_folder(folder, seed):
    pairs = {}
    for prefix in ("train", "t10k"):
        images = _find_idx(folder, prefix, "images-idx3-ubyte")
        labels = _find_idx(folder, prefix, "labels-idx1-ubyte")
        if (images is None) != (labels is None):
            present = images or labels
            raise ValueError(
                f"{folder} holds {present.name} but not its partner file. Expected "
                f"both {prefix}-images-idx3-ubyte.gz and {prefix}-labels-idx1-ubyte.gz. "
                f"Received: {sorted(p.name for p in folder.iterdir())}"
            )
        if images is not None:
            x, y = read_idx(images), read_idx(labels)
            _check_pair(x, y, str(images), str(labels))
            pairs[prefix] = (x, y)
    if not pairs:
        raise ValueError(
            f"{folder} holds no MNIST IDX files. Expected train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
            "t10k-labels-idx1-ubyte.gz (or only the t10k pair). "
            f"Received: {sorted(p.name for p in folder.iterdir())[:10]}"
        )
    if "train" in pairs and "t10k" in pairs:
        return pairs["train"], pairs["t10k"], "train and t10k files"
    only = "train" if "train" in pairs else "t10k"
    train, test = _split(*pairs[only], 0.2, seed)
    return train, test, f"only the {only} files, split 80/20 with seed {seed}"


def _load_digits():
    sklearn_datasets = require("sklearn.datasets")
    digits = sklearn_datasets.load_digits()
    return digits.images.astype("float32"), digits.target.astype("int64")


def load_arrays(source=None, *, seed=0):
    """Loads raw images and labels (before scaling) from any supported source.

    Args:
        source: None, str or path-like. `None` or `"digits"`: scikit-learn's
            bundled handwritten digits (8 x 8, 1,797 images, values 0-16;
            offline, *not* MNIST), split 80/20 into train/test. `"mnist"` or
            `"fashion_mnist"`: downloaded through `keras.datasets` (offline
            this fails in about 2 s with where to put the file by hand). A
            path: the Keras `mnist.npz` (keys `x_train`, `y_train`, `x_test`,
            `y_test`), or a folder of IDX files (`train-images-idx3-ubyte.gz`,
            `train-labels-idx1-ubyte.gz`, `t10k-...`; with only the t10k pair,
            it is split 80/20 into train/test).
        seed: int. Seed of the splits. Defaults to `0`.

    Returns:
        A tuple `((x_train, y_train), (x_test, y_test), meta)`: image arrays
        `(n, height, width)`, integer labels `(n,)`, and a dict `meta` with
        `name`, `description`, `max_value` (255 or 16) and `class_names`.

    Raises:
        ValueError: on an unknown source name or a malformed file (wrong
            magic number, truncated file, missing `.npz` keys, as many images
            as labels); the message names the file, what is expected and
            what was received.
        FileNotFoundError: if `source` is a path that does not exist.
        datasets.OfflineError: if MNIST/Fashion-MNIST must be downloaded and
            the machine is offline.
    """
    digit_names = [str(k) for k in range(10)]
    if source is None or (isinstance(source, str) and source == "digits"):
        images, labels = _load_digits()
        train, test = _split(images, labels, 0.2, seed)
        meta = {
            "name": "digits",
            "description": (
                f"{DIGITS_DESCRIPTION}: scikit-learn's bundled handwritten digits, "
                f"{len(images)} images of 8×8 pixels, split 80/20 with seed {seed}"
            ),
            "max_value": 16.0,
            "class_names": digit_names,
        }
        return train, test, meta
    if isinstance(source, str) and source == "mnist":
        cached = datasets.ensure_keras_file("datasets", "mnist.npz", MNIST_URL, "MNIST")
        if cached is not None:
            train, test = _load_npz(cached)
        else:
            train, test = keras.datasets.mnist.load_data()
        meta = {
            "name": "mnist",
            "description": "MNIST (keras.datasets.mnist), 60,000 training and 10,000 test digits of 28×28",
            "max_value": 255.0,
            "class_names": digit_names,
        }
        return train, test, meta
    if isinstance(source, str) and source == "fashion_mnist":
        first = "train-labels-idx1-ubyte.gz"
        cached = datasets.ensure_keras_file(
            "datasets/fashion-mnist", first, FASHION_MNIST_URL + first, "Fashion-MNIST"
        )
        if cached is not None and all(
            (cached.parent / name).is_file()
            for name in (
                "train-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
            )
        ):
            train, test, _ = _load_folder(cached.parent, seed)
        else:
            train, test = keras.datasets.fashion_mnist.load_data()
        meta = {
            "name": "fashion_mnist",
            "description": "Fashion-MNIST (keras.datasets.fashion_mnist), 28×28 clothing images",
            "max_value": 255.0,
            "class_names": [
                "camiseta",
                "pantalón",
                "jersey",
                "vestido",
                "abrigo",
                "sandalia",
                "camisa",
                "zapatilla",
                "bolso",
                "botín",
            ],
        }
        return train, test, meta
    if not isinstance(source, (str, pathlib.PurePath)):
        raise ValueError(
            "`source` must be None, 'digits', 'mnist', 'fashion_mnist' or a path to "
            "an .npz file or a folder of IDX files. "
            f"Received: source of type {type(source).__name__}"
        )
    path = pathlib.Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"`source` is neither 'digits', 'mnist', 'fashion_mnist' nor an existing "
            f"file or folder. Received: source={str(source)!r}"
        )
    if path.is_dir():
        train, test, how = _load_folder(path, seed)
        description = f"IDX files from {path} ({how})"
    elif path.suffix == ".npz":
        train, test = _load_npz(path)
        description = f"NumPy archive {path}"
    elif "idx" in path.name:
        raise ValueError(
            "Give the folder that holds the IDX files, not one of them. "
            f"Expected: {path.parent}. Received: source={str(source)!r}"
        )
    else:
        raise ValueError(
            "`source` must be an .npz file or a folder of IDX files. "
            f"Received: source={str(source)!r}"
        )
    max_value = 255.0
    meta = {
        "name": path.stem,
        "description": f"{description}: {len(train[0])} training and {len(test[0])} test images",
        "max_value": max_value,
        "class_names": digit_names,
    }
    return train, test, meta


def _dataset(x, batch_size, *, shuffle, seed):
    tf = require("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices((x, x)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_data(
    source=None,
    *,
    quick=False,
    batch_size=128,
    val_fraction=0.1,
    max_train_examples=None,
    seed=0,
):
    """Training, validation and test images as `tf.data` pipelines of `(x, x)`.

    The target of an autoencoder is its input, so every dataset yields
    `(images, images)` batches. Pixels are scaled to [0, 1] float32 (divided
    by 255 for MNIST files, by 16 for scikit-learn's digits) and images have
    shape `(height, width, 1)`. The pipelines cache, shuffle (training only,
    before batching), batch and prefetch.

    Args:
        source: None, str or path-like. See `load_arrays`: `None` is
            scikit-learn's 8 x 8 digits (offline, not MNIST); `"mnist"`,
            `"fashion_mnist"`, or a path to an `.npz` or a folder of IDX files.
        quick: bool. Quick mode: at most 6,000 training and 2,000 test images
            (scikit-learn's digits are already small). Defaults to `False`.
        batch_size: int. Batch size. Defaults to `128`.
        val_fraction: float. Fraction of the training images held out for
            validation. Defaults to `0.1`.
        max_train_examples: int or None. Keep at most this many training
            images (before the validation split). Defaults to `None`.
        seed: int. Seed of the splits and of the shuffling. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. `info` is a dict with the
        scaled NumPy arrays (`x_train`, `y_train`, `x_val`, `y_val`,
        `x_test`, `y_test`), `image_shape`, `class_names`, `num_classes`,
        `source` (`"digits"`, `"mnist"`, ...) and `description`.

    Raises:
        ValueError: on a bad argument or a malformed file (see `load_arrays`).
        FileNotFoundError: if `source` is a path that does not exist.
        datasets.OfflineError: if MNIST must be downloaded and cannot be.
    """
    _check_positive_int("batch_size", batch_size)
    if not 0.0 < val_fraction < 0.5:
        raise ValueError(
            f"`val_fraction` must be between 0 and 0.5. Received: val_fraction={val_fraction!r}"
        )
    if max_train_examples is not None:
        _check_positive_int("max_train_examples", max_train_examples)
    (x_train, y_train), (x_test, y_test), meta = load_arrays(source, seed=seed)
    rng = np.random.default_rng(seed)
    limit_train = max_train_examples
    limit_test = None
    if quick:
        limit_train = min(limit_train or 6000, 6000)
        limit_test = 2000
    if limit_train is not None and len(x_train) > limit_train:
        keep = rng.permutation(len(x_train))[:limit_train]
        x_train, y_train = x_train[keep], y_train[keep]
    if limit_test is not None and len(x_test) > limit_test:
        keep = np.sort(rng.permutation(len(x_test))[:limit_test])
        x_test, y_test = x_test[keep], y_test[keep]

    def scale(images):
        return (np.asarray(images, dtype="float32") / meta["max_value"])[..., None]

    (x_train, y_train), (x_val, y_val) = _split(
        x_train, y_train, val_fraction, seed + 1
    )
    x_train, x_val, x_test = scale(x_train), scale(x_val), scale(x_test)
    if len(x_train) < 2 or len(x_test) < 1 or len(x_val) < 1:
        raise ValueError(
            "`source` holds too few images for a train/validation/test split. "
            f"Received: {len(x_train)} train, {len(x_val)} validation, {len(x_test)} test"
        )
    info = {
        "x_train": x_train,
        "y_train": np.asarray(y_train, dtype="int64"),
        "x_val": x_val,
        "y_val": np.asarray(y_val, dtype="int64"),
        "x_test": x_test,
        "y_test": np.asarray(y_test, dtype="int64"),
        "image_shape": tuple(int(d) for d in x_train.shape[1:]),
        "class_names": meta["class_names"],
        "num_classes": len(meta["class_names"]),
        "source": meta["name"],
        "description": (
            f"{meta['description']}; {len(x_train)} train / {len(x_val)} validation / "
            f"{len(x_test)} test images, pixels scaled to [0, 1]"
        ),
    }
    return (
        _dataset(x_train, batch_size, shuffle=True, seed=seed),
        _dataset(x_val, batch_size, shuffle=False, seed=seed),
        _dataset(x_test, batch_size, shuffle=False, seed=seed),
        info,
    )


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="secuah_dl")
class Sampling(layers.Layer):
    """Draws z = z_mean + exp(z_log_var / 2) * epsilon, epsilon ~ N(0, 1).

    The reparameterisation trick of Kingma & Welling (2014): the randomness
    enters through epsilon, so gradients flow through `z_mean` and
    `z_log_var`. Seeded with a `keras.random.SeedGenerator`.

    Args:
        seed: int or None. Seed of the generator. Defaults to `None`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config


def _kl_divergence(z_mean, z_log_var):
    return -0.5 * ops.mean(
        ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
    )


@keras.saving.register_keras_serializable(package="secuah_dl")
class VAE(keras.Model):
    """Variational autoencoder (Kingma & Welling 2014) for any backend.

    The encoder maps an image to `[z_mean, z_log_var]`; in training a
    `Sampling` layer draws z from N(z_mean, exp(z_log_var)), in inference z
    is `z_mean`; the decoder maps z to an image. The loss is the
    reconstruction term (binary cross-entropy summed over pixels, averaged
    over the batch) plus the KL divergence to N(0, 1),
    KL = -0.5 * mean(sum(1 + log_var - mean^2 - exp(log_var))), weighted by
    `beta`. Instead of a TensorFlow `GradientTape` `train_step` (the keras-io
    example), the KL term is added with `add_loss` in `call` and the total
    is assembled in `compute_loss`, which Keras 3 uses on TensorFlow, JAX and
    PyTorch alike. `reconstruction_loss` and `kl_loss` are tracked as
    separate metrics.

    Args:
        encoder: `keras.Model`. Image -> `[z_mean, z_log_var]`.
        decoder: `keras.Model`. Latent vector -> image in [0, 1].
        beta: float. Weight of the KL term. Defaults to `1.0`.
        seed: int or None. Seed of the sampling. Defaults to `None`.
        **kwargs: base `keras.Model` arguments (`name`, ...).
    """

    def __init__(self, encoder, decoder, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.seed = seed
        self.sampler = Sampling(seed=seed, name="sampling")
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        z_mean, z_log_var = self.encoder(inputs, training=training)
        z = self.sampler([z_mean, z_log_var]) if training else z_mean
        self.add_loss(self.beta * _kl_divergence(z_mean, z_log_var))
        return self.decoder(z, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        """Reconstruction + beta * KL; updates the two metric trackers.

        Args:
            x: input batch.
            y: target batch (the same images).
            y_pred: reconstructions returned by `call`.
            sample_weight: ignored.
            training: bool. Whether this is a training step.

        Returns:
            Scalar loss tensor.
        """
        del sample_weight, training
        target = x if y is None else y
        per_pixel = keras.losses.binary_crossentropy(
            ops.expand_dims(target, -1), ops.expand_dims(y_pred, -1)
        )
        reconstruction = ops.mean(
            ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)
        )
        # A Python sum: `ops.sum` of a list of JAX tracers does not trace.
        weighted_kl = sum(self.losses) if self.losses else ops.zeros(())
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(weighted_kl / self.beta)
        return reconstruction + weighted_kl

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


def _check_shape(input_shape):
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if (
        shape is None
        or len(shape) != 3
        or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape)
    ):
        raise ValueError(
            "`input_shape` must be (height, width, channels) of positive integers, "
            f"e.g. (28, 28, 1). Received: input_shape={input_shape!r}"
        )
    return shape


def _check_latent(latent_dim):
    if (
        isinstance(latent_dim, bool)
        or not isinstance(latent_dim, int)
        or latent_dim < 1
    ):
        raise ValueError(
            f"`latent_dim` must be a positive integer. Received: latent_dim={latent_dim!r}"
        )


def _check_units(name, units):
    units = tuple(units)
    if not units or any(
        isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in units
    ):
        raise ValueError(
            f"`{name}` must be a non-empty tuple of positive integers. Received: {name}={units!r}"
        )
    return units


def _check_learning_rate(learning_rate):
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(
            f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}"
        )


def _dense_parts(input_shape, latent_dim, hidden_units, outputs):
    size = math.prod(input_shape)
    inputs = keras.Input(shape=input_shape, name="image")
    h = layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden_units):
        h = layers.Dense(units, activation="relu", name=f"encoder_dense_{i + 1}")(h)
    if outputs == "vae":
        encoded = [
            layers.Dense(latent_dim, name="z_mean")(h),
            layers.Dense(latent_dim, name="z_log_var")(h),
        ]
    else:
        encoded = layers.Dense(latent_dim, name="latent")(h)
    encoder = keras.Model(inputs, encoded, name="encoder")
    latent = keras.Input(shape=(latent_dim,), name="z")
    h = latent
    for i, units in enumerate(reversed(hidden_units)):
        h = layers.Dense(units, activation="relu", name=f"decoder_dense_{i + 1}")(h)
    h = layers.Dense(size, activation="sigmoid", dtype="float32", name="pixels")(h)
    decoded = layers.Reshape(input_shape, name="image_out")(h)
    decoder = keras.Model(latent, decoded, name="decoder")
    return encoder, decoder


def _conv_parts(input_shape, latent_dim, filters, outputs):
    height, width, channels = input_shape
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ValueError(
            f"With {len(filters)} stride-2 convolutions the image height and width "
            f"must be multiples of {factor}. Received: input_shape={input_shape!r}"
        )
    inputs = keras.Input(shape=input_shape, name="image")
    h = inputs
    for i, count in enumerate(filters):
        h = layers.Conv2D(
            count,
            3,
            strides=2,
            padding="same",
            activation="relu",
            name=f"encoder_conv_{i + 1}",
        )(h)
    h = layers.Flatten(name="flatten")(h)
    if outputs == "vae":
        encoded = [
            layers.Dense(latent_dim, name="z_mean")(h),
            layers.Dense(latent_dim, name="z_log_var")(h),
        ]
    else:
        encoded = layers.Dense(latent_dim, name="latent")(h)
    encoder = keras.Model(inputs, encoded, name="encoder")
    latent = keras.Input(shape=(latent_dim,), name="z")
    small = (height // factor, width // factor, filters[-1])
    h = layers.Dense(math.prod(small), activation="relu", name="decoder_dense")(latent)
    h = layers.Reshape(small, name="decoder_reshape")(h)
    for i, count in enumerate(reversed(filters)):
        h = layers.Conv2DTranspose(
            count,
            3,
            strides=2,
            padding="same",
            activation="relu",
            name=f"decoder_deconv_{i + 1}",
        )(h)
    decoded = layers.Conv2D(
        channels,
        3,
        padding="same",
        activation="sigmoid",
        dtype="float32",
        name="image_out",
    )(h)
    decoder = keras.Model(latent, decoded, name="decoder")
    return encoder, decoder


def _autoencoder(encoder, decoder, input_shape, name, noise_factor, learning_rate):
    inputs = keras.Input(shape=input_shape, name="image")
    h = inputs
    if noise_factor:
        # Active only in training: the network sees corrupted images and must
        # rebuild the clean targets (Vincent et al. 2008).
        h = layers.GaussianNoise(noise_factor, name="corruption")(h)
    outputs = decoder(encoder(h))
    model = keras.Model(inputs, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=[keras.metrics.MeanSquaredError(name="mse")],
    )
    return model


def build_dense_autoencoder(
    input_shape, latent_dim=2, *, hidden_units=(256, 128), learning_rate=1e-3
):
    """Fully connected autoencoder: Flatten -> Dense ... -> latent -> Dense ... -> image.

    The encoder (`model.get_layer("encoder")`) ends in a linear
    `Dense(latent_dim)`; the decoder mirrors it and ends in a sigmoid, so
    reconstructions are in [0, 1]. Compiled with Adam and per-pixel binary
    cross-entropy, with the mean squared error as a metric.

    Args:
        input_shape: tuple `(height, width, channels)`, e.g. `(28, 28, 1)`.
        latent_dim: int. Size of the latent space. Defaults to `2`.
        hidden_units: tuple of int. Units of the encoder's hidden ReLU layers
            (the decoder uses them reversed). Defaults to `(256, 128)`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.

    Returns:
        A compiled Functional `keras.Model` named `"dense_autoencoder"` with
        nested `encoder` and `decoder` models.

    Raises:
        ValueError: on a malformed shape, latent size, layer list or learning
            rate.
    """
    input_shape = _check_shape(input_shape)
    _check_latent(latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    _check_learning_rate(learning_rate)
    encoder, decoder = _dense_parts(input_shape, latent_dim, hidden_units, "ae")
    return _autoencoder(
        encoder, decoder, input_shape, "dense_autoencoder", 0.0, learning_rate
    )


def build_conv_autoencoder(
    input_shape, latent_dim=2, *, filters=(32, 64), learning_rate=1e-3
):
    """Convolutional autoencoder: stride-2 Conv2D encoder, Conv2DTranspose decoder.

    Each encoder convolution halves the image (28 -> 14 -> 7 with the
    default two), a `Dense(latent_dim)` gives the code; the decoder mirrors
    it with transposed convolutions and ends in a sigmoid convolution.

    Args:
        input_shape: tuple `(height, width, channels)`; height and width must
            be multiples of `2 ** len(filters)`.
        latent_dim: int. Size of the latent space. Defaults to `2`.
        filters: tuple of int. Filters of each stride-2 convolution. Defaults
            to `(32, 64)`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.

    Returns:
        A compiled Functional `keras.Model` named `"conv_autoencoder"`.

    Raises:
        ValueError: on a malformed argument, or an image size the
            convolutions cannot halve exactly.
    """
    input_shape = _check_shape(input_shape)
    _check_latent(latent_dim)
    filters = _check_units("filters", filters)
    _check_learning_rate(learning_rate)
    encoder, decoder = _conv_parts(input_shape, latent_dim, filters, "ae")
    return _autoencoder(
        encoder, decoder, input_shape, "conv_autoencoder", 0.0, learning_rate
    )


def build_denoising_autoencoder(
    input_shape,
    latent_dim=16,
    *,
    noise_factor=0.3,
    architecture="dense",
    hidden_units=(256, 128),
    filters=(32, 64),
    learning_rate=1e-3,
):
    """Denoising autoencoder (Vincent et al. 2008): rebuild clean images from noisy ones.

    A `keras.layers.GaussianNoise(noise_factor)` layer right after the input
    corrupts the images **in training only**; the targets stay the clean
    images, so the network learns to remove the noise. At inference the
    layer does nothing: give it already-corrupted images (see `add_noise`)
    to see it clean them.

    Args:
        input_shape: tuple `(height, width, channels)`.
        latent_dim: int. Size of the latent space. Defaults to `16` (a
            larger code than the 2-D maps, for sharper reconstructions).
        noise_factor: float. Standard deviation of the added Gaussian noise
            (pixels are in [0, 1]). Defaults to `0.3`.
        architecture: `"dense"` or `"conv"`. Defaults to `"dense"`.
        hidden_units: tuple of int. Dense hidden layers. Defaults to
            `(256, 128)`.
        filters: tuple of int. Convolution filters. Defaults to `(32, 64)`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.

    Returns:
        A compiled Functional `keras.Model` named `"denoising_autoencoder"`.

    Raises:
        ValueError: on a malformed argument or a non-positive `noise_factor`.
    """
    input_shape = _check_shape(input_shape)
    _check_latent(latent_dim)
    _check_learning_rate(learning_rate)
    if not (isinstance(noise_factor, (int, float)) and noise_factor > 0):
        raise ValueError(
            f"`noise_factor` must be positive. Received: noise_factor={noise_factor!r}"
        )
    if architecture == "dense":
        parts = _dense_parts(
            input_shape, latent_dim, _check_units("hidden_units", hidden_units), "ae"
        )
    elif architecture == "conv":
        parts = _conv_parts(
            input_shape, latent_dim, _check_units("filters", filters), "ae"
        )
    else:
        raise ValueError(
            f"`architecture` must be 'dense' or 'conv'. Received: architecture={architecture!r}"
        )
    return _autoencoder(
        *parts, input_shape, "denoising_autoencoder", float(noise_factor), learning_rate
    )


def build_vae(
    input_shape,
    latent_dim=2,
    *,
    architecture="dense",
    hidden_units=(256, 128),
    filters=(32, 64),
    beta=1.0,
    learning_rate=1e-3,
    seed=None,
):
    """Variational autoencoder (Kingma & Welling 2014), built and compiled.

    Args:
        input_shape: tuple `(height, width, channels)`.
        latent_dim: int. Size of the latent space. Defaults to `2`.
        architecture: `"dense"` or `"conv"`. Defaults to `"dense"`.
        hidden_units: tuple of int. Dense hidden layers. Defaults to
            `(256, 128)`.
        filters: tuple of int. Convolution filters. Defaults to `(32, 64)`.
        beta: float. Weight of the KL term (1 is the plain VAE). Defaults to
            `1.0`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.
        seed: int or None. Seed of the `Sampling` layer. Defaults to `None`.

    Returns:
        A compiled, built `VAE`; `model.encoder` gives `[z_mean, z_log_var]`,
        `model.decoder` maps latent points to images.

    Raises:
        ValueError: on a malformed argument or a negative `beta`.
    """
    input_shape = _check_shape(input_shape)
    _check_latent(latent_dim)
    _check_learning_rate(learning_rate)
    if not (isinstance(beta, (int, float)) and beta > 0):
        raise ValueError(f"`beta` must be positive. Received: beta={beta!r}")
    if architecture == "dense":
        encoder, decoder = _dense_parts(
            input_shape, latent_dim, _check_units("hidden_units", hidden_units), "vae"
        )
    elif architecture == "conv":
        encoder, decoder = _conv_parts(
            input_shape, latent_dim, _check_units("filters", filters), "vae"
        )
    else:
        raise ValueError(
            f"`architecture` must be 'dense' or 'conv'. Received: architecture={architecture!r}"
        )
    model = VAE(encoder, decoder, beta=beta, seed=seed, name="vae")
    model(ops.zeros((1, *input_shape)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return model


def build_model(kind="dense", input_shape=(28, 28, 1), latent_dim=2, **kwargs):
    """The practical's face: one of the four autoencoders by name.

    Args:
        kind: str. `"dense"` (`build_dense_autoencoder`), `"conv"`
            (`build_conv_autoencoder`), `"denoising"`
            (`build_denoising_autoencoder`) or `"vae"` (`build_vae`).
            Defaults to `"dense"`.
        input_shape: tuple `(height, width, channels)`. Defaults to
            `(28, 28, 1)` (MNIST); scikit-learn's digits are `(8, 8, 1)`.
        latent_dim: int. Size of the latent space. Defaults to `2`.
        kwargs: keyword arguments passed to the builder (e.g. `noise_factor`,
            `hidden_units`).

    Returns:
        A compiled `keras.Model`.

    Raises:
        ValueError: if `kind` is unknown or an argument is malformed.
    """
    builders = {
        "dense": build_dense_autoencoder,
        "conv": build_conv_autoencoder,
        "denoising": build_denoising_autoencoder,
        "vae": build_vae,
    }
    if kind not in builders:
        raise ValueError(
            f"`kind` must be one of {list(KINDS)}. Received: kind={kind!r}"
        )
    return builders[kind](input_shape, latent_dim, **kwargs)


def train(
    model, train_ds, val_ds, *, epochs=30, run_dir=None, strategy=None, verbose="auto"
):
    """Trains an autoencoder through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model` or callable. The compiled model, or a function
            building it (called inside the strategy scope).
        train_ds: `tf.data.Dataset`. `(images, images)` batches from
            `load_data()`.
        val_ds: `tf.data.Dataset`. Validation batches from `load_data()`.
        epochs: int. Defaults to `30`.
        run_dir: str, path-like or None. Run directory (logs, checkpoints,
            resume). Defaults to `None`.
        strategy: `tf.distribute.Strategy` or None.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display.

    Returns:
        `keras.callbacks.History`; the trained model is `history.model`.

    Raises:
        ValueError, TypeError: as `training.fit`.
    """
    return training.fit(
        model,
        train_ds,
        val_ds,
        epochs=epochs,
        run_dir=run_dir,
        strategy=strategy,
        verbose=verbose,
    )


# --------------------------------------------------------------------------
# Latent space, residuals, metrics
# --------------------------------------------------------------------------


def _parts(model):
    if isinstance(model, VAE):
        return model.encoder, model.decoder
    try:
        return model.get_layer("encoder"), model.get_layer("decoder")
    except ValueError as error:
        raise ValueError(
            "`model` must come from this module's builders (it needs nested "
            f"'encoder' and 'decoder' models). Received: model {model.name!r}"
        ) from error


def encode(model, x, *, batch_size=512):
    """Latent codes of images (`z_mean` for a VAE).

    Args:
        model: `keras.Model`. An autoencoder from `build_model()`.
        x: array `(n, height, width, channels)` in [0, 1].
        batch_size: int. Prediction batch size. Defaults to `512`.

    Returns:
        float32 array `(n, latent_dim)`.

    Raises:
        ValueError: if `model` has no nested encoder.
    """
    encoder, _ = _parts(model)
    codes = encoder.predict(
        np.asarray(x, dtype="float32"), verbose=0, batch_size=batch_size
    )
    if isinstance(codes, (list, tuple)):
        codes = codes[0]
    return np.asarray(codes, dtype="float32")


def decode(model, z, *, batch_size=512):
    """Images decoded from latent points.

    Args:
        model: `keras.Model`. An autoencoder from `build_model()`.
        z: array `(n, latent_dim)`.
        batch_size: int. Prediction batch size. Defaults to `512`.

    Returns:
        float32 array `(n, height, width, channels)` in [0, 1].

    Raises:
        ValueError: if `model` has no nested decoder.
    """
    _, decoder = _parts(model)
    return np.asarray(
        decoder.predict(
            np.asarray(z, dtype="float32"), verbose=0, batch_size=batch_size
        ),
        dtype="float32",
    )


def add_noise(x, noise_factor=0.3, *, seed=0):
    """Corrupts images with Gaussian noise and clips them back to [0, 1].

    Args:
        x: array of images in [0, 1].
        noise_factor: float. Noise standard deviation. Defaults to `0.3`.
        seed: int. Seed of the NumPy generator. Defaults to `0`.

    Returns:
        float32 array like `x`.
    """
    x = np.asarray(x, dtype="float32")
    noise = np.random.default_rng(seed).normal(0.0, noise_factor, size=x.shape)
    return np.clip(x + noise, 0.0, 1.0).astype("float32")


def reconstruction_errors(model, x, *, batch_size=512):
    """Residual r = ||x - x_hat||^2 of each image (the novelty score).

    Args:
        model: `keras.Model`. A trained autoencoder.
        x: array `(n, height, width, channels)`.
        batch_size: int. Prediction batch size. Defaults to `512`.

    Returns:
        float array `(n,)`: the sum of squared pixel errors of each image.
    """
    x = np.asarray(x, dtype="float32")
    reconstructed = model.predict(x, verbose=0, batch_size=batch_size)
    return ((x - reconstructed) ** 2).reshape(len(x), -1).sum(axis=1)


def novelty_detection(model, x_known, x_novel, *, batch_size=512):
    """How well residuals separate known from never-seen images (ROC-AUC).

    Train `model` on some classes only; then images of the unseen classes
    should be rebuilt worse. The residual is the novelty score and the
    ROC-AUC (`sklearn.metrics.roc_auc_score`, novel = positive) says how
    well it ranks novel above known images (0.5 = chance, 1 = perfect).

    Args:
        model: `keras.Model`. An autoencoder trained on the known classes.
        x_known: array of held-out images of the known classes.
        x_novel: array of images of the unseen classes.
        batch_size: int. Prediction batch size. Defaults to `512`.

    Returns:
        dict with `auc`, `known_scores`, `novel_scores` (arrays),
        `known_mean` and `novel_mean`.

    Raises:
        ValueError: if either set is empty.
    """
    if len(x_known) == 0 or len(x_novel) == 0:
        raise ValueError(
            "`x_known` and `x_novel` must both hold images. "
            f"Received: {len(x_known)} known and {len(x_novel)} novel images"
        )
    sklearn_metrics = require("sklearn.metrics")
    known = reconstruction_errors(model, x_known, batch_size=batch_size)
    novel = reconstruction_errors(model, x_novel, batch_size=batch_size)
    labels = np.concatenate([np.zeros(len(known)), np.ones(len(novel))])
    auc = sklearn_metrics.roc_auc_score(labels, np.concatenate([known, novel]))
    return {
        "auc": float(auc),
        "known_scores": known,
        "novel_scores": novel,
        "known_mean": float(known.mean()),
        "novel_mean": float(novel.mean()),
    }


def pca_codes(x_train, x_test, n_components=2):
    """The linear baseline: PCA fitted on the training pixels.

    Args:
        x_train: array of training images.
        x_test: array of test images.
        n_components: int. Dimensions kept. Defaults to `2`.

    Returns:
        A tuple `(train_codes, test_codes)` of float32 arrays
        `(n, n_components)`.
    """
    decomposition = require("sklearn.decomposition")
    pca = decomposition.PCA(n_components=n_components, random_state=0)
    train_codes = pca.fit_transform(np.asarray(x_train).reshape(len(x_train), -1))
    test_codes = pca.transform(np.asarray(x_test).reshape(len(x_test), -1))
    return train_codes.astype("float32"), test_codes.astype("float32")


def latent_metrics(
    train_codes,
    y_train,
    test_codes,
    y_test,
    x_test,
    *,
    n_neighbors=5,
    max_points=2000,
    seed=0,
):
    """How good a low-dimensional map is: kNN accuracy and trustworthiness.

    - `knn_accuracy`: a `KNeighborsClassifier` fitted on the training codes
      and scored on the test codes. High when classes form separate regions.
    - `trustworthiness` (`sklearn.manifold.trustworthiness`, in [0, 1]):
      whether points that are neighbours in the map were neighbours in pixel
      space too (no false neighbours). Computed on at most `max_points` test
      images (it needs all pairwise distances).

    Args:
        train_codes: array `(n_train, d)`.
        y_train: array `(n_train,)` of labels.
        test_codes: array `(n_test, d)`.
        y_test: array `(n_test,)` of labels.
        x_test: array of the test images (pixel space).
        n_neighbors: int. Neighbours for both numbers. Defaults to `5`.
        max_points: int. Test images used for trustworthiness. Defaults to
            `2000`.
        seed: int. Seed of that subsample. Defaults to `0`.

    Returns:
        dict with `knn_accuracy` and `trustworthiness`.
    """
    neighbors = require("sklearn.neighbors")
    manifold = require("sklearn.manifold")
    classifier = neighbors.KNeighborsClassifier(n_neighbors=n_neighbors)
    classifier.fit(train_codes, y_train)
    accuracy = classifier.score(test_codes, y_test)
    pick = np.arange(len(test_codes))
    if len(pick) > max_points:
        pick = np.sort(np.random.default_rng(seed).permutation(len(pick))[:max_points])
    trust = manifold.trustworthiness(
        np.asarray(x_test).reshape(len(x_test), -1)[pick],
        np.asarray(test_codes)[pick],
        n_neighbors=n_neighbors,
    )
    return {"knn_accuracy": float(accuracy), "trustworthiness": float(trust)}


def evaluate(model, test_ds, *, info=None, n_neighbors=5, max_points=2000):
    """Reconstruction error and, with labels, the quality of the latent map.

    Args:
        model: `keras.Model`. A trained autoencoder.
        test_ds: `tf.data.Dataset`. `(images, images)` batches, not shuffled.
        info: dict or None. The `info` of `load_data()`; when given (with
            `x_train`, `y_train`, `y_test`), kNN accuracy and trustworthiness
            of the latent codes are added.
        n_neighbors: int. Neighbours for kNN and trustworthiness. Defaults to
            `5`.
        max_points: int. Test images used for trustworthiness. Defaults to
            `2000`.

    Returns:
        dict with `reconstruction_mse` (mean squared pixel error),
        `residual_mean` (mean ||x - x_hat||^2 per image), `test_images`,
        `latent_dim` and, with `info`, `knn_accuracy` and `trustworthiness`.

    Raises:
        ValueError: if `info` has a different number of test labels than
            `test_ds` has images.
    """
    x_test = np.concatenate([np.asarray(batch[0]) for batch in test_ds])
    reconstructed = model.predict(x_test, verbose=0, batch_size=512)
    squared = (x_test - reconstructed) ** 2
    numbers = {
        "reconstruction_mse": float(squared.mean()),
        "residual_mean": float(squared.reshape(len(x_test), -1).sum(axis=1).mean()),
        "test_images": int(len(x_test)),
    }
    codes = encode(model, x_test)
    numbers["latent_dim"] = int(codes.shape[1])
    if info is not None and "y_test" in info:
        if len(info["y_test"]) != len(x_test):
            raise ValueError(
                "`info['y_test']` must label every image of `test_ds`. Expected: "
                f"{len(x_test)} labels. Received: {len(info['y_test'])} labels"
            )
        train_codes = encode(model, info["x_train"])
        numbers.update(
            latent_metrics(
                train_codes,
                info["y_train"],
                codes,
                info["y_test"],
                x_test,
                n_neighbors=n_neighbors,
                max_points=max_points,
            )
        )
    return numbers


# --------------------------------------------------------------------------
# Figures (matplotlib Figures built without pyplot)
# --------------------------------------------------------------------------


def plot_latent_maps(codes, labels, *, class_names=None, titles=None, title=None):
    """The slides' "visual map": 2-D latent codes coloured by class, one panel per method.

    Args:
        codes: dict of str -> array `(n, 2)`. Codes by method name, e.g.
            `{"PCA": ..., "autoencoder": ...}`.
        labels: array `(n,)` of class indices.
        class_names: list of str or None. Legend entries.
        titles: dict of str -> str or None. Panel titles by method.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if a code array is not `(n, 2)`.
    """
    labels = np.asarray(labels)
    names = list(codes)
    figure = Figure(figsize=(4.3 * len(names) + 1.2, 4.2), layout="constrained")
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    classes = np.unique(labels)
    class_names = class_names or [str(k) for k in classes]
    for ax, name in zip(axes, names):
        points = np.asarray(codes[name])
        if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
            raise ValueError(
                f"codes[{name!r}] must have shape ({len(labels)}, 2). "
                f"Received: shape {points.shape}"
            )
        for k in classes:
            mask = labels == k
            ax.scatter(
                points[mask, 0],
                points[mask, 1],
                s=4,
                alpha=0.7,
                color=_colour(int(k)),
                label=class_names[int(k)] if int(k) < len(class_names) else str(k),
            )
        ax.set_title((titles or {}).get(name, name))
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
    handles, names_ = axes[-1].get_legend_handles_labels()
    figure.legend(
        handles, names_, loc="outside right center", markerscale=3, fontsize=8
    )
    if title:
        figure.suptitle(title)
    return figure


def _colour(index):
    palette = (
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    )
    return palette[index % len(palette)]


def plot_reconstructions(rows, *, row_titles=None, num_images=10, title=None):
    """Rows of images side by side: originals, reconstructions, noisy inputs ...

    Args:
        rows: list of arrays `(n, height, width[, 1])`. One row each.
        row_titles: list of str or None. Label of each row.
        num_images: int. Images per row. Defaults to `10`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if `rows` is empty.
    """
    if not rows:
        raise ValueError(
            "`rows` must hold at least one array of images. Received: rows=[]"
        )
    num_images = min(num_images, *(len(r) for r in rows))
    figure = Figure(
        figsize=(1.0 * num_images + 1.2, 1.1 * len(rows) + 0.4), layout="constrained"
    )
    axes = figure.subplots(len(rows), num_images, squeeze=False)
    for r, images in enumerate(rows):
        images = np.asarray(images)
        for c in range(num_images):
            ax = axes[r, c]
            ax.imshow(images[c].squeeze(), cmap="gray", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
        if row_titles:
            axes[r, 0].set_ylabel(row_titles[r], fontsize=9)
    if title:
        figure.suptitle(title)
    return figure


def plot_manifold(model, *, grid_size=15, quantile_range=(0.05, 0.95), title=None):
    """Images decoded from a lattice of latent points (a 2-D VAE's manifold).

    The lattice uses quantiles of N(0, 1) (`scipy.stats.norm.ppf`), so its
    points are spread as the VAE's prior says latent codes are.

    Args:
        model: `keras.Model`. A trained autoencoder with `latent_dim=2`.
        grid_size: int. Points per axis. Defaults to `15`.
        quantile_range: tuple of float. Lowest and highest quantile.
            Defaults to `(0.05, 0.95)`.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.

    Raises:
        ValueError: if the model's latent space is not 2-D.
    """
    stats = require("scipy.stats")
    _, decoder = _parts(model)
    if decoder.input_shape[-1] != 2:
        raise ValueError(
            "The manifold grid needs a 2-D latent space. "
            f"Received: latent_dim={decoder.input_shape[-1]}"
        )
    axis = stats.norm.ppf(np.linspace(*quantile_range, grid_size))
    grid = np.array([[x, y] for y in axis[::-1] for x in axis], dtype="float32")
    images = decode(model, grid)
    height, width = images.shape[1:3]
    gap = 1  # a grey line between the decoded images
    canvas = np.full(
        (grid_size * (height + gap) - gap, grid_size * (width + gap) - gap), 0.5
    )
    for index, image in enumerate(images):
        i, j = divmod(index, grid_size)
        top, left = i * (height + gap), j * (width + gap)
        canvas[top : top + height, left : left + width] = image[..., 0]
    figure = Figure(figsize=(6, 6), layout="constrained")
    ax = figure.subplots()
    low, high = axis[0], axis[-1]
    ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0, extent=(low, high, low, high))
    ax.set_xlabel("$z_1$ (cuantiles de N(0, 1))")
    ax.set_ylabel("$z_2$")
    ax.set_title(
        title or "Imágenes decodificadas desde una rejilla del espacio latente"
    )
    return figure


def plot_novelty(known_scores, novel_scores, *, auc=None, title=None):
    """Histograms of residuals of known and never-seen images.

    Args:
        known_scores: array. Residuals of held-out images of known classes.
        novel_scores: array. Residuals of images of unseen classes.
        auc: float or None. ROC-AUC to show in the title.
        title: str or None. Figure title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = Figure(figsize=(6, 3.6), layout="constrained")
    ax = figure.subplots()
    bins = np.histogram_bin_edges(np.concatenate([known_scores, novel_scores]), bins=40)
    ax.hist(known_scores, bins=bins, alpha=0.6, density=True, label="clases conocidas")
    ax.hist(novel_scores, bins=bins, alpha=0.6, density=True, label="clase nueva")
    ax.set_xlabel(r"residuo $r = \|x - \hat{x}\|^2$")
    ax.set_ylabel("densidad")
    ax.legend()
    text = title or "Detección de novedades por el residuo"
    if auc is not None:
        text += f" (AUC ROC = {auc:.3f})"
    ax.set_title(text)
    return figure


# --------------------------------------------------------------------------
# The whole practical
# --------------------------------------------------------------------------


def run(
    quick=False,
    out_dir="runs/autoencoders",
    *,
    seed=0,
    source=None,
    epochs=None,
    novel_class=9,
    strategy=None,
    verbose=0,
):
    """The whole practical: data -> four autoencoders -> maps, manifold, novelty.

    Trains a dense and a convolutional autoencoder and a VAE with 2-D latent
    spaces, compares their latent maps with a 2-D PCA (kNN accuracy,
    trustworthiness), trains a denoising autoencoder, and an autoencoder on
    every class but `novel_class` to detect that class from its residuals.

    Args:
        quick: bool. Quick mode: scikit-learn's 8 x 8 digits (unless `source`
            says otherwise, then at most 6,000 training images) and few
            epochs; under a minute on two CPU cores. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures and
            `model.keras` (the VAE) go. Defaults to `"runs/autoencoders"`.
        seed: int. Seed for data, weights and shuffling. Defaults to `0`.
        source: None or str or path-like. Data (see `load_data`). `None`
            means scikit-learn's digits in quick mode and MNIST (downloaded)
            otherwise.
        epochs: int or None. Epochs per model. Defaults to 30 in quick mode
            and 20 otherwise.
        novel_class: int. Class left out for novelty detection. Defaults to
            `9`.
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result` whose metrics hold one dict per model (`dense`,
        `conv`, `vae`, `denoising`), `pca`, `novelty` and `data`.

    Raises:
        ValueError: if `novel_class` is not a class of the data.
    """
    start = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    strategy = strategy or runtime.get_strategy()
    if source is None and not quick:
        source = "mnist"
    if epochs is None:
        epochs = 30 if quick else 20
    batch_size = runtime.global_batch_size(64 if quick else 128, strategy)
    train_ds, val_ds, test_ds, info = load_data(
        source, quick=quick, batch_size=batch_size, seed=seed
    )
    if novel_class not in set(info["y_train"].tolist()):
        raise ValueError(
            f"`novel_class` must be one of the classes {sorted(set(info['y_train'].tolist()))}. "
            f"Received: novel_class={novel_class!r}"
        )
    shape = info["image_shape"]
    numbers = {}
    models = {}
    histories = {}
    configs = {
        "dense": {"kind": "dense"},
        "conv": {"kind": "conv"},
        "vae": {"kind": "vae", "seed": seed},
        "denoising": {"kind": "denoising", "latent_dim": 16},
    }
    for name, config in configs.items():
        config = dict(config)
        kind = config.pop("kind")
        latent_dim = config.pop("latent_dim", 2)
        with strategy.scope():
            model = build_model(kind, shape, latent_dim, **config)
        tic = time.perf_counter()
        histories[name] = train(
            model,
            train_ds,
            val_ds,
            epochs=epochs,
            run_dir=out_dir / "runs" / name,
            strategy=strategy,
            verbose=verbose,
        )
        seconds = time.perf_counter() - tic
        numbers[name] = evaluate(model, test_ds, info=info)
        numbers[name]["train_seconds"] = seconds
        models[name] = model

    pca_train, pca_test = pca_codes(info["x_train"], info["x_test"])
    numbers["pca"] = latent_metrics(
        pca_train, info["y_train"], pca_test, info["y_test"], info["x_test"]
    )

    # Novelty detection: train on every class but one, score residuals.
    known_train = info["y_train"] != novel_class
    known_val = info["y_val"] != novel_class
    with strategy.scope():
        novelty_model = build_model("dense", shape, 8)
    train(
        novelty_model,
        _dataset(info["x_train"][known_train], batch_size, shuffle=True, seed=seed),
        _dataset(info["x_val"][known_val], batch_size, shuffle=False, seed=seed),
        epochs=epochs,
        run_dir=out_dir / "runs" / "novelty",
        strategy=strategy,
        verbose=verbose,
    )
    is_novel = info["y_test"] == novel_class
    novelty = novelty_detection(
        novelty_model, info["x_test"][~is_novel], info["x_test"][is_novel]
    )
    numbers["novelty"] = {
        "novel_class": int(novel_class),
        "auc": novelty["auc"],
        "known_mean_residual": novelty["known_mean"],
        "novel_mean_residual": novelty["novel_mean"],
    }
    numbers["data"] = info["description"]
    best = max(("dense", "conv", "vae"), key=lambda n: numbers[n]["knn_accuracy"])
    numbers["best_model"] = best
    numbers["best_knn_accuracy"] = numbers[best]["knn_accuracy"]
    numbers["pca_knn_accuracy"] = numbers["pca"]["knn_accuracy"]
    numbers["novelty_auc"] = novelty["auc"]

    data_name = DIGITS_DESCRIPTION if info["source"] == "digits" else info["source"]
    x_show = info["x_test"][:10]
    noisy = add_noise(x_show, 0.3, seed=seed)
    codes = {
        "PCA": pca_test,
        "autoencoder denso": encode(models["dense"], info["x_test"]),
        "VAE": encode(models["vae"], info["x_test"]),
    }
    titles = {
        "PCA": f"PCA 2-D (kNN {numbers['pca']['knn_accuracy']:.2f})",
        "autoencoder denso": f"autoencoder denso (kNN {numbers['dense']['knn_accuracy']:.2f})",
        "VAE": f"VAE (kNN {numbers['vae']['knn_accuracy']:.2f})",
    }
    figures = {
        "latent_maps": plots.save(
            plot_latent_maps(
                codes,
                info["y_test"],
                class_names=info["class_names"],
                titles=titles,
                title=f"Mapa latente 2-D de las imágenes de test ({data_name})",
            ),
            out_dir / "latent_maps.png",
        ),
        "vae_manifold": plots.save(
            plot_manifold(
                models["vae"], title=f"VAE: rejilla del espacio latente ({data_name})"
            ),
            out_dir / "vae_manifold.png",
        ),
        "reconstructions": plots.save(
            plot_reconstructions(
                [x_show]
                + [
                    models[n].predict(x_show, verbose=0)
                    for n in ("dense", "conv", "vae")
                ],
                row_titles=["original", "denso", "conv", "VAE"],
                title=f"Reconstrucciones con un código de 2 números ({data_name})",
            ),
            out_dir / "reconstructions.png",
        ),
        "denoising": plots.save(
            plot_reconstructions(
                [x_show, noisy, models["denoising"].predict(noisy, verbose=0)],
                row_titles=["original", "con ruido", "limpiada"],
                title=f"Autoencoder de eliminación de ruido ({data_name})",
            ),
            out_dir / "denoising.png",
        ),
        "novelty": plots.save(
            plot_novelty(
                novelty["known_scores"],
                novelty["novel_scores"],
                auc=novelty["auc"],
                title=f"Clase nueva: {novel_class}",
            ),
            out_dir / "novelty.png",
        ),
        "vae_learning_curves": plots.save(
            plots.learning_curves(
                histories["vae"],
                metrics=["loss", "reconstruction_loss", "kl_loss"],
                title="VAE: curvas de aprendizaje",
            ),
            out_dir / "vae_learning_curves.png",
        ),
    }
    model_path = out_dir / "model.keras"
    models["vae"].save(model_path)
    result = results.Result(
        name="autoencoders",
        metrics=numbers,
        figures=figures,
        model_path=model_path,
        out_dir=out_dir,
        data=info["description"],
        summary=(
            f"2-D latent kNN accuracy: best {best} {numbers[best]['knn_accuracy']:.3f} vs "
            f"PCA {numbers['pca']['knn_accuracy']:.3f}; novelty AUC for class {novel_class} "
            f"{novelty['auc']:.3f} ({data_name})."
        ),
        seconds=time.perf_counter() - start,
    )
    result.write_metrics()
    return result
