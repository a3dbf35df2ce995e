"""Runtime floor: distribution strategy, precision policy, seeding, batch sizes.

One call per workbook sets the machine up the same way everywhere:

```python
from secuah_dl import runtime

strategy = runtime.get_strategy()     # TPU -> several GPUs -> one GPU -> CPU
runtime.set_precision(strategy)       # bf16 on TPU, fp16 on recent GPUs, fp32 on CPU
runtime.seed_everything(42)
print(runtime.describe(strategy))
```

The choice is made by a pure function, `choose_strategy()`, from a list of
devices, so it can be tested (and explained) without the hardware. Two
environment variables override the automatic choice:

- `SECUAH_DL_STRATEGY`: `auto` (default), `tpu`, `multi_worker`, `mirrored`,
  `gpu` or `cpu`.
- `SECUAH_DL_PRECISION`: `auto` (default), `float32`, `mixed_float16` or
  `mixed_bfloat16`.

Multi-machine training uses TensorFlow's own engine:
`tf.distribute.MultiWorkerMirroredStrategy`, configured by the standard
`TF_CONFIG` environment variable (a cluster with more than one worker selects
it automatically).
"""

import dataclasses
import glob
import json
import os
import platform

import keras

from secuah_dl import __version__
from secuah_dl._compat import require

STRATEGY_ENV = "SECUAH_DL_STRATEGY"
PRECISION_ENV = "SECUAH_DL_PRECISION"

STRATEGY_KINDS = ("auto", "tpu", "multi_worker", "mirrored", "gpu", "cpu")
PRECISION_POLICIES = ("auto", "float32", "mixed_float16", "mixed_bfloat16")

__all__ = [
    "STRATEGY_KINDS",
    "PRECISION_POLICIES",
    "StrategyChoice",
    "choose_strategy",
    "choose_precision",
    "get_strategy",
    "set_precision",
    "seed_everything",
    "global_batch_size",
    "split_cpu",
    "describe",
]


@dataclasses.dataclass(frozen=True)
class StrategyChoice:
    """What `choose_strategy()` decided, and why.

    Attributes:
        kind: str. One of `"tpu"`, `"multi_worker"`, `"mirrored"`, `"gpu"`,
            `"cpu"`.
        devices: tuple of str. The devices the strategy will use (empty for
            TPU and multi-worker, where the cluster decides).
        reason: str. One sentence saying why this kind was picked.
    """

    kind: str
    devices: tuple
    reason: str


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


def choose_strategy(devices, *, tpu=False, tf_config=None, override=None):
    """Decides which `tf.distribute` strategy fits a list of devices.

    This is the pure decision behind `get_strategy()`: TPU first, then a
    multi-worker cluster (`TF_CONFIG` with more than one worker), then
    several GPUs (mirrored), then one GPU, then the CPU.

    Args:
        devices: list of str. Device names such as `"/device:GPU:0"` or
            `"/physical_device:CPU:0"` (only the type matters).
        tpu: bool. Whether a TPU was found. Defaults to `False`.
        tf_config: dict, str or None. The `TF_CONFIG` cluster description.
        override: str or None. One of `STRATEGY_KINDS`; `None` or `"auto"`
            keeps the automatic choice.

    Returns:
        A `StrategyChoice`.

    Raises:
        ValueError: if `override` is not a known kind, or asks for hardware
            that `devices` does not have.

    Example:

    >>> choose_strategy(["/device:CPU:0", "/device:GPU:0", "/device:GPU:1"]).kind
    'mirrored'
    """
    override = override or "auto"
    _validate_choice("override", override, STRATEGY_KINDS)
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
        return StrategyChoice("tpu", (), "a TPU was found")
    if override == "multi_worker" or (override == "auto" and workers > 1):
        return StrategyChoice(
            "multi_worker", (), f"TF_CONFIG describes a cluster of {workers} workers"
        )
    if override == "mirrored":
        replicas = gpus if gpus else cpus
        return StrategyChoice(
            "mirrored", replicas, f"mirrored over {len(replicas)} device(s) on request"
        )
    if override == "auto" and len(gpus) > 1:
        return StrategyChoice("mirrored", gpus, f"{len(gpus)} GPUs were found")
    if override == "gpu" or (override == "auto" and gpus):
        return StrategyChoice("gpu", gpus[:1], "one GPU was found")
    return StrategyChoice("cpu", cpus[:1], "no accelerator was found")


def _tpu_resolver():
    """Returns a connected TPUClusterResolver, or None when there is no TPU.

    Only tries when there is evidence of a TPU (a TPU VM's device files or a
    TPU address in the environment), so machines without one pay nothing.
    """
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


_STRATEGY_CACHE = {}


def get_strategy(kind=None):
    """Returns the `tf.distribute` strategy that fits this machine.

    TPU (`TPUStrategy`) -> a `TF_CONFIG` cluster (`MultiWorkerMirroredStrategy`)
    -> several GPUs (`MirroredStrategy`) -> one GPU (`OneDeviceStrategy`) -> the
    CPU (the default strategy). The result is cached, so calling it twice in a
    notebook returns the same object (TPU systems can only be initialised once).

    Args:
        kind: str or None. Force a kind (`"tpu"`, `"multi_worker"`,
            `"mirrored"`, `"gpu"`, `"cpu"`); `None` reads the
            `SECUAH_DL_STRATEGY` environment variable, then decides
            automatically.

    Returns:
        A `tf.distribute.Strategy`. Build and compile models inside its
        `scope()`.

    Raises:
        ValueError: if `kind` is unknown or the hardware it asks for is absent.
        ImportError: if TensorFlow is not installed.
    """
    tf = _tf()
    kind = kind or os.environ.get(STRATEGY_ENV, "auto").strip().lower() or "auto"
    _validate_choice("kind", kind, STRATEGY_KINDS)
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
    choice = choose_strategy(
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


def _strategy_kind(strategy):
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
    tf = _tf()
    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(details.get("compute_capability", (0, 0)))
    return capabilities


def choose_precision(kind, gpu_compute_capabilities=(), *, override=None):
    """Decides the Keras mixed-precision policy for a strategy kind.

    `mixed_bfloat16` on TPU; `mixed_float16` when every GPU has compute
    capability >= 7.0 (Volta and later, with Tensor Cores: Colab's T4, L4,
    A100); `float32` otherwise (CPU, older GPUs).

    Args:
        kind: str. A strategy kind, as in `StrategyChoice.kind`.
        gpu_compute_capabilities: sequence of `(major, minor)` tuples.
        override: str or None. One of `PRECISION_POLICIES`; `None` or
            `"auto"` keeps the automatic choice.

    Returns:
        str. A Keras dtype policy name.

    Raises:
        ValueError: if `override` is not a known policy.
    """
    override = override or "auto"
    _validate_choice("override", override, PRECISION_POLICIES)
    if override != "auto":
        return override
    if kind == "tpu":
        return "mixed_bfloat16"
    capabilities = list(gpu_compute_capabilities)
    if kind in ("gpu", "mirrored", "multi_worker") and capabilities:
        if all(tuple(cc) >= (7, 0) for cc in capabilities):
            return "mixed_float16"
    return "float32"


def set_precision(strategy=None, policy=None):
    """Sets Keras's global dtype policy for this machine.

    Call it before building models. Output layers of the practicals are
    float32 whatever the policy, as the Keras mixed-precision guide advises.

    Args:
        strategy: `tf.distribute.Strategy` or None. The strategy in use;
            `None` uses `get_strategy()`.
        policy: str or None. Force a policy (`"float32"`, `"mixed_float16"`,
            `"mixed_bfloat16"`); `None` reads `SECUAH_DL_PRECISION`, then
            decides automatically with `choose_precision()`.

    Returns:
        str. The policy now in force.

    Raises:
        ValueError: if `policy` is unknown.
    """
    policy = policy or os.environ.get(PRECISION_ENV, "auto").strip().lower() or "auto"
    _validate_choice("policy", policy, PRECISION_POLICIES)
    if policy == "auto":
        kind = _strategy_kind(strategy or get_strategy())
        capabilities = _gpu_compute_capabilities() if kind != "tpu" else []
        policy = choose_precision(kind, capabilities)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def seed_everything(seed=0, *, deterministic=False):
    """Seeds Python, NumPy and the Keras backend in one call.

    Args:
        seed: int. The seed. Defaults to `0`.
        deterministic: bool. Also turn on TensorFlow op determinism, so that
            two runs give bit-identical weights (slower on GPU). Defaults to
            `False`.

    Returns:
        int. The seed, for logging.

    Raises:
        ValueError: if `seed` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(
            f"`seed` must be a non-negative integer. Received: seed={seed!r}"
        )
    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        _tf().config.experimental.enable_op_determinism()
    return seed


def global_batch_size(per_replica_batch_size, strategy=None):
    """The batch size to give `tf.data` so each replica gets its share.

    Args:
        per_replica_batch_size: int. Examples each replica processes per step.
        strategy: `tf.distribute.Strategy` or None. `None` uses the strategy
            in scope (one replica outside any scope).

    Returns:
        int. `per_replica_batch_size * strategy.num_replicas_in_sync`.

    Raises:
        ValueError: if `per_replica_batch_size` is not a positive integer.
    """
    if (
        isinstance(per_replica_batch_size, bool)
        or not isinstance(per_replica_batch_size, int)
        or per_replica_batch_size < 1
    ):
        raise ValueError(
            "`per_replica_batch_size` must be a positive integer. Received: "
            f"per_replica_batch_size={per_replica_batch_size!r}"
        )
    strategy = strategy or _tf().distribute.get_strategy()
    return per_replica_batch_size * strategy.num_replicas_in_sync


def split_cpu(num_devices):
    """Splits the CPU into several logical devices (to try mirrored training).

    Must be called before TensorFlow touches any device (before building a
    model or a dataset). Useful to see `MirroredStrategy` work on a laptop.

    Args:
        num_devices: int. Number of logical CPU devices, >= 1.

    Returns:
        list of str. The logical CPU device names.

    Raises:
        ValueError: if `num_devices` is not a positive integer.
        RuntimeError: if TensorFlow's devices are already initialised.
    """
    if (
        isinstance(num_devices, bool)
        or not isinstance(num_devices, int)
        or num_devices < 1
    ):
        raise ValueError(
            f"`num_devices` must be a positive integer. Received: num_devices={num_devices!r}"
        )
    tf = _tf()
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
        )
    except RuntimeError as error:
        raise RuntimeError(
            "split_cpu() must run before TensorFlow initialises its devices "
            "(call it first thing, before any model or dataset is built). "
            f"Received: num_devices={num_devices} after initialisation"
        ) from error
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def _device_label(strategy):
    tf = _tf()
    kind = _strategy_kind(strategy)
    if kind == "tpu":
        return "TPU"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus and kind != "cpu":
        name = tf.config.experimental.get_device_details(gpus[0]).get(
            "device_name", "GPU"
        )
        return f"{len(gpus)}x {name}" if len(gpus) > 1 else name
    return f"CPU ({os.cpu_count()} cores)"


def describe(strategy=None):
    """One human line about the runtime, printed at the top of every workbook.

    Args:
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `get_strategy()`.

    Returns:
        str. Device, replicas, strategy, precision policy, backend and
        versions, e.g. `"secuah_dl 0.1.0 | CPU (2 cores) | 1 replica
        (_DefaultDistributionStrategy) | float32 | backend tensorflow |
        TensorFlow 2.21.0, Keras 3.15.1, Python 3.11.7"`.

    Raises:
        ImportError: if TensorFlow is not installed.
    """
    tf = _tf()
    strategy = strategy or get_strategy()
    replicas = strategy.num_replicas_in_sync
    policy = keras.mixed_precision.global_policy().name
    return (
        f"secuah_dl {__version__} | {_device_label(strategy)} | "
        f"{replicas} replica{'s' if replicas != 1 else ''} ({type(strategy).__name__}) | "
        f"{policy} | backend {keras.backend.backend()} | "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"Python {platform.python_version()}"
    )
