"""Practical 6: autoencoders, the variational autoencoder and a small GAN.

A dense autoencoder squeezes each MNIST digit (LeCun et al. 1998; 784
pixels) through a 2-D latent space; its codes are a map of the digits,
compared with a 2-D PCA (kNN accuracy, trustworthiness). The slides' other
uses follow: denoising (Vincent et al. 2008), novelty detection from the
residual r = ||x - x_hat||^2, the variational autoencoder (Kingma & Welling
2014) and a DCGAN (Goodfellow et al. 2014; Radford et al. 2016).

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
import zipfile
import zlib

import keras
import numpy as np
from keras import layers, ops

from secuah_dl import datasets, plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "load_data",
    "build_dense_autoencoder",
    "Sampling",
    "VAE",
    "build_vae",
    "build_model",
    "build_generator",
    "build_discriminator",
    "GAN",
    "train",
    "encode",
    "add_noise",
    "pca_codes",
    "latent_metrics",
    "evaluate",
    "build_digit_classifier",
    "generation_scores",
    "run",
]

CLASS_NAMES = [str(digit) for digit in range(10)]
_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_IDX_LAYOUT = (
    "an IDX file of the MNIST distribution (LeCun et al. 1998), raw or gzip: a "
    "big-endian header (magic 2051 + count, rows, columns for images; magic 2049 "
    "+ count for labels) followed by one unsigned byte per pixel or label"
)
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
_NPZ_LAYOUT = (
    "a NumPy .npz with uint8 x_train (n, 28, 28), y_train (n,), x_test (m, 28, 28), "
    "y_test (m,): the layout of keras.datasets.mnist"
)

# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def _read_idx(path):
    """uint8 array of one MNIST IDX file (`.gz` or raw), or a ValueError naming it."""
    path = pathlib.Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{path} is not a readable gzip file ({error}). Expected: {_IDX_LAYOUT}. "
            f"Received: {path.stat().st_size} bytes"
        ) from error
    magic = int.from_bytes(data[0:4], "big") if len(data) >= 4 else None
    offset = {_IMAGES_MAGIC: 16, _LABELS_MAGIC: 8}.get(magic, 8)
    if len(data) < offset:
        raise ValueError(
            f"{path} is empty or truncated: its header needs {offset} bytes. "
            f"Expected: {_IDX_LAYOUT}. Received: {len(data)} bytes"
        )
    if magic not in (_IMAGES_MAGIC, _LABELS_MAGIC):
        raise ValueError(
            f"{path} is not an MNIST IDX file: expected magic number 2051 "
            f"(0x00000803, images) or 2049 (0x00000801, labels). "
            f"Received: magic={magic} (0x{magic:08x})"
        )
    shape = tuple(int.from_bytes(data[i : i + 4], "big") for i in range(4, offset, 4))
    expected = offset + math.prod(shape)
    if len(data) < expected:
        raise ValueError(
            f"{path} is truncated: its header announces shape {shape}, i.e. "
            f"{expected} bytes. Received: {len(data)} bytes"
        )
    return np.frombuffer(
        data, np.uint8, count=expected - offset, offset=offset
    ).reshape(shape)


def _check_pair(images, labels, images_name, labels_name):
    if images.ndim != 3:
        raise ValueError(
            f"{images_name} must hold images of shape (count, height, width). "
            f"Received: shape {images.shape}"
        )
    if labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"{images_name} and {labels_name} must hold as many images as labels. "
            f"Expected: {len(images)} labels. Received: {len(labels)} labels "
            f"(shape {labels.shape})"
        )
    return images, labels


def _load_npz(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = sorted(archive.files)
            arrays = {key: archive[key] for key in _NPZ_KEYS if key in keys}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(
            f"{path} is not a readable NumPy .npz file (empty, truncated or another "
            f"format: {type(error).__name__}: {error}). Expected: {_NPZ_LAYOUT}. "
            f"Received: {pathlib.Path(path).stat().st_size} bytes"
        ) from error
    missing = [key for key in _NPZ_KEYS if key not in arrays]
    if missing:
        raise ValueError(
            f"{path} lacks the arrays {missing}. Expected: {_NPZ_LAYOUT}. "
            f"Received: keys {keys}"
        )
    return [
        _check_pair(
            arrays[f"x_{part}"],
            arrays[f"y_{part}"],
            f"{path}[x_{part}]",
            f"{path}[y_{part}]",
        )
        for part in ("train", "test")
    ]


def _load_folder(folder):
    pairs = {}
    for prefix in ("train", "t10k"):
        found = {}
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
            for path in (folder / f"{prefix}-{kind}.gz", folder / f"{prefix}-{kind}"):
                if path.is_file():
                    found.setdefault(kind, path)
        if len(found) == 1:
            raise ValueError(
                f"{folder} holds {next(iter(found.values())).name} but not its partner. "
                f"Expected both {prefix}-images-idx3-ubyte.gz and "
                f"{prefix}-labels-idx1-ubyte.gz. Received: {sorted(p.name for p in folder.iterdir())}"
            )
        if found:
            paths = [found[kind] for kind in sorted(found)]  # images, then labels
            pairs[prefix] = _check_pair(*map(_read_idx, paths), *map(str, paths))
    if not pairs:
        raise ValueError(
            f"{folder} holds no MNIST IDX files. Expected train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
            "t10k-labels-idx1-ubyte.gz (or only one of the pairs). "
            f"Received: {sorted(p.name for p in folder.iterdir())[:10]}"
        )
    if len(pairs) == 2:
        return pairs["train"], pairs["t10k"]
    return None, next(iter(pairs.values()))


def _read_source(source):
    """(train pair or None, test pair, description) of a data source."""
    if source is None:
        names = ("mnist_test_images", "mnist_test_labels")
        pair = tuple(_read_idx(datasets.embedded(name)) for name in names)
        return None, pair, "MNIST de test incluido en secuah_dl (dígitos reales)"
    if isinstance(source, str) and source == "mnist":
        train, test = _load_npz(datasets.fetch("mnist"))
        return train, test, "MNIST completo (datasets.fetch('mnist'), dígitos reales)"
    if not isinstance(source, (str, pathlib.PurePath)):
        raise ValueError(
            "`source` must be None (the MNIST test set shipped with the package), "
            "'mnist' or a path to an .npz file or a folder of IDX files. "
            f"Received: source of type {type(source).__name__}"
        )
    path = pathlib.Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            "`source` is neither 'mnist' nor an existing .npz file or folder of IDX "
            f"files. Received: source={str(source)!r}"
        )
    if path.is_dir():
        train, test = _load_folder(path)
        return train, test, f"ficheros IDX de MNIST en {path}"
    if path.suffix == ".npz":
        train, test = _load_npz(path)
        return train, test, f"archivo NumPy {path}"
    raise ValueError(
        "`source` must be an .npz file or a folder of IDX files (give the folder, "
        f"not one IDX file). Received: source={str(source)!r}"
    )


def _split(labels, test_size, seed):
    """Stratified (when possible) train/test indices of `labels`."""
    model_selection = require("sklearn.model_selection")
    indices = np.arange(len(labels))
    try:
        return model_selection.train_test_split(
            indices, test_size=test_size, stratify=labels, random_state=seed
        )
    except ValueError:  # a class too small to stratify: a plain shuffled split
        return model_selection.train_test_split(
            indices, test_size=test_size, random_state=seed
        )


def _scale(images):
    images = np.asarray(images)
    if images.dtype.kind == "f" and images.size and images.max() <= 1.0:
        return images.astype("float32")[..., None]  # already in [0, 1]
    return (images.astype("float32") / 255.0)[..., None]


def _dataset(x, batch_size, *, shuffle, seed):
    tf = require("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices((x, x)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_data(source=None, *, quick=False, batch_size=128, seed=0):
    """Training, validation and test digits as `tf.data` pipelines of `(x, x)`.

    Batches of float32 pixels in [0, 1], shape `(28, 28, 1)`, input and
    target alike (shuffled for training only). A single set of images is
    split 80 / 10 / 10, stratified by digit; with separate train and test
    sets, 10 % of the training images go to validation.

    Args:
        source: None, str or path-like. `None`: the MNIST test set shipped
            with the package (10,000 digits). `"mnist"`: full MNIST through
            `datasets.fetch("mnist")`. A path: the Keras `mnist.npz` or a
            folder of IDX files (`train-images-idx3-ubyte.gz`, `t10k-...`).
        quick: bool. Quick mode: at most 2,048 training, 512 validation and
            1,000 test digits. Defaults to `False`.
        batch_size: int. Batch size. Defaults to `128`.
        seed: int. Seed of the splits and of the shuffling. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`. `info` holds the scaled
        arrays and labels (`x_train`, `y_train`, `x_val`, `y_val`, `x_test`,
        `y_test`), `image_shape`, `class_names`, `source`, `synthetic`
        (always `False`) and `description`.

    Raises:
        ValueError: on a bad argument or a malformed file (the message names
            the file and the layout expected).
        FileNotFoundError: if `source` is a path that does not exist.
        datasets.OfflineError: if full MNIST must be downloaded offline.
    """
    check_int("batch_size", batch_size)
    check_int("seed", seed, minimum=0)
    train, test, description = _read_source(source)
    if train is None:
        images, labels = test
        if len(images) < 20:
            raise ValueError(
                "`source` must hold at least 20 images to split into train, validation "
                f"and test. Received: {len(images)} images"
            )
        rest, test_index = _split(labels, 0.1, seed)
        train_index, val_index = _split(labels[rest], 1 / 9, seed)
        train_index, val_index = rest[train_index], rest[val_index]
        parts = [(images[i], labels[i]) for i in (train_index, val_index, test_index)]
    else:
        indices = _split(train[1], 0.1, seed)
        parts = [(train[0][i], train[1][i]) for i in indices] + [test]
    if quick:
        parts = [(x[:n], y[:n]) for (x, y), n in zip(parts, (2048, 512, 1000))]
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = [
        (_scale(x), np.asarray(y, dtype="int64")) for x, y in parts
    ]
    info = {
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "x_test": x_test,
        "y_test": y_test,
        "image_shape": tuple(int(d) for d in x_train.shape[1:]),
        "class_names": CLASS_NAMES,
        "source": "embedded" if source is None else str(source),
        "synthetic": False,
        "description": (
            f"{description}: {len(x_train)} de entrenamiento / {len(x_val)} de "
            f"validación / {len(x_test)} de test, de {x_train.shape[1]}×"
            f"{x_train.shape[2]} píxeles"
        ),
    }
    return (
        _dataset(x_train, batch_size, shuffle=True, seed=seed),
        _dataset(x_val, batch_size, shuffle=False, seed=seed),
        _dataset(x_test, batch_size, shuffle=False, seed=seed),
        info,
    )


# --------------------------------------------------------------------------
# Autoencoders
# --------------------------------------------------------------------------


def _check_shape(input_shape, multiple=1):
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
    if len(shape) != 3 or any(
        isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape
    ):
        raise ValueError(
            "`input_shape` must be (height, width, channels) of positive integers, "
            f"e.g. (28, 28, 1). Received: input_shape={input_shape!r}"
        )
    if shape[0] % multiple or shape[1] % multiple:
        raise ValueError(
            f"`input_shape` height and width must be multiples of {multiple} (one "
            f"halving per stride-2 layer). Received: input_shape={input_shape!r}"
        )
    return shape


def _check_units(name, units):
    units = tuple(units) if isinstance(units, (tuple, list)) else ()
    if not units or any(
        isinstance(u, bool) or not isinstance(u, int) or u < 1 for u in units
    ):
        raise ValueError(
            f"`{name}` must be a non-empty tuple of positive integers. Received: {name}={units!r}"
        )
    return units


def build_dense_autoencoder(
    input_shape=(28, 28, 1),
    latent_dim=2,
    *,
    hidden_units=(512, 256, 128),
    noise_factor=None,
    learning_rate=1e-3,
):
    """The slides' dense autoencoder: 784 -> ... -> latent_dim -> ... -> 784.

    Nests an `encoder` (Flatten, `Dense(units, relu)` per hidden layer, a
    linear code) and its mirror `decoder` (sigmoid pixels). With
    `noise_factor`, `GaussianNoise` corrupts the inputs in training only: a
    denoising autoencoder (Vincent et al. 2008).

    Args:
        input_shape: tuple `(height, width, channels)`. Defaults to
            `(28, 28, 1)`.
        latent_dim: int. Size of the code. Defaults to `2`.
        hidden_units: tuple of int. Encoder's hidden layers (the decoder
            uses them reversed). Defaults to `(512, 256, 128)`.
        noise_factor: float or None. Standard deviation of the training
            noise. Defaults to `None` (a plain autoencoder).
        learning_rate: float or `keras.optimizers.schedules` object. Adam's
            learning rate. Defaults to `1e-3`.

    Returns:
        A `keras.Model` compiled with Adam and binary cross-entropy.

    Raises:
        ValueError: on a malformed shape, latent size, unit list or noise.
    """
    input_shape = _check_shape(input_shape)
    check_int("latent_dim", latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    if noise_factor is not None:
        check_positive_float("noise_factor", noise_factor)
    inputs = keras.Input(shape=input_shape)
    x = layers.Flatten()(inputs)
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
    encoder = keras.Model(inputs, layers.Dense(latent_dim)(x), name="encoder")

    codes = keras.Input(shape=(latent_dim,))
    x = codes
    for units in reversed(hidden_units):
        x = layers.Dense(units, activation="relu")(x)
    x = layers.Dense(math.prod(input_shape), activation="sigmoid")(x)
    decoder = keras.Model(codes, layers.Reshape(input_shape)(x), name="decoder")

    images = keras.Input(shape=input_shape)
    x = layers.GaussianNoise(noise_factor)(images) if noise_factor else images
    name = "denoising_autoencoder" if noise_factor else "autoencoder"
    model = keras.Model(images, decoder(encoder(x)), name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy"
    )
    return model


@keras.saving.register_keras_serializable(package="secuah_dl")
class Sampling(layers.Layer):
    """Draws z = z_mean + exp(z_log_var / 2) * epsilon, epsilon ~ N(0, 1).

    The reparameterisation trick of Kingma & Welling (2014): gradients flow
    through `z_mean` and `z_log_var`.

    Args:
        seed: int or None. Seed of the generator. Defaults to `None`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # no weights to create

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="secuah_dl")
class VAE(keras.Model):
    """Variational autoencoder (Kingma & Welling 2014) on any Keras backend.

    z is sampled in training and is `z_mean` otherwise. `call` adds the KL
    divergence to N(0, 1) with `add_loss`; `compute_loss` adds the binary
    cross-entropy summed over pixels and tracks `reconstruction_loss` and
    `kl_loss`.

    Args:
        encoder: `keras.Model`. Image -> `[z_mean, z_log_var]`.
        decoder: `keras.Model`. Latent vector -> image in [0, 1].
        seed: int or None. Seed of the sampling. Defaults to `None`.
        **kwargs: base `keras.Model` arguments (`name`, ...).
    """

    def __init__(self, encoder, decoder, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.seed = seed
        self.sampling = Sampling(seed=seed)
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    def call(self, images, training=False):
        z_mean, z_log_var = self.encoder(images, training=training)
        z = self.sampling([z_mean, z_log_var]) if training else z_mean
        kl = -0.5 * ops.sum(
            1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1
        )
        self.add_loss(ops.mean(kl))
        return self.decoder(z, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        target = x if y is None else y
        per_pixel = keras.losses.binary_crossentropy(target, y_pred)
        reconstruction = ops.mean(ops.sum(per_pixel, axis=(1, 2)))
        kl = sum(self.losses)  # a Python sum: the list holds one tensor per call
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + kl

    def get_config(self):
        return {
            "name": self.name,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


def build_vae(
    input_shape=(28, 28, 1),
    latent_dim=2,
    *,
    filters=(16, 32),
    learning_rate=1e-3,
    seed=None,
):
    """A convolutional VAE (the keras-io example's shape), built and compiled.

    Encoder: stride-2 `Conv2D`s, `Dense(16)`, `z_mean` and
    `z_log_var`. Decoder: `Dense`, Reshape, stride-2 `Conv2DTranspose`s and
    a sigmoid `Conv2D`.

    Args:
        input_shape: tuple `(height, width, channels)`; height and width
            multiples of `2 ** len(filters)`. Defaults to `(28, 28, 1)`.
        latent_dim: int. Size of the latent space. Defaults to `2`.
        filters: tuple of int. Convolution filters. Defaults to `(16, 32)`.
        learning_rate: float or schedule. Adam's learning rate. Defaults to
            `1e-3`.
        seed: int or None. Seed of the `Sampling` layer. Defaults to `None`.

    Returns:
        A compiled, built `VAE`; `model.encoder` gives `[z_mean, z_log_var]`,
        `model.decoder` maps latent points to images.

    Raises:
        ValueError: on a malformed argument.
    """
    filters = _check_units("filters", filters)
    height, width, channels = _check_shape(input_shape, 2 ** len(filters))
    check_int("latent_dim", latent_dim)
    inputs = keras.Input(shape=(height, width, channels))
    x = inputs
    for count in filters:
        x = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Dense(16, activation="relu")(layers.Flatten()(x))
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    encoder = keras.Model(inputs, [z_mean, z_log_var], name="encoder")

    factor = 2 ** len(filters)
    small = (height // factor, width // factor, filters[-1])
    codes = keras.Input(shape=(latent_dim,))
    x = layers.Dense(math.prod(small), activation="relu")(codes)
    x = layers.Reshape(small)(x)
    for count in reversed(filters):
        x = layers.Conv2DTranspose(
            count, 3, strides=2, padding="same", activation="relu"
        )(x)
    outputs = layers.Conv2D(channels, 3, padding="same", activation="sigmoid")(x)
    decoder = keras.Model(codes, outputs, name="decoder")

    model = VAE(encoder, decoder, seed=seed, name="vae")
    model(ops.zeros((1, height, width, channels)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return model


def build_model(kind="dense", input_shape=(28, 28, 1), latent_dim=2, **kwargs):
    """The practical's face: one of the autoencoders by name.

    Args:
        kind: str. `"dense"` (`build_dense_autoencoder`), `"denoising"`
            (the same with `noise_factor=0.3` unless given) or `"vae"`
            (`build_vae`). Defaults to `"dense"`.
        input_shape: tuple `(height, width, channels)`. Defaults to
            `(28, 28, 1)`.
        latent_dim: int. Size of the latent space. Defaults to `2`.
        **kwargs: passed to the builder (e.g. `hidden_units`, `seed`).

    Returns:
        A compiled `keras.Model`.

    Raises:
        ValueError: if `kind` is unknown or an argument is malformed.
    """
    if kind == "dense":
        return build_dense_autoencoder(input_shape, latent_dim, **kwargs)
    if kind == "denoising":
        kwargs.setdefault("noise_factor", 0.3)
        return build_dense_autoencoder(input_shape, latent_dim, **kwargs)
    if kind == "vae":
        return build_vae(input_shape, latent_dim, **kwargs)
    raise ValueError(
        f"`kind` must be one of ['dense', 'denoising', 'vae']. Received: kind={kind!r}"
    )


# --------------------------------------------------------------------------
# GAN
# --------------------------------------------------------------------------


def build_generator(latent_dim=64, *, filters=(32, 16), image_shape=(28, 28, 1)):
    """A DCGAN generator (Radford et al. 2016): noise vector -> image.

    `Dense` to a small feature map, one `Conv2DTranspose(f, 4, strides=2)` +
    `LeakyReLU(0.2)` per filter count, and a sigmoid `Conv2D(channels, 7)`.

    Args:
        latent_dim: int. Size of the noise vector. Defaults to `64`.
        filters: tuple of int. Filters of the transposed convolutions (the
            first also sets the size of the starting feature map). Defaults
            to `(32, 16)`.
        image_shape: tuple `(height, width, channels)`. Defaults to
            `(28, 28, 1)`.

    Returns:
        An uncompiled `keras.Sequential` named `"generator"`.

    Raises:
        ValueError: on a malformed argument.
    """
    check_int("latent_dim", latent_dim)
    filters = _check_units("filters", filters)
    height, width, channels = _check_shape(image_shape, 2 ** len(filters))
    factor = 2 ** len(filters)
    small = (height // factor, width // factor, filters[0])
    model = keras.Sequential(name="generator")
    model.add(keras.Input(shape=(latent_dim,)))
    model.add(layers.Dense(math.prod(small)))
    model.add(layers.LeakyReLU(0.2))
    model.add(layers.Reshape(small))
    for count in filters:
        model.add(layers.Conv2DTranspose(count, 4, strides=2, padding="same"))
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Conv2D(channels, 7, padding="same", activation="sigmoid"))
    return model


def build_discriminator(image_shape=(28, 28, 1), *, filters=(16, 32), dropout=0.3):
    """A DCGAN discriminator: image -> one logit (real > 0 > generated).

    One `Conv2D(f, 4, strides=2)` + `LeakyReLU(0.2)` per filter count,
    Flatten, Dropout and a linear `Dense(1)`.

    Args:
        image_shape: tuple `(height, width, channels)`. Defaults to
            `(28, 28, 1)`.
        filters: tuple of int. Convolution filters. Defaults to `(16, 32)`.
        dropout: float. Dropout rate before the last layer. Defaults to
            `0.3`.

    Returns:
        An uncompiled `keras.Sequential` named `"discriminator"`.

    Raises:
        ValueError: on a malformed argument.
    """
    image_shape = _check_shape(image_shape)
    filters = _check_units("filters", filters)
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    model = keras.Sequential(name="discriminator")
    model.add(keras.Input(shape=image_shape))
    for count in filters:
        model.add(layers.Conv2D(count, 4, strides=2, padding="same", use_bias=False))
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(1))
    return model


@keras.saving.register_keras_serializable(package="secuah_dl")
class GAN(keras.Model):
    """A generative adversarial network (Goodfellow et al. 2014) trained by `fit`.

    Two losses, binary cross-entropy on logits: the discriminator's,
    BCE(1, D(real)) + BCE(0, D(G(z))) with G(z) behind `stop_gradient`, and
    the generator's (non-saturating), BCE(1, D(G(z))) through
    `stateless_call` on `stop_gradient` copies of D's weights. So
    `compute_loss` returns their sum and one Adam step updates each network
    with the gradient of its own loss only (Adam works per weight: the same
    as two optimizers). Tracks `d_loss` and `g_loss`; backend-agnostic.

    Args:
        generator: `keras.Model`. Noise `(latent_dim,)` -> image.
        discriminator: `keras.Model`. Image -> one logit.
        latent_dim: int. Size of the noise vector.
        seed: int or None. Seed of the noise. Defaults to `None`.
        **kwargs: base `keras.Model` arguments (`name`, ...).
    """

    def __init__(self, generator, discriminator, latent_dim, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def call(self, real_images, training=False):
        batch_size = ops.shape(real_images)[0]
        noise = keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )
        fake_images = self.generator(noise, training=training)
        real_logits = self.discriminator(real_images, training=training)
        fake_logits = self.discriminator(
            ops.stop_gradient(fake_images), training=training
        )
        frozen = [
            ops.stop_gradient(v.value) for v in self.discriminator.trainable_variables
        ]
        state = [v.value for v in self.discriminator.non_trainable_variables]
        fooled_logits, _ = self.discriminator.stateless_call(
            frozen, state, fake_images, training=training
        )
        return real_logits, fake_logits, fooled_logits

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        real_logits, fake_logits, fooled_logits = y_pred

        def bce(target, logits):
            return ops.mean(
                keras.losses.binary_crossentropy(target, logits, from_logits=True)
            )

        d_loss = bce(ops.ones_like(real_logits), real_logits) + bce(
            ops.zeros_like(fake_logits), fake_logits
        )
        g_loss = bce(ops.ones_like(fooled_logits), fooled_logits)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return d_loss + g_loss

    def get_config(self):
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _build_gan(
    latent_dim=64,
    *,
    image_shape=(28, 28, 1),
    generator_filters=(32, 16),
    discriminator_filters=(16, 32),
    learning_rate=5e-4,
    seed=None,
):
    """The practical's DCGAN, built and compiled (Adam, beta_1 = 0.5: Radford et al.)."""
    generator = build_generator(
        latent_dim, filters=generator_filters, image_shape=image_shape
    )
    discriminator = build_discriminator(image_shape, filters=discriminator_filters)
    model = GAN(generator, discriminator, latent_dim, seed=seed, name="gan")
    model(ops.zeros((1, *image_shape)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
    return model


# --------------------------------------------------------------------------
# Training, latent space, residuals, metrics
# --------------------------------------------------------------------------


def train(
    model, train_ds, val_ds, *, epochs=30, run_dir=None, strategy=None, verbose="auto"
):
    """Trains a model of this module through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model`, or a callable building it in the strategy scope.
        train_ds: `tf.data.Dataset`. `(images, images)` batches.
        val_ds: `tf.data.Dataset` or None. Validation batches.
        epochs: int. Defaults to `30`.
        run_dir: str, path-like or None. Logs, checkpoints, resume.
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


def _predict(model, x, batch_size=500):
    """Eager batched calls (no `predict` function traced per model and shape)."""
    x = np.asarray(x, dtype="float32")
    outputs = []
    for i in range(0, len(x), batch_size):
        output = model(x[i : i + batch_size], training=False)
        output = output[0] if isinstance(output, (list, tuple)) else output
        outputs.append(np.asarray(ops.convert_to_numpy(output), dtype="float32"))
    return np.concatenate(outputs)


def _part(model, name):
    try:
        return getattr(model, name) if isinstance(model, VAE) else model.get_layer(name)
    except ValueError as error:
        raise ValueError(
            f"`model` must nest a model named {name!r}, as this module's builders "
            f"do. Received: model {model.name!r}"
        ) from error


def encode(model, x):
    """Latent codes of images (`z_mean` for a VAE).

    Args:
        model: `keras.Model`. An autoencoder with a nested `encoder`.
        x: array `(n, height, width, channels)` in [0, 1].

    Returns:
        float32 array `(n, latent_dim)`.

    Raises:
        ValueError: if `model` has no nested encoder.
    """
    return _predict(_part(model, "encoder"), x)


def _decode(model, z):
    """Images decoded from latent points `z` by the nested `decoder`."""
    return _predict(_part(model, "decoder"), z)


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


def _residuals(x, reconstructions):
    """Residual r = ||x - x_hat||^2 of each image: the novelty score."""
    difference = np.asarray(x, dtype="float64") - np.asarray(reconstructions)
    return (difference**2).reshape(len(difference), -1).sum(axis=1)


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


def latent_metrics(train_codes, y_train, test_codes, y_test, x_test, *, n_neighbors=5):
    """How good a low-dimensional map is: kNN accuracy and trustworthiness.

    `knn_accuracy`: a `KNeighborsClassifier` fitted on the training codes,
    scored on the test codes. `trustworthiness` (scikit-learn's, in [0, 1]):
    whether neighbours in the map were neighbours in pixel space too.

    Args:
        train_codes: array `(n_train, d)`.
        y_train: array `(n_train,)` of labels.
        test_codes: array `(n_test, d)`.
        y_test: array `(n_test,)` of labels.
        x_test: array of the test images (pixel space).
        n_neighbors: int. Neighbours for both numbers. Defaults to `5`.

    Returns:
        dict with `knn_accuracy` and `trustworthiness`.
    """
    neighbors = require("sklearn.neighbors")
    manifold = require("sklearn.manifold")
    classifier = neighbors.KNeighborsClassifier(n_neighbors=n_neighbors)
    accuracy = classifier.fit(train_codes, y_train).score(test_codes, y_test)
    trust = manifold.trustworthiness(
        np.asarray(x_test).reshape(len(x_test), -1), test_codes, n_neighbors=n_neighbors
    )
    return {"knn_accuracy": float(accuracy), "trustworthiness": float(trust)}


def evaluate(model, test_ds, *, info=None):
    """Reconstruction error and, with labels, the quality of the latent map.

    Args:
        model: `keras.Model`. A trained autoencoder.
        test_ds: `tf.data.Dataset`. `(images, images)` batches, not shuffled.
        info: dict or None. The `info` of `load_data()`; when given, kNN
            accuracy and trustworthiness of the latent codes are added.

    Returns:
        dict with `reconstruction_mse` (mean squared pixel error),
        `residual_mean` (mean ||x - x_hat||^2 per image), `latent_dim` and,
        with `info`, `knn_accuracy` and `trustworthiness`.

    Raises:
        ValueError: if `info` labels a different number of test images.
    """
    x_test = np.concatenate([np.asarray(batch[0]) for batch in test_ds])
    rebuilt = _predict(model, x_test)
    codes = encode(model, x_test)
    numbers = {
        "reconstruction_mse": float(((x_test - rebuilt) ** 2).mean()),
        "residual_mean": float(_residuals(x_test, rebuilt).mean()),
        "latent_dim": int(codes.shape[1]),
    }
    if info is not None:
        if len(info["y_test"]) != len(x_test):
            raise ValueError(
                "`info['y_test']` must label every image of `test_ds`. Expected: "
                f"{len(x_test)} labels. Received: {len(info['y_test'])} labels"
            )
        train_codes = encode(model, info["x_train"])
        numbers.update(
            latent_metrics(train_codes, info["y_train"], codes, info["y_test"], x_test)
        )
    return numbers


def build_digit_classifier(input_shape=(28, 28, 1), num_classes=10):
    """A small dense digit classifier, the judge of generated digits.

    Args:
        input_shape: tuple. Image shape. Defaults to `(28, 28, 1)`.
        num_classes: int. Number of classes. Defaults to `10`.

    Returns:
        A `keras.Sequential` compiled with Adam, sparse categorical
        cross-entropy and accuracy.
    """
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="digit_classifier",
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def generation_scores(probabilities, *, threshold=0.9):
    """How recognisable generated images are to a classifier trained on real ones.

    `mnist_score`: the Inception Score (Salimans et al. 2016) with a digit
    classifier, exp(mean KL(p(y|x) || p(y))), from 1 (the same prediction
    for all) to the number of classes. `recognised`: share of images with a
    top probability >= `threshold`. `classes`: digits that are the confident
    prediction of at least 2 % of the images.

    Args:
        probabilities: array `(n, num_classes)`. The classifier's softmax
            outputs on the images.
        threshold: float. Confidence for `recognised`. Defaults to `0.9`.

    Returns:
        dict with `mnist_score`, `recognised` and `classes`.

    Raises:
        ValueError: if `probabilities` is not a non-empty 2-D array.
    """
    p = np.asarray(probabilities, dtype="float64")
    if p.ndim != 2 or not len(p):
        raise ValueError(
            "`probabilities` must be a non-empty array (n, num_classes). "
            f"Received: shape {p.shape}"
        )
    kl = (p * (np.log(p + 1e-12) - np.log(p.mean(axis=0) + 1e-12))).sum(axis=1)
    confident = p.max(axis=1) >= threshold
    counts = np.bincount(p.argmax(axis=1)[confident], minlength=p.shape[1])
    return {
        "mnist_score": float(np.exp(kl.mean())),
        "recognised": float(confident.mean()),
        "classes": int((counts >= 0.02 * len(p)).sum()),
    }


# --------------------------------------------------------------------------
# The whole practical
# --------------------------------------------------------------------------

# Epochs of each model: (full mode, quick mode).
_EPOCHS = {
    "dense": (40, 20),
    "vae": (30, 5),
    "denoising": (20, 8),
    "novelty": (20, 8),
    "gan": (20, 8),
}


def run(
    quick=False,
    out_dir="runs/autoencoders",
    *,
    seed=0,
    source=None,
    epochs=None,
    gan=True,
    novel_class=2,
    strategy=None,
    verbose=0,
):
    """The whole practical: digits -> autoencoders, VAE, GAN -> maps and numbers.

    Trains the dense autoencoder and the VAE (2-D codes, compared with a 2-D
    PCA), a denoising autoencoder, an autoencoder on every digit but
    `novel_class` (novelty ROC-AUC from residuals) and a DCGAN judged by a
    digit classifier before and after training. Epochs (full / quick):
    dense 40 / 20, VAE 30 / 5, the others 20 / 8.

    Args:
        quick: bool. Quick mode: 2,048 training digits (see `load_data`) and
            the quick epochs. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures,
            `model.keras` (the VAE) and `generator.keras` go. Defaults to
            `"runs/autoencoders"`.
        seed: int. Seed for data, weights and shuffling. Defaults to `0`.
        source: None, str or path-like. Data (see `load_data`); `None` is
            the MNIST test set shipped with the package.
        epochs: int or None. Epochs of every model, overriding the above.
            Defaults to `None`.
        gan: bool. Also train and judge the GAN. Defaults to `True`.
        novel_class: int. Digit left out for novelty detection. Defaults to
            `2`.
        strategy: `tf.distribute.Strategy` or None for `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result`: metrics per model (`dense`, `vae`, `pca`,
        `denoising`, `novelty`, `gan`) plus headline numbers, the figures
        written, and the data description.

    Raises:
        ValueError: if `novel_class` is not a class of the data.
    """
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    batch_size = runtime.global_batch_size(64, strategy)
    train_ds, val_ds, test_ds, info = load_data(
        source, quick=quick, batch_size=batch_size, seed=seed
    )
    x_test, y_test, shape = info["x_test"], info["y_test"], info["image_shape"]
    if novel_class not in set(info["y_train"].tolist()):
        raise ValueError(
            f"`novel_class` must be one of the digits {sorted(set(info['y_train'].tolist()))}. "
            f"Received: novel_class={novel_class!r}"
        )
    count = {name: epochs or pair[int(quick)] for name, pair in _EPOCHS.items()}
    with strategy.scope():
        decay = count["dense"] * len(train_ds)
        schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=decay)
        models = {
            "dense": build_dense_autoencoder(shape, 2, learning_rate=schedule),
            "vae": build_vae(shape, 2, seed=seed),
            "denoising": build_model("denoising", shape, 16, hidden_units=(256, 128)),
            "novelty": build_dense_autoencoder(shape, 8, hidden_units=(256, 128)),
        }
    data = dict.fromkeys(models, (train_ds, val_ds))
    data["novelty"] = tuple(
        _dataset(x[y != novel_class], batch_size, shuffle=shuffle, seed=seed)
        for x, y, shuffle in (
            (info["x_train"], info["y_train"], True),
            (info["x_val"], info["y_val"], False),
        )
    )
    numbers, histories = {}, {}
    for name, model in models.items():
        tic = time.perf_counter()
        histories[name] = training.fit(
            model,
            *data[name],
            epochs=count[name],
            run_dir=out_dir / "runs" / name,
            strategy=strategy,
            verbose=verbose,
        )
        numbers[name] = {
            "epochs": count[name],
            "train_seconds": time.perf_counter() - tic,
        }
    for name in ("dense", "vae"):
        numbers[name].update(evaluate(models[name], test_ds, info=info))
    pca_train, pca_test = pca_codes(info["x_train"], x_test)
    numbers["pca"] = latent_metrics(
        pca_train, info["y_train"], pca_test, y_test, x_test
    )
    noisy = add_noise(x_test, 0.3, seed=seed)
    cleaned = _predict(models["denoising"], noisy)
    numbers["denoising"].update(
        noisy_mse=float(((noisy - x_test) ** 2).mean()),
        denoised_mse=float(((cleaned - x_test) ** 2).mean()),
    )
    scores = _residuals(x_test, _predict(models["novelty"], x_test))
    novel = y_test == novel_class
    numbers["novelty"].update(
        novel_class=int(novel_class),
        auc=float(require("sklearn.metrics").roc_auc_score(novel, scores)),
        known_mean_residual=float(scores[~novel].mean()),
        novel_mean_residual=float(scores[novel].mean()),
    )

    shown = x_test[:10]
    axis = require("scipy.stats").norm.ppf(np.linspace(0.05, 0.95, 15))
    grid = np.array([[a, b] for b in axis[::-1] for a in axis], dtype="float32")
    knn = {name: numbers[name]["knn_accuracy"] for name in ("pca", "dense", "vae")}
    figures = {
        "latent_maps": plots.latent_maps(
            {
                f"PCA 2-D (kNN {knn['pca']:.2f})": pca_test,
                f"autoencoder denso (kNN {knn['dense']:.2f})": encode(
                    models["dense"], x_test
                ),
                f"VAE (kNN {knn['vae']:.2f})": encode(models["vae"], x_test),
            },
            y_test,
            title="Mapa latente 2-D de los dígitos de test (MNIST, datos reales)",
        ),
        "vae_manifold": plots.digit_grid(
            _decode(models["vae"], grid),
            columns=15,
            extent=(axis[0], axis[-1]),
            title="VAE: dígitos decodificados desde una rejilla de N(0, 1)",
        ),
        "reconstructions": plots.digit_rows(
            [shown, _predict(models["dense"], shown), _predict(models["vae"], shown)],
            row_titles=["original", "autoencoder", "VAE"],
            title="Reconstrucciones desde un código de 2 números",
        ),
        "denoising": plots.digit_rows(
            [shown, noisy[:10], cleaned[:10]],
            row_titles=["original", "con ruido", "limpiada"],
            title="Autoencoder de eliminación de ruido",
        ),
        "novelty": plots.novelty_histograms(
            scores[~novel],
            scores[novel],
            auc=numbers["novelty"]["auc"],
            title=f"Novedades: el {novel_class} no se vio al entrenar",
        ),
        "vae_learning_curves": plots.learning_curves(
            histories["vae"],
            metrics=["loss", "reconstruction_loss", "kl_loss"],
            title="VAE: curvas de aprendizaje",
        ),
    }
    summary = (
        f"2-D latent kNN accuracy: dense autoencoder {knn['dense']:.3f}, VAE "
        f"{knn['vae']:.3f}, PCA {knn['pca']:.3f} (dense {knn['dense'] - knn['pca']:+.3f}); "
        f"novelty AUC for digit {novel_class} {numbers['novelty']['auc']:.3f}"
    )
    if gan:
        numbers["gan"], gan_figures = _run_gan(
            info, train_ds, val_ds, count["gan"], seed, strategy, out_dir, verbose
        )
        figures.update(gan_figures)
        summary += (
            f"; GAN digits: MNIST score {numbers['gan']['before']['mnist_score']:.2f} "
            f"before training, {numbers['gan']['after']['mnist_score']:.2f} after (real "
            f"digits {numbers['gan']['real']['mnist_score']:.2f})"
        )
    numbers.update(
        data=info["description"],
        synthetic=False,
        dense_knn_accuracy=knn["dense"],
        pca_knn_accuracy=knn["pca"],
        knn_gain_over_pca=knn["dense"] - knn["pca"],
        novelty_auc=numbers["novelty"]["auc"],
    )
    return results.finish(
        "autoencoders",
        started,
        out_dir,
        metrics=numbers,
        figures=figures,
        model=models["vae"],
        data=info["description"],
        summary=f"{summary} ({info['description']}).",
    )


def _run_gan(info, train_ds, val_ds, epochs, seed, strategy, out_dir, verbose):
    """Trains the DCGAN; a classifier of real digits judges it before and after."""
    keras.utils.set_random_seed(seed)
    classifier = build_digit_classifier(info["image_shape"])
    classifier.fit(
        info["x_train"], info["y_train"], epochs=5, batch_size=128, verbose=0
    )
    with strategy.scope():
        model = _build_gan(image_shape=info["image_shape"], seed=seed)
    noise = np.random.default_rng(seed).normal(size=(1000, model.latent_dim))
    noise = noise.astype("float32")

    def judge(images):
        return generation_scores(_predict(classifier, images))

    numbers = {
        "classifier_accuracy": float(
            (_predict(classifier, info["x_test"]).argmax(1) == info["y_test"]).mean()
        ),
        "real": judge(info["x_test"]),
        "before": judge(_predict(model.generator, noise)),
        "epochs": epochs,
    }
    progress = []  # the same 10 noise vectors after each epoch
    callback = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: progress.append(
            _predict(model.generator, noise[:10])
        )
    )
    tic = time.perf_counter()
    history = training.fit(
        model,
        train_ds,
        val_ds,  # _read_log cannot parse the NA columns of no val_ds
        epochs=epochs,
        run_dir=out_dir / "runs" / "gan",
        strategy=strategy,
        callbacks=[callback],
        verbose=verbose,
    )
    samples = _predict(model.generator, noise)
    numbers.update(
        train_seconds=time.perf_counter() - tic,
        after=judge(samples),
        d_loss=float(history.history["d_loss"][-1]),
        g_loss=float(history.history["g_loss"][-1]),
    )
    model.generator.save(out_dir / "generator.keras")
    rows = sorted({*range(0, epochs, max(1, math.ceil(epochs / 10))), epochs - 1})
    figures = {
        "gan_epochs": plots.digit_rows(
            [progress[i] for i in rows],
            row_titles=[f"época {i + 1}" for i in rows],
            title="GAN: los mismos 10 vectores de ruido al final de cada época",
        ),
        "gan_samples": plots.digit_grid(
            samples[:64],
            title=(
                f"GAN: dígitos generados (MNIST score {numbers['after']['mnist_score']:.2f};"
                f" reales {numbers['real']['mnist_score']:.2f})"
            ),
        ),
    }
    return numbers, figures
