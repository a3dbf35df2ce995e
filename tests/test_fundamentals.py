"""The fundamentals: the slides' numbers, the simulators, the figures, run()."""

import json

import keras
import numpy as np
import pytest
from helpers import run_model_test
from matplotlib.figure import Figure

from secuah_dl import fundamentals, plots

# ---------------------------------------------------------------- perceptron


@pytest.mark.parametrize("gate", ["and", "or"])
def test_perceptron_learns_linearly_separable_gates(gate):
    x, y = fundamentals.logic_gate(gate)
    outcome = fundamentals.train_perceptron(x, y, epochs=20)
    assert outcome["final_errors"] == 0 and outcome["errors"][-1] == 0
    np.testing.assert_array_equal(
        fundamentals._step(x @ outcome["weights"] + outcome["bias"]), y
    )


def test_perceptron_never_learns_xor():
    x, y = fundamentals.logic_gate("XOR")
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    outcome = fundamentals.train_perceptron(x, y, epochs=200)
    assert min(outcome["errors"]) > 0  # not one clean epoch in 200
    assert outcome["final_errors"] > 0


def test_perceptron_rule_by_hand():
    # One epoch on AND with lr 1: only (0, 0) (z = 0 -> 1, should be 0) and
    # (1, 1) (z = -1 -> 0, should be 1) move the unit.
    outcome = fundamentals.train_perceptron(
        *fundamentals.logic_gate("and"), epochs=1, learning_rate=1.0
    )
    assert outcome["weights"].tolist() == [1.0, 1.0] and outcome["bias"] == 0.0
    assert outcome["errors"] == [2]
    assert fundamentals._step(np.array([-0.1, 0.0, 2.0])).tolist() == [0, 1, 1]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fundamentals.logic_gate("nand"), r"and, or, xor.*name='nand'"),
        (
            lambda: fundamentals.train_perceptron(
                np.zeros((4, 2)), [0, 1, 0, 1], epochs=0
            ),
            "epochs=0",
        ),
        (
            lambda: fundamentals.train_perceptron(
                np.zeros((4, 2)), [0, 1, 0, 1], learning_rate=-1
            ),
            "learning_rate=-1",
        ),
        (
            lambda: fundamentals.train_perceptron(np.zeros((4, 2)), [0, 1, 2, 0]),
            r"only 0 and 1",
        ),
        (
            lambda: fundamentals.train_perceptron(np.zeros((4, 2)), [0, 1]),
            r"shape \(4,\)",
        ),
        (
            lambda: fundamentals.train_perceptron(np.zeros(4), [0, 1, 0, 1]),
            r"shape \(n, d\)",
        ),
    ],
)
def test_perceptron_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- MLP on XOR


def test_xor_data_and_model(tmp_path):
    train_ds, val_ds, test_ds, info = fundamentals.load_data("xor", seed=0)
    assert info["y"].tolist() == [0, 1, 1, 0] and info["description"].startswith(
        "synthetic"
    )
    inputs, targets = next(iter(train_ds))
    assert inputs.shape == (4, 2) and targets.shape == (4, 1)
    assert sum(int(b[0].shape[0]) for b in train_ds) == 4 * 64
    model = fundamentals.build_model(hidden_units=3, seed=0)
    assert model.count_params() == (2 * 3 + 3) + (3 + 1)
    assert model.loss == "binary_crossentropy"
    x, y = fundamentals.logic_gate("xor")
    run_model_test(
        model,
        x,
        y[:, None].astype("float32"),
        expected_output_shape=(2, 1),
        tmp_path=tmp_path,
    )
    numbers = fundamentals.evaluate(model, test_ds)
    assert numbers["points"] == 4 and len(numbers["probabilities"]) == 4


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fundamentals.build_model(hidden_units=0), "hidden_units=0"),
        (lambda: fundamentals.build_model(learning_rate=0.0), "learning_rate=0.0"),
        (lambda: fundamentals.load_data("xnor"), "name='xnor'"),
        (lambda: fundamentals.load_data("xor", repeats=0), "repeats=0"),
    ],
)
def test_xor_face_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------- gradient descent


def test_gradient_descent_uses_the_slides_formulas():
    x = np.array([0.0, 1.0, 2.0])
    y = np.array([1.0, 3.0, 5.0])
    outcome = fundamentals._gradient_descent(x, y, learning_rate=0.1, epochs=1)
    # dJ/dm = -2/3 * (0*1 + 1*3 + 2*5) = -26/3, dJ/db = -2/3 * 9 = -6.
    assert outcome["m"] == pytest.approx(0.1 * 26 / 3)
    assert outcome["b"] == pytest.approx(0.6)
    assert outcome["costs"][0] == pytest.approx((1 + 9 + 25) / 3)
    assert fundamentals._mse_cost(2.0, 1.0, x, y) == 0.0


def test_gradient_descent_learning_rates():
    x, y = fundamentals.linear_data(seed=0)
    small = fundamentals._gradient_descent(x, y, learning_rate=0.01, epochs=50)
    good = fundamentals._gradient_descent(x, y, learning_rate=0.1, epochs=50)
    large = fundamentals._gradient_descent(x, y, learning_rate=0.6, epochs=50)
    assert good["m"] == pytest.approx(2.0, abs=0.2) and good["b"] == pytest.approx(
        1.0, abs=0.2
    )
    assert good["costs"][-1] < 0.06  # noise variance 0.04
    assert np.all(np.diff(good["costs"]) <= 1e-12)  # never goes up
    assert good["costs"][-1] < small["costs"][-1] < small["costs"][0]
    assert not good["diverged"] and not small["diverged"] and large["diverged"]
    m_grid, b_grid, cost = fundamentals.cost_surface(x, y, resolution=20)
    assert cost.shape == m_grid.shape == (20, 20)
    figure = plots.gradient_descent_paths(m_grid, b_grid, cost, {0.1: good, 0.6: large})
    assert isinstance(figure, Figure) and len(figure.axes) == 2


def test_linear_data_rejects_bad_arguments():
    with pytest.raises(ValueError, match="noise=-1"):
        fundamentals.linear_data(noise=-1)


# ------------------------------------------ backpropagation, vanishing gradients


@pytest.mark.both_backends
def test_backprop_matches_autodiff():
    params = fundamentals.init_two_layer(2, 3, 1, seed=1)
    x, y = fundamentals.logic_gate("xor")
    by_hand = fundamentals.backprop_gradients(params, x, y)
    by_autodiff = fundamentals.autodiff_gradients(params, x, y)
    assert by_hand["loss"] == pytest.approx(by_autodiff["loss"], abs=1e-12)
    for name in ("w1", "b1", "w2", "b2"):
        assert by_hand[name].shape == params[name].shape
        np.testing.assert_allclose(by_hand[name], by_autodiff[name], atol=1e-9, rtol=0)
        assert np.abs(by_hand[name]).max() > 1e-4  # not trivially zero


def test_backprop_rejects_wrong_targets():
    params = fundamentals.init_two_layer(seed=0)
    with pytest.raises(ValueError, match=r"shape \(4, 1\)"):
        fundamentals.backprop_gradients(params, np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="hidden_units=0"):
        fundamentals.init_two_layer(hidden_units=0)


@pytest.mark.both_backends
def test_sigmoid_gradients_vanish_relu_ones_do_not():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, (32, 16)), rng.normal(0, 1, (32, 1))
    norms = {
        name: fundamentals.layer_gradient_norms(
            fundamentals.build_deep_mlp(name, depth=10), x, y
        )
        for name in ("sigmoid", "relu")
    }
    sigmoid, relu = norms["sigmoid"], norms["relu"]
    assert len(sigmoid) == len(relu) == 11  # 10 hidden layers + output
    assert sigmoid[0] / sigmoid[-2] < 1e-3  # first vs last hidden layer
    assert relu[0] / relu[-2] > 1e-1
    assert sigmoid[0] < 1e-3 * relu[0]
    assert len(plots.gradient_norms(norms).axes[0].lines) == 2
    with pytest.raises(ValueError, match="depth=0"):
        fundamentals.build_deep_mlp(depth=0)


# ------------------------------------------------- convolution and pooling


def _keras_conv(image, kernel, **kwargs):
    layer = keras.layers.Conv2D(1, kernel.shape, use_bias=False, **kwargs)
    layer.build((1, *image.shape, 1))
    layer.set_weights([kernel[:, :, None, None].astype("float32")])
    return keras.ops.convert_to_numpy(layer(image[None, :, :, None].astype("float32")))[
        0, :, :, 0
    ]


def test_mean_mask_reproduces_the_slides():
    out = fundamentals.conv2d_numpy(fundamentals.SLIDE_IMAGE, fundamentals.MEAN_MASK)
    assert out.shape == (3, 3)
    shown = fundamentals.truncate_one_decimal(out)
    assert shown[0].tolist() == [2.2, 1.4, 1.0] and shown[1, 0] == 2.5
    # Window sums 20, 13, 9 and 23: 23/9 = 2.56 is printed 2.5 (truncated, not rounded).
    np.testing.assert_allclose(out[0] * 9, [20, 13, 9])
    assert out[1, 0] * 9 == pytest.approx(23) and round(out[1, 0], 1) == 2.6
    np.testing.assert_allclose(
        _keras_conv(fundamentals.SLIDE_IMAGE, fundamentals.MEAN_MASK), out, atol=1e-5
    )


def test_weighted_sum_is_17_and_pooling_matches_keras():
    image, kernel = fundamentals.WEIGHTED_SUM_IMAGE, fundamentals.WEIGHTED_SUM_KERNEL
    out = fundamentals.conv2d_numpy(image, kernel)
    assert out[0, 0] == 17 == np.sum(image[:3, :3] * kernel)
    np.testing.assert_array_equal(_keras_conv(image, kernel), out)
    grid = fundamentals.POOLING_GRID[None, :, :, None].astype("float32")
    max_pool = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(grid))[
        0, :, :, 0
    ]
    average_pool = keras.ops.convert_to_numpy(keras.layers.AveragePooling2D(2)(grid))[
        0, :, :, 0
    ]
    assert max_pool.tolist() == [[6, 8], [3, 4]]
    assert average_pool.tolist() == [[3.25, 5.25], [2, 2]]


def test_strided_padded_convolution_matches_keras():
    image = np.arange(49, dtype="float64").reshape(7, 7) % 5
    kernel = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0], [-1.0, 0.0, 1.0]])
    ours = fundamentals.conv2d_numpy(image, kernel, stride=2, padding=1)
    assert ours.shape == (4, 4)
    np.testing.assert_allclose(
        _keras_conv(image, kernel, strides=2, padding="same"), ours, atol=1e-5
    )


@pytest.mark.parametrize(
    "n, k, padding, stride, expected",
    [
        (5, 3, 0, 1, 3),  # the slides' 5x5 image, 3x3 mask
        (32, 5, 0, 1, 28),  # LeNet C1
        (28, 2, 0, 2, 14),  # LeNet S2
        (227, 11, 0, 4, 55),  # AlexNet conv1
        (55, 3, 0, 2, 27),  # AlexNet pool1
        (27, 5, 2, 1, 27),  # AlexNet conv2, "same"
        (7, 3, 1, 2, 4),
    ],
)
def test_output_size_formula(n, k, padding, stride, expected):
    assert (
        fundamentals.conv_output_size(n, k, padding=padding, stride=stride) == expected
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fundamentals.conv_output_size(0, 3), "n=0"),
        (lambda: fundamentals.conv_output_size(5, 3, stride=0), "stride=0"),
        (lambda: fundamentals.conv_output_size(5, 3, padding=-1), "padding=-1"),
        (lambda: fundamentals.conv_output_size(3, 5), r"fit.*n=3, k=5"),
        (lambda: fundamentals.conv_output_size(5.0, 3), "n=5.0"),
        (
            lambda: fundamentals.conv2d_numpy(np.zeros(5), np.ones((3, 3))),
            r"2-D.*\(5,\)",
        ),
    ],
)
def test_sizes_and_convolution_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------- classic CNNs


def _table(model):
    return [
        (type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params())
        for layer in model.layers
    ]


def test_lenet5_and_alexnet_match_the_slides_tables():
    assert _table(fundamentals.build_lenet5()) == [
        ("Conv2D", (28, 28, 6), 156),
        ("AveragePooling2D", (14, 14, 6), 0),
        ("Conv2D", (10, 10, 16), 2416),
        ("AveragePooling2D", (5, 5, 16), 0),
        ("Conv2D", (1, 1, 120), 48120),
        ("Flatten", (120,), 0),
        ("Dense", (84,), 10164),
        ("Dense", (10,), 850),
    ]
    table = _table(fundamentals.build_alexnet(num_classes=10))
    convs = [(shape, params) for kind, shape, params in table if kind == "Conv2D"]
    assert convs == [
        ((55, 55, 96), 34944),
        ((27, 27, 256), 614656),
        ((13, 13, 384), 885120),
        ((13, 13, 384), 1327488),
        ((13, 13, 256), 884992),
    ]
    assert ("Flatten", (9216,), 0) in table and ("Dense", (4096,), 37752832) in table
    assert (
        sum(params for *_, params in table) == 62378344 - 4097000 + 40970
    )  # 1000 -> 10 classes
    with pytest.raises(ValueError, match="num_classes=1"):
        fundamentals.build_lenet5(num_classes=1)
    with pytest.raises(ValueError, match="dropout=1.0"):
        fundamentals.build_alexnet(dropout=1.0)


@pytest.mark.both_backends
def test_the_lstm_step_the_workbook_grades_is_keras_lstmcell():
    from secuah_dl.grading.exercises import fundamentos

    x, h, c, kernel, recurrent_kernel, bias = fundamentos._lstm_inputs(seed=5)
    cell = keras.layers.LSTMCell(recurrent_kernel.shape[0])
    cell.build((None, kernel.shape[0]))
    cell.set_weights([kernel, recurrent_kernel, bias])
    _, (h_keras, c_keras) = cell(
        x.astype("float32"), [h.astype("float32"), c.astype("float32")]
    )
    h_numpy, c_numpy = fundamentos._lstm_step(x, h, c, kernel, recurrent_kernel, bias)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(h_keras), h_numpy, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(c_keras), c_numpy, atol=1e-5)


# ------------------------------------------------------------------ figures


def test_figures_take_arrays():
    x, y = fundamentals.logic_gate("xor")
    axis = np.linspace(-0.5, 1.5, 20)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    xor_like = (np.abs(grid[:, 0] - grid[:, 1]) > 0.5).astype(float)
    assert (
        len(plots.decision_map(axis, xor_like, x, y).axes) == 2
    )  # one panel + colour bar
    two_columns = np.stack([1 - xor_like, xor_like], axis=1)
    assert (
        len(plots.decision_map(axis, two_columns, x, y, class_names=["a", "b"]).axes)
        == 4
    )
    with pytest.raises(ValueError, match=r"20 x 20 = 400.*\(7,\)"):
        plots.decision_map(axis, np.zeros(7), x, y)
    tables = {gate: fundamentals.logic_gate(gate) for gate in ("and", "xor")}
    outcomes = {
        gate: fundamentals.train_perceptron(*tables[gate], epochs=5) for gate in tables
    }
    assert len(plots.perceptron_lines(tables, outcomes).axes) == 3
    z = np.linspace(-3, 3, 7)
    assert (
        len(
            plots.activation_curves(z, {"tanh": (np.tanh(z), 1 - np.tanh(z) ** 2)}).axes
        )
        == 2
    )
    assert len(plots.class_points(x, y, centers=[[0, 0]], limits=(-1, 2)).axes) == 1


# ------------------------------------------------------------------ run()


def test_run_writes_metrics_figures_and_model(tmp_path):
    result = fundamentals.run(quick=True, out_dir=tmp_path)
    payload = json.loads((tmp_path / "metrics.json").read_text())
    assert payload["practical"] == "fundamentals" and "synthetic" in payload["data"]
    numbers = payload["metrics"]
    assert numbers["perceptron_and_errors"] == numbers["perceptron_or_errors"] == 0
    assert (
        numbers["perceptron_xor_errors"] > 0
        and numbers["perceptron_xor_min_epoch_errors"] > 0
    )
    assert numbers["mlp_xor_accuracy"] == 1.0
    assert numbers["backprop_max_abs_diff"] < 1e-9
    assert numbers["conv_weighted_sum"] == 17
    assert (
        numbers["conv_mean_outputs"][0] == [2.2, 1.4, 1.0]
        and numbers["conv_mean_outputs"][1][0] == 2.5
    )
    assert numbers["max_pool"] == [[6, 8], [3, 4]] and numbers["average_pool"] == [
        [3.25, 5.25],
        [2, 2],
    ]
    assert numbers["lenet5_params"] == 61706
    assert numbers["gd_final_cost"] < 0.06 and numbers["gd_large_lr_diverged"]
    assert numbers["vanishing_sigmoid_first_over_last"] < 1e-3
    for name in ("perceptron", "mlp_xor", "gradient_descent", "vanishing_gradients"):
        path = result.figures[name]
        assert (
            path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            and path.stat().st_size > 10_000
        )
    reloaded = keras.saving.load_model(result.model_path, safe_mode=True)
    x, y = fundamentals.logic_gate("xor")
    assert ((reloaded.predict(x, verbose=0).ravel() >= 0.5) == y).all()
