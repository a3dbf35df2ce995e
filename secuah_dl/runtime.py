"""Runtime floor: distribution strategy, precision policy, seeding, batch sizes.

`setup()` prepares a workbook in one call. `get_strategy()` picks TPU ->
`TF_CONFIG` cluster (`MultiWorkerMirroredStrategy`) -> several GPUs -> one GPU
-> CPU; the environment variables `SECUAH_DL_STRATEGY` (`auto`, `tpu`,
`multi_worker`, `mirrored`, `gpu`, `cpu`) and `SECUAH_DL_PRECISION` (`auto`,
`float32`, `mixed_float16`, `mixed_bfloat16`) override the automatic choice.

On the JAX backend `get_strategy()` returns a `JaxStrategy` with the same
`scope()` and `num_replicas_in_sync`, which spreads each batch over several
local devices with `keras.distribution.DataParallel`. See `docs/backends.md`.
"""

import collections
import contextlib
import glob
import json
import os
import platform
import re
import warnings

import keras

from secuah_dl import __version__
from secuah_dl._compat import require
from secuah_dl._validation import check_int

STRATEGY_ENV = "SECUAH_DL_STRATEGY"
PRECISION_ENV = "SECUAH_DL_PRECISION"

_STRATEGY_KINDS = ("auto", "tpu", "multi_worker", "mirrored", "gpu", "cpu")
_PRECISION_POLICIES = ("auto", "float32", "mixed_float16", "mixed_bfloat16")

__all__ = [
    "get_strategy",
    "seed_everything",
    "global_batch_size",
    "describe",
    "setup",
    "strategy_kind",
    "jax_odd_batches",
    "multi_worker_fit",
    "JaxStrategy",
    "value_and_gradients",
]

_Choice = collections.namedtuple("_Choice", ["kind", "devices"])


def _tf():
    return require("tensorflow")


def _validate_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {', '.join(allowed)}. Received: {name}={value!r}"
        )


def _num_workers(tf_config):
    if not tf_config:
        return 0
    if isinstance(tf_config, str):
        try:
            tf_config = json.loads(tf_config)
        except json.JSONDecodeError as error:
            raise ValueError(
                "The TF_CONFIG environment variable is not valid JSON. Expected "
                '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": '
                f'"worker", "index": 0}}}}. Received: TF_CONFIG={tf_config!r}'
            ) from error
    cluster = tf_config.get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def _choose_strategy(devices, *, tpu=False, tf_config=None, override=None):
    """The strategy kind and devices for a list of device names (pure)."""
    override = override or "auto"
    _validate_choice("override", override, _STRATEGY_KINDS)
    gpus = tuple(d for d in devices if ":GPU:" in d.upper())
    cpus = tuple(d for d in devices if ":CPU:" in d.upper()) or ("/device:CPU:0",)
    workers = _num_workers(tf_config)

    if override == "tpu" and not tpu:
        raise ValueError(
            "A TPU strategy was requested but no TPU was found. In Colab choose "
            "Entorno de ejecución > Cambiar tipo de entorno > TPU. Received: "
            f"override='tpu', devices={list(devices)}"
        )
    if override == "gpu" and not gpus:
        raise ValueError(
            "A GPU strategy was requested but no GPU is visible. Received: "
            f"override='gpu', devices={list(devices)}"
        )
    if override == "multi_worker" and workers < 1:
        raise ValueError(
            "A multi-worker strategy needs a TF_CONFIG with a cluster of workers. "
            f"Received: TF_CONFIG={tf_config!r}"
        )

    if override == "tpu" or (override == "auto" and tpu):
        return _Choice("tpu", ())
    if override == "multi_worker" or (override == "auto" and workers > 1):
        return _Choice("multi_worker", ())
    if override == "mirrored":
        return _Choice("mirrored", gpus if gpus else cpus)
    if override == "auto" and len(gpus) > 1:
        return _Choice("mirrored", gpus)
    if override == "gpu" or (override == "auto" and gpus):
        return _Choice("gpu", gpus[:1])
    return _Choice("cpu", cpus[:1])


def _tpu_resolver():
    """A connected TPUClusterResolver, or None; tried only where a TPU shows."""
    evidence = (
        os.environ.get("TPU_NAME")
        or os.environ.get("COLAB_TPU_ADDR")
        or glob.glob("/dev/accel*")
        or glob.glob("/dev/vfio/[0-9]*")
    )
    if not evidence:
        return None
    tf = _tf()
    try:
        if os.environ.get("COLAB_TPU_ADDR"):
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        else:  # TPU VM (Colab since 2024, Kaggle): the chips are local.
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu="local")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return resolver
    except (ValueError, RuntimeError, tf.errors.OpError):
        return None


def _backend():
    return keras.backend.backend()


def _data_parallel(devices):
    """`keras.distribution.DataParallel` that accepts any batch size.

    Keras shards each batch along its first axis, which fails when the batch
    does not divide by the number of devices (the last batch of an epoch, a
    `predict` on 5 points). Such a batch is replicated instead: every device
    computes the whole (small) batch, and the result is the same. See
    `jax_odd_batches` for the other half of the fix.
    """
    distribution_lib = keras.distribution

    class _DataParallel(distribution_lib.DataParallel):
        def get_data_layout(self, data_shape):
            replicas = int(self.device_mesh.devices.size)
            if data_shape and data_shape[0] is not None and data_shape[0] % replicas:
                return distribution_lib.TensorLayout(
                    [None] * len(data_shape), self.device_mesh
                )
            return super().get_data_layout(data_shape)

    return _DataParallel(devices=list(devices))


def _keras_version():
    return tuple(int(part) for part in re.findall(r"\d+", keras.__version__)[:2])


# The newest Keras on which the two workarounds below were checked. On a newer
# Keras they are not applied: either the bug is fixed, or Keras's own error
# shows (and these need checking again).
_CHECKED_KERAS = (3, 15)


@contextlib.contextmanager
def jax_odd_batches():
    """Lets Keras's JAX trainer take batches of different shapes in one loop.

    Keras (keras-team/keras#21167, checked up to 3.15) lays out every batch of
    a `fit`/`evaluate`/`predict` loop on the devices like the first one, so
    with several devices a last batch that does not divide by their number
    fails, although `DataParallel.get_data_layout` would replicate it. Within
    this context (and only there; `JaxStrategy.scope()` and `training.fit`
    enter it) `JAXEpochIterator._get_distributed_iterator` computes one layout
    per batch shape. It is applied only on the JAX backend, with a global
    distribution, on Keras versions up to `_CHECKED_KERAS`.

    Yields:
        bool. Whether the workaround is in place (otherwise `training.fit`
        trims batches to a multiple of the devices).
    """
    iterator = distribute = None
    if (
        _backend() == "jax"
        and keras.distribution.distribution() is not None
        and _keras_version() <= _CHECKED_KERAS
    ):
        try:
            from keras.src.backend.jax import trainer as jax_trainer

            iterator = getattr(jax_trainer, "JAXEpochIterator", None)
            distribute = getattr(jax_trainer, "_distribute_data", None)
        except ImportError:
            pass
    original = getattr(iterator, "_get_distributed_iterator", None)
    if original is None or distribute is None:
        yield False
        return
    from keras import tree

    def _get_distributed_iterator(self, distribution):
        layouts = {}

        def get_layout(data):
            if data is None:
                return None
            return distribution.get_data_layout(data.shape).backend_layout

        for data in self.data_adapter.get_jax_iterator():
            key = tuple(
                tuple(getattr(leaf, "shape", ())) for leaf in tree.flatten(data)
            )
            if key not in layouts:
                layouts[key] = tree.map_structure(get_layout, data)
            yield distribute(data, layouts[key])

    iterator._get_distributed_iterator = _get_distributed_iterator
    try:
        yield True
    finally:
        iterator._get_distributed_iterator = original


@contextlib.contextmanager
def multi_worker_fit(model, strategy, element_spec):
    """Lets `keras.Model.fit` run under MultiWorkerMirroredStrategy.

    Keras's TensorFlow trainer (checked up to 3.15; related upstream report:
    keras-team/keras#20329) has two bugs on this path: before its symbolic
    build it reduces the first distributed batch with `strategy.reduce()`,
    which fails for `(x, y)` tuples, and it reduces scalar metrics across
    workers with `strategy.reduce("MEAN", v, axis=0)`, which fails for
    scalars. Within this context the model is built from the dataset's
    element spec instead, and metrics are averaged with `axis=None`. It is
    entered by `training.fit` for one `fit()` only, on Keras versions up to
    `_CHECKED_KERAS`; `tests/test_distributed.py` (large) checks it.

    Args:
        model: `keras.Model` built in `strategy.scope()`.
        strategy: `tf.distribute.MultiWorkerMirroredStrategy`.
        element_spec: the training dataset's element spec, or None.

    Yields:
        bool. Whether the workaround is in place.
    """
    if _keras_version() > _CHECKED_KERAS:
        yield False
        return
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if element_spec is not None:
        with strategy.scope():
            model._symbolic_build(data_batch=element_spec)
        model.__dict__["_maybe_symbolic_build"] = lambda *args, **kwargs: None
    original = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy_, reduction):
        if reduction in ("auto", "mean"):
            return tree.map_structure(
                lambda value: strategy_.reduce("MEAN", value, axis=None), values
            )
        return original(values, strategy_, reduction)

    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield True
    finally:
        tf_trainer.reduce_per_replica = original
        model.__dict__.pop("_maybe_symbolic_build", None)


class JaxStrategy:
    """The JAX backend's answer to `get_strategy()`.

    `tf.distribute` strategies do not drive a model on JAX; Keras's
    `keras.distribution` API does. This object gives the practicals the face of
    a `tf.distribute.Strategy` (`scope()`, `num_replicas_in_sync`). With more
    than one device it holds a `keras.distribution.DataParallel` over them,
    made the global distribution by `get_strategy()`, so `fit`, `predict` and
    `evaluate` shard every batch; a batch that does not divide by the number
    of devices is replicated, giving the one-device result.

    Attributes:
        kind: str. `"tpu"`, `"mirrored"`, `"gpu"` or `"cpu"`.
        devices: tuple. The `jax.Device`s used.
        distribution: `keras.distribution.DataParallel` or None (one device).
    """

    def __init__(self, kind, devices):
        self.kind = kind
        self.devices = tuple(devices)
        self.distribution = None
        if len(self.devices) > 1:
            self.distribution = _data_parallel(self.devices)

    @property
    def num_replicas_in_sync(self):
        """int. Devices each global batch is split over."""
        return max(len(self.devices), 1)

    @contextlib.contextmanager
    def scope(self):
        """Context manager: the `DataParallel` distribution (a no-op on one device).

        With several devices it also lets `fit`, `evaluate` and `predict`
        take an odd last batch (see `jax_odd_batches`).
        """
        if self.distribution is None:
            yield
            return
        with self.distribution.scope(), jax_odd_batches():
            yield

    def activate(self):
        """Makes this strategy's distribution the global Keras distribution.

        A one-device strategy clears a distribution that another
        `JaxStrategy` set, and leaves one the user set alone.
        """
        current = keras.distribution.distribution()
        if self.distribution is not None:
            keras.distribution.set_distribution(self.distribution)
        elif current is not None and any(
            current is getattr(cached, "distribution", None)
            for cached in _STRATEGY_CACHE.values()
        ):
            keras.distribution.set_distribution(None)
        return self

    def __repr__(self):
        return (
            f"JaxStrategy(kind={self.kind!r}, replicas={self.num_replicas_in_sync}, "
            f"devices={[str(d) for d in self.devices]})"
        )


def _jax_device_name(device):
    platform_name = {"gpu": "GPU", "cuda": "GPU", "rocm": "GPU", "tpu": "TPU"}.get(
        device.platform, "CPU"
    )
    return f"/device:{platform_name}:{device.id}"


def _refuse_multi_worker_on_jax(kind):
    tf_config = os.environ.get("TF_CONFIG")
    if kind == "multi_worker" or (kind == "auto" and _num_workers(tf_config) > 1):
        raise RuntimeError(
            "Multi-worker training uses TensorFlow's MultiWorkerMirroredStrategy "
            "(TF_CONFIG) and needs KERAS_BACKEND=tensorflow. On JAX, several hosts "
            "are joined with `jax.distributed.initialize()` and "
            "`keras.distribution.DataParallel`; unset TF_CONFIG to train on this "
            f"machine alone. Received: kind={kind!r}, backend jax, "
            f"TF_CONFIG={'set' if tf_config else 'unset'}"
        )


def _jax_strategy(kind):
    import jax

    devices = jax.devices()
    by_name = {_jax_device_name(d): d for d in devices}
    tpus = [d for d in devices if d.platform == "tpu"]
    cpus = [d for d in devices if _jax_device_name(d).startswith("/device:CPU")]
    choice = _choose_strategy(list(by_name), tpu=bool(tpus), override=kind)
    if choice.kind == "tpu":
        return JaxStrategy("tpu", tpus)
    if choice.kind == "cpu" and kind == "auto" and len(cpus) > 1:
        # JAX shows one CPU device unless asked for more (XLA_FLAGS), so
        # several of them mean data parallelism was wanted.
        return JaxStrategy("mirrored", cpus)
    chosen = [by_name[name] for name in choice.devices if name in by_name]
    return JaxStrategy(choice.kind, chosen or devices[:1])


_STRATEGY_CACHE = {}


def get_strategy(kind=None):
    """Returns the `tf.distribute` strategy that fits this machine.

    TPU (`TPUStrategy`) -> a `TF_CONFIG` cluster (`MultiWorkerMirroredStrategy`)
    -> several GPUs (`MirroredStrategy`) -> one GPU (`OneDeviceStrategy`) -> the
    CPU (the default strategy). The result is cached (TPU systems can only be
    initialised once). On JAX it returns a `JaxStrategy`: `"tpu"` and
    `"mirrored"` (also `"auto"` with several TPU cores, GPUs or forced host CPU
    devices) set a global `keras.distribution.DataParallel`; `"gpu"` and
    `"cpu"` use one device.

    Args:
        kind: str or None. Force a kind (`"tpu"`, `"multi_worker"`,
            `"mirrored"`, `"gpu"`, `"cpu"`); `None` reads the
            `SECUAH_DL_STRATEGY` environment variable, then decides
            automatically.

    Returns:
        A `tf.distribute.Strategy` (or a `JaxStrategy` on JAX). Build and
        compile models inside its `scope()`.

    Raises:
        ValueError: if `kind` is unknown or the hardware it asks for is absent.
        RuntimeError: on JAX, if multi-worker training is asked for (by `kind`
            or by a `TF_CONFIG` cluster): it is TensorFlow-only.
        ImportError: if TensorFlow is not installed (TensorFlow backend).
    """
    kind = kind or os.environ.get(STRATEGY_ENV, "auto").strip().lower() or "auto"
    _validate_choice("kind", kind, _STRATEGY_KINDS)
    if _backend() == "jax":
        _refuse_multi_worker_on_jax(kind)
        if kind not in _STRATEGY_CACHE:
            _STRATEGY_CACHE[kind] = _jax_strategy(kind)
        return _STRATEGY_CACHE[kind].activate()
    if _backend() != "tensorflow":
        raise RuntimeError(
            "secuah_dl runs on the TensorFlow and JAX backends of Keras. Set "
            "KERAS_BACKEND=tensorflow or KERAS_BACKEND=jax before importing keras. "
            f"Received: backend {_backend()!r}"
        )
    tf = _tf()
    if kind in _STRATEGY_CACHE:
        return _STRATEGY_CACHE[kind]
    tf_config = os.environ.get("TF_CONFIG")
    resolver = _tpu_resolver() if kind in ("auto", "tpu") else None
    if kind == "multi_worker" or (
        kind == "auto" and not resolver and _num_workers(tf_config) > 1
    ):
        # Collective ops must be configured before the runtime starts, so the
        # devices are not listed (which would start it) in this case.
        devices = []
    else:
        devices = [d.name for d in tf.config.list_logical_devices()]
    choice = _choose_strategy(
        devices, tpu=resolver is not None, tf_config=tf_config, override=kind
    )
    if choice.kind == "tpu":
        strategy = tf.distribute.TPUStrategy(resolver)
    elif choice.kind == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif choice.kind == "mirrored":
        strategy = tf.distribute.MirroredStrategy(list(choice.devices))
    elif choice.kind == "gpu":
        strategy = tf.distribute.OneDeviceStrategy(choice.devices[0])
    else:
        strategy = tf.distribute.get_strategy()
    _STRATEGY_CACHE[kind] = strategy
    return strategy


def strategy_kind(strategy):
    """The kind of a strategy object.

    Args:
        strategy: `tf.distribute.Strategy` or `JaxStrategy`.

    Returns:
        str. `"tpu"`, `"multi_worker"`, `"mirrored"`, `"gpu"` or `"cpu"`.
    """
    if isinstance(strategy, JaxStrategy):
        return strategy.kind
    name = type(strategy).__name__
    if "TPU" in name:
        return "tpu"
    if "MultiWorker" in name or "CollectiveAllReduce" in name:
        return "multi_worker"
    if "Mirrored" in name:
        return "mirrored"
    if "OneDevice" in name:
        return "gpu" if "GPU" in str(getattr(strategy, "extended", "")) else "cpu"
    return "cpu"


def _gpu_compute_capabilities():
    if _backend() == "jax":
        import jax

        capabilities = []
        for device in jax.devices():
            if device.platform in ("gpu", "cuda"):
                text = str(getattr(device, "compute_capability", "0.0"))
                major, _, minor = text.partition(".")
                capabilities.append((int(major or 0), int(minor or 0)))
        return capabilities
    tf = _tf()
    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(details.get("compute_capability", (0, 0)))
    return capabilities


def _choose_precision(kind, gpu_compute_capabilities=()):
    """bf16 on TPU, fp16 when every GPU has Tensor Cores (CC >= 7.0), else fp32."""
    if kind == "tpu":
        return "mixed_bfloat16"
    capabilities = list(gpu_compute_capabilities)
    if kind in ("gpu", "mirrored", "multi_worker") and capabilities:
        if all(tuple(cc) >= (7, 0) for cc in capabilities):
            return "mixed_float16"
    return "float32"


def _set_precision(strategy, policy=None):
    """Sets Keras's global dtype policy: `policy`, `$SECUAH_DL_PRECISION` or auto."""
    policy = policy or os.environ.get(PRECISION_ENV, "auto").strip().lower() or "auto"
    _validate_choice("policy", policy, _PRECISION_POLICIES)
    if policy == "auto":
        kind = strategy_kind(strategy)
        capabilities = _gpu_compute_capabilities() if kind != "tpu" else []
        policy = _choose_precision(kind, capabilities)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def seed_everything(seed=0, *, deterministic=False):
    """Seeds Python, NumPy and the Keras backend in one call.

    Unseeded `keras.random` calls repeat after it only on Keras >= 3.13 (older
    versions keep their global seed generator); the package's own layers
    always pass a `keras.random.SeedGenerator`.

    Args:
        seed: int. The seed. Defaults to `0`.
        deterministic: bool. Also turn on TensorFlow op determinism, so that
            two runs give bit-identical weights (slower on GPU). Defaults to
            `False`. On JAX, CPU and TPU are already deterministic; on GPU a
            warning says to start Python with
            `XLA_FLAGS=--xla_gpu_deterministic_ops=true`.

    Returns:
        int. The seed, for logging.

    Raises:
        ValueError: if `seed` is not a non-negative integer.
    """
    seed = check_int("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    if deterministic and _backend() == "tensorflow":
        _tf().config.experimental.enable_op_determinism()
    elif deterministic and _backend() == "jax":
        import jax

        flags = os.environ.get("XLA_FLAGS", "")
        gpus = [d for d in jax.devices() if d.platform in ("gpu", "cuda", "rocm")]
        if gpus and "xla_gpu_deterministic_ops" not in flags:
            warnings.warn(
                "seed_everything(deterministic=True) cannot switch JAX's GPU ops "
                "to deterministic ones once JAX has started. Start Python with "
                "XLA_FLAGS=--xla_gpu_deterministic_ops=true for bit-identical "
                f"runs. Received: XLA_FLAGS={flags!r}",
                stacklevel=2,
            )
    return seed


def global_batch_size(per_replica_batch_size, strategy=None):
    """The batch size to give `tf.data` so each replica gets its share.

    Args:
        per_replica_batch_size: int. Examples each replica processes per step.
        strategy: `tf.distribute.Strategy`, `JaxStrategy` or None. `None`
            uses the strategy in scope (one replica outside any scope); on
            JAX, the devices of the global `keras.distribution` (one without).

    Returns:
        int. `per_replica_batch_size * strategy.num_replicas_in_sync`.

    Raises:
        ValueError: if `per_replica_batch_size` is not a positive integer.
    """
    per_replica_batch_size = check_int("per_replica_batch_size", per_replica_batch_size)
    if strategy is None:
        if _backend() == "jax":
            distribution = keras.distribution.distribution()
            replicas = 1
            if distribution is not None:
                replicas = int(distribution.device_mesh.devices.size)
            return per_replica_batch_size * replicas
        strategy = _tf().distribute.get_strategy()
    return per_replica_batch_size * strategy.num_replicas_in_sync


def _jax_device_label(strategy):
    devices = list(strategy.devices)
    if strategy.kind == "tpu" or (devices and devices[0].platform != "cpu"):
        name = getattr(devices[0], "device_kind", devices[0].platform.upper())
        if strategy.kind == "tpu" and "TPU" not in name.upper():
            name = f"TPU {name}"
        return f"{len(devices)}x {name}" if len(devices) > 1 else name
    label = f"CPU ({os.cpu_count()} núcleos)"
    return f"{label}, {len(devices)} dispositivos" if len(devices) > 1 else label


def _device_label(strategy):
    if isinstance(strategy, JaxStrategy):
        return _jax_device_label(strategy)
    tf = _tf()
    kind = strategy_kind(strategy)
    if kind == "tpu":
        return "TPU"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus and kind != "cpu":
        name = tf.config.experimental.get_device_details(gpus[0]).get(
            "device_name", "GPU"
        )
        return f"{len(gpus)}x {name}" if len(gpus) > 1 else name
    return f"CPU ({os.cpu_count()} núcleos)"


def describe(strategy=None):
    """One line about the runtime, in Spanish, printed at the top of every workbook.

    Args:
        strategy: `tf.distribute.Strategy`, `JaxStrategy` or None. `None`
            uses `get_strategy()`.

    Returns:
        str. Device, replicas, strategy, precision policy, backend and
        versions, e.g. `"secuah_dl 0.2.0 | CPU (2 núcleos) | 1 réplica
        (_DefaultDistributionStrategy) | precisión float32 | backend
        tensorflow | TensorFlow 2.21.0, Keras 3.15.1, Python 3.11.7"`. On
        JAX the JAX version takes TensorFlow's place.

    Raises:
        ImportError: if TensorFlow is not installed (TensorFlow backend).
    """
    strategy = strategy or get_strategy()
    if _backend() == "jax":
        import jax

        framework = f"JAX {jax.__version__}"
    else:
        framework = f"TensorFlow {_tf().__version__}"
    replicas = strategy.num_replicas_in_sync
    policy = keras.mixed_precision.global_policy().name
    return (
        f"secuah_dl {__version__} | {_device_label(strategy)} | "
        f"{replicas} réplica{'s' if replicas != 1 else ''} ({type(strategy).__name__}) | "
        f"precisión {policy} | backend {keras.backend.backend()} | "
        f"{framework}, Keras {keras.__version__}, "
        f"Python {platform.python_version()}"
    )


def _quiet_frameworks():
    """Silences TensorFlow's Python-side chatter (retracing warnings, absl).

    Also Keras's warning that `fit(shuffle=True)` is ignored for a
    `tf.data.Dataset`: the package's pipelines shuffle before batching, so a
    workbook can write the plain `model.fit(train_ds, ...)`.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings(
        "ignore",
        message=r"`shuffle=True` was passed, but will be ignored since the data `x` "
        r"was provided as a tf\.data\.Dataset",
    )
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass
    try:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.autograph.set_verbosity(0)
    except ImportError:
        pass


def setup(quick=False, *, seed=0, strategy=None):
    """Prepares a workbook in one call: strategy, precision, seed, quiet logs.

    Picks the strategy (`get_strategy`), sets the precision policy for it
    (bf16 on TPU, fp16 on GPUs with compute capability >= 7.0, else fp32;
    `SECUAH_DL_PRECISION` overrides), seeds everything, silences TensorFlow's
    retracing warnings, and prints in Spanish the runtime line (`describe`)
    and the mode, with a warning in full mode without a GPU or TPU.

    Args:
        quick: bool. Quick mode (small data, few epochs). Defaults to `False`.
        seed: int. Seed for Python, NumPy and Keras. Defaults to `0`.
        strategy: strategy or None. Use this one instead of choosing.

    Returns:
        The strategy (`tf.distribute.Strategy` or `JaxStrategy`): build and
        compile models inside its `scope()`.

    Raises:
        ValueError: if `seed` is not a non-negative integer.

    Example:

    ```python
    strategy = runtime.setup(quick=QUICK)
    with strategy.scope():
        model = ...
    ```
    """
    _quiet_frameworks()
    strategy = strategy or get_strategy()
    _set_precision(strategy)
    seed_everything(seed)
    print(describe(strategy))
    if quick:
        print("Modo rápido: datos y épocas reducidos (comprobar que todo funciona).")
    else:
        print("Modo completo.")
        if strategy_kind(strategy) == "cpu":
            print(
                "⚠️  Modo completo sin GPU ni TPU: el entrenamiento será lento. En Colab: "
                "Entorno de ejecución → Cambiar tipo de entorno de ejecución → GPU "
                "(T4) o TPU, y vuelve a ejecutar el cuaderno. O activa el modo rápido."
            )
    return strategy


def value_and_gradients(loss_fn, values):
    """A loss and its gradients, by the backend's automatic differentiation.

    The one place that asks a backend for gradients outside `fit()`
    (`tf.GradientTape` on TensorFlow, `jax.value_and_grad` on JAX), so teaching
    code stays backend-neutral. Write `loss_fn` with `keras.ops`; to
    differentiate a model, call `model.stateless_call(trainable_values,
    non_trainable_values, x)` inside it. float64 values stay float64 (JAX's
    64-bit mode is on for the call).

    Args:
        loss_fn: callable. Takes `values` (same structure, backend tensors)
            and returns a scalar loss.
        values: dict, list or tuple of arrays. The point at which to
            differentiate.

    Returns:
        tuple `(loss, gradients)`: `loss` a float, `gradients` NumPy arrays
        with the structure of `values`.

    Raises:
        RuntimeError: on a backend other than TensorFlow or JAX.

    Example:

    >>> loss, grads = value_and_gradients(
    ...     lambda v: keras.ops.sum(v["w"] ** 2), {"w": np.array([1.0, 2.0])}
    ... )
    >>> loss, grads["w"].tolist()
    (5.0, [2.0, 4.0])
    """
    import numpy as np
    from keras import tree

    backend = _backend()
    if backend == "jax":
        import jax

        enable_x64 = getattr(jax, "enable_x64", None)
        if enable_x64 is None:  # jax < 0.7
            from jax.experimental import enable_x64
        with enable_x64(True):
            tensors = tree.map_structure(
                lambda v: jax.numpy.asarray(np.asarray(v)), values
            )
            loss, grads = jax.value_and_grad(loss_fn)(tensors)
            loss = float(loss)
            grads = tree.map_structure(np.asarray, grads)
        return loss, grads
    if backend == "tensorflow":
        tf = _tf()
        tensors = tree.map_structure(lambda v: tf.constant(np.asarray(v)), values)
        with tf.GradientTape() as tape:
            tape.watch(tree.flatten(tensors))
            loss = loss_fn(tensors)
        grads = tape.gradient(loss, tensors)
        return float(loss), tree.map_structure(np.asarray, grads)
    raise RuntimeError(
        "value_and_gradients() supports the TensorFlow and JAX backends. "
        f"Received: backend {backend!r}"
    )
