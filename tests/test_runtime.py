"""Strategy and precision choice (devices injected), seeding, describe(), setup()."""

import json

import keras
import numpy as np
import pytest

from secuah_dl import runtime

CPU = "/physical_device:CPU:0"
GPU0, GPU1 = "/physical_device:GPU:0", "/physical_device:GPU:1"


@pytest.mark.parametrize(
    "devices, tpu, tf_config, override, kind",
    [
        ([CPU], False, None, None, "cpu"),
        ([CPU, GPU0], False, None, None, "gpu"),
        ([CPU, GPU0, GPU1], False, None, None, "mirrored"),
        ([CPU, GPU0, GPU1], True, None, None, "tpu"),
        ([CPU], True, None, "auto", "tpu"),
        (
            [CPU, GPU0],
            False,
            {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"index": 0}},
            None,
            "multi_worker",
        ),
        (
            [CPU],
            False,
            json.dumps({"cluster": {"worker": ["a:1", "b:2"]}}),
            None,
            "multi_worker",
        ),
        (
            [CPU],
            False,
            {"cluster": {"worker": ["a:1"]}},
            None,
            "cpu",
        ),  # one worker: no cluster
        ([CPU, GPU0, GPU1], False, None, "cpu", "cpu"),
        ([CPU, GPU0, GPU1], False, None, "gpu", "gpu"),
        ([CPU, "/device:CPU:1"], False, None, "mirrored", "mirrored"),
    ],
)
def test_choose_strategy(devices, tpu, tf_config, override, kind):
    choice = runtime._choose_strategy(
        devices, tpu=tpu, tf_config=tf_config, override=override
    )
    assert choice.kind == kind


def test_choose_strategy_devices():
    assert runtime._choose_strategy([CPU, GPU0, GPU1]).devices == (GPU0, GPU1)
    assert runtime._choose_strategy([CPU, GPU0, GPU1], override="gpu").devices == (
        GPU0,
    )
    assert runtime._choose_strategy(
        [CPU, "/device:CPU:1"], override="mirrored"
    ).devices == (
        CPU,
        "/device:CPU:1",
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"override": "quantum"}, r"override.*Received: override='quantum'"),
        ({"override": "tpu"}, "no TPU was found"),
        ({"override": "gpu"}, "no GPU is visible"),
        ({"override": "multi_worker"}, "TF_CONFIG"),
        ({"tf_config": "{not json"}, "not valid JSON"),
    ],
)
def test_choose_strategy_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        runtime._choose_strategy([CPU], **kwargs)


@pytest.mark.parametrize(
    "kind, capabilities, policy",
    [
        ("tpu", [], "mixed_bfloat16"),
        ("gpu", [(7, 5)], "mixed_float16"),  # T4
        ("mirrored", [(8, 0), (8, 0)], "mixed_float16"),  # A100s
        ("gpu", [(6, 0)], "float32"),  # P100: no Tensor Cores
        ("mirrored", [(7, 0), (6, 1)], "float32"),  # mixed generations
        ("cpu", [], "float32"),
    ],
)
def test_choose_precision(kind, capabilities, policy):
    assert runtime._choose_precision(kind, capabilities) == policy


@pytest.mark.both_backends
def test_get_strategy_on_this_machine(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv(runtime.STRATEGY_ENV, "cpu")
    strategy = runtime.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert runtime.get_strategy() is strategy  # cached
    monkeypatch.setenv(runtime.STRATEGY_ENV, "warp-drive")
    with pytest.raises(ValueError, match="warp-drive"):
        runtime.get_strategy()
    with pytest.raises(ValueError, match="no TPU"):
        runtime.get_strategy("tpu")


def test_set_precision_env_override(monkeypatch):
    try:
        monkeypatch.setenv(runtime.PRECISION_ENV, "mixed_bfloat16")
        cpu = runtime.get_strategy("cpu")
        assert runtime._set_precision(cpu) == "mixed_bfloat16"
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        monkeypatch.delenv(runtime.PRECISION_ENV)
        assert runtime._set_precision(cpu) == "float32"
        with pytest.raises(ValueError, match="Received: policy='half'"):
            runtime._set_precision(cpu, policy="half")
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.both_backends
def test_seed_everything_is_reproducible():
    runtime.seed_everything(7)
    first = keras.random.normal((4,)), np.random.rand(3)
    runtime.seed_everything(7)
    second = keras.random.normal((4,)), np.random.rand(3)
    np.testing.assert_array_equal(first[1], second[1])
    # Keras < 3.13 does not reset its global seed generator (Colab may ship one).
    if tuple(int(v) for v in keras.__version__.split(".")[:2]) >= (3, 13):
        np.testing.assert_array_equal(np.asarray(first[0]), np.asarray(second[0]))
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="seed"):
            runtime.seed_everything(bad)


@pytest.mark.both_backends
def test_global_batch_size():
    assert runtime.global_batch_size(32) == 32
    strategy = runtime.get_strategy("cpu")
    assert runtime.global_batch_size(16, strategy) == 16
    for bad in (0, -4, 2.5, True):
        with pytest.raises(ValueError, match="per_replica_batch_size"):
            runtime.global_batch_size(bad)


@pytest.mark.tf_only
def test_describe_is_one_informative_line():
    line = runtime.describe(runtime.get_strategy("cpu"))
    assert "\n" not in line
    for part in (
        "CPU",
        "1 réplica",
        "float32",
        "backend tensorflow",
        "TensorFlow 2.",
        "Keras 3.",
    ):
        assert part in line


@pytest.mark.both_backends
def test_value_and_gradients_on_this_backend():
    def loss_fn(values):
        return keras.ops.sum(values["w"] ** 2) + keras.ops.sum(values["b"])

    loss, grads = runtime.value_and_gradients(
        loss_fn, {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
    )
    assert loss == pytest.approx(5.5, abs=1e-12)
    np.testing.assert_allclose(grads["w"], [2.0, 4.0])
    np.testing.assert_allclose(grads["b"], [1.0])
    assert grads["w"].dtype == np.float64  # float64 stays float64 (JAX too)


@pytest.mark.both_backends
@pytest.mark.jax_only
def test_jax_strategy_describe_and_tf_only_features(monkeypatch):
    strategy = runtime.get_strategy("cpu")
    assert isinstance(strategy, runtime.JaxStrategy)
    assert strategy.num_replicas_in_sync == 1 and strategy.distribution is None
    with strategy.scope():
        assert runtime.global_batch_size(8, strategy) == 8
    line = runtime.describe(strategy)
    assert "\n" not in line
    for part in ("CPU", "1 réplica", "JaxStrategy", "backend jax", "JAX ", "Keras 3."):
        assert part in line
    assert runtime._set_precision(strategy) == "float32"
    with pytest.raises(RuntimeError, match="KERAS_BACKEND=tensorflow"):
        runtime.get_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]}}))
    with pytest.raises(RuntimeError, match="Multi-worker.*TF_CONFIG=set"):
        runtime.get_strategy("auto")


@pytest.mark.both_backends
def test_setup_prints_the_runtime_in_spanish_and_warns_without_accelerator(capsys):
    strategy = runtime.setup(quick=True, seed=3)
    out = capsys.readouterr().out
    assert "réplica" in out and "Modo rápido" in out and "⚠️" not in out
    assert strategy.num_replicas_in_sync >= 1
    runtime.setup(quick=False, seed=3, strategy=strategy)
    out = capsys.readouterr().out
    assert "Modo completo" in out
    assert "sin GPU ni TPU" in out and "Cambiar tipo de entorno" in out
    with pytest.raises(ValueError, match="seed"):
        runtime.setup(quick=True, seed=-1)
