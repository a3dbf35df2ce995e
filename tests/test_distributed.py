"""Training under MirroredStrategy (2 logical CPUs) and MultiWorkerMirroredStrategy.

Each run is a separate process: logical devices and TF_CONFIG must be set
before TensorFlow starts.
"""

import json
import socket

import numpy as np
import pytest
from conftest import finish, start_script, subprocess_env


def _result(prefix):
    with open(f"{prefix}.json") as handle:
        numbers = json.load(handle)
    weights = np.load(f"{prefix}.npz")
    return numbers, [
        weights[k] for k in sorted(weights.files, key=lambda k: int(k.split("_")[1]))
    ]


@pytest.mark.large
def test_two_replicas_match_one_device_band(tmp_path):
    single = start_script("distributed_worker.py", "single", tmp_path / "single")
    mirrored = start_script("distributed_worker.py", "mirrored2", tmp_path / "mirrored")
    finish(single, timeout=300)
    finish(mirrored, timeout=300)
    one, _ = _result(tmp_path / "single")
    two, _ = _result(tmp_path / "mirrored")
    assert one["replicas"] == 1
    assert two["replicas"] == 2 and two["strategy"] == "MirroredStrategy"
    # Same global batch (16 per replica) and schedule: the same accuracy band.
    assert one["accuracy"] >= 0.935 and two["accuracy"] >= 0.935
    assert abs(one["accuracy"] - two["accuracy"]) <= 0.02
    assert two["last_loss"] < 0.5 * two["first_loss"]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.large
def test_two_workers_on_loopback_end_identical(tmp_path):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    for index in range(2):
        tf_config = {
            "cluster": {"worker": workers},
            "task": {"type": "worker", "index": index},
        }
        env = subprocess_env(TF_CONFIG=json.dumps(tf_config))
        processes.append(
            start_script(
                "distributed_worker.py",
                "auto",
                tmp_path / f"worker{index}",
                10,
                env=env,
            )
        )
    try:
        for process in processes:
            finish(process, timeout=240)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    first, weights_0 = _result(tmp_path / "worker0")
    second, weights_1 = _result(tmp_path / "worker1")
    assert first["strategy"] == second["strategy"]
    assert first["strategy"] in (
        "MultiWorkerMirroredStrategy",
        "CollectiveAllReduceStrategy",
    )
    assert first["replicas"] == second["replicas"] == 2
    assert len(weights_0) == 6
    for a, b in zip(weights_0, weights_1):
        np.testing.assert_array_equal(a, b)
    assert first["last_loss"] < first["first_loss"]
    assert first["accuracy"] > 0.9
