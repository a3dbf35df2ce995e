"""The fundamentals: every number of the slides, the simulators, run()."""

import json

import keras
import numpy as np
import pytest
from helpers import run_model_test

from secuah_dl import fundamentals

# ---------------------------------------------------------------- perceptron


@pytest.mark.parametrize("gate", ["and", "or"])
def test_perceptron_learns_linearly_separable_gates(gate):
    x, y = fundamentals.logic_gate(gate)
    outcome = fundamentals.train_perceptron(x, y, epochs=20)
    assert outcome["final_errors"] == 0
    assert outcome["errors"][-1] == 0
    np.testing.assert_array_equal(
        fundamentals.perceptron_predict(x, outcome["weights"], outcome["bias"]), y
    )


def test_perceptron_never_learns_xor():
    x, y = fundamentals.logic_gate("xor")
    outcome = fundamentals.train_perceptron(x, y, epochs=200)
    assert min(outcome["errors"]) > 0  # not one clean epoch in 200
    assert outcome["final_errors"] > 0


def test_logic_gates_truth_tables():
    x, y = fundamentals.logic_gate("XOR")
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]
    assert fundamentals.step(np.array([-0.1, 0.0, 2.0])).tolist() == [0, 1, 1]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: fundamentals.logic_gate("nand"), r"and, or, xor.*name='nand'"),
        (
            lambda: fundamentals.train_perceptron(
                *fundamentals.logic_gate("and"), epochs=0
            ),
            "epochs=0",
        ),
        (
            lambda: fundamentals.train_perceptron(
                *fundamentals.logic_gate("and"), learning_rate=-1
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
    ],
)
def test_perceptron_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- MLP on XOR


def test_mlp_solves_xor(tmp_path):
    train_ds, val_ds, test_ds, info = fundamentals.load_data("xor", seed=0)
    assert info["y"].tolist() == [0, 1, 1, 0]
    inputs, targets = next(iter(train_ds))
    assert inputs.shape == (4, 2) and targets.shape == (4, 1)
    model = fundamentals.build_model(seed=0)
    history = fundamentals.train(model, train_ds, val_ds, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    numbers = fundamentals.evaluate(model, test_ds)
    assert numbers["accuracy"] == 1.0 and numbers["points"] == 4
    x, y = fundamentals.logic_gate("xor")
    run_model_test(
        model,
        x,
        y[:, None].astype("float32"),
        expected_output_shape=(2, 1),
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hidden_units": 0}, "hidden_units=0"),
        ({"learning_rate": 0.0}, "learning_rate=0.0"),
    ],
)
def test_build_model_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fundamentals.build_model(**kwargs)


def test_load_data_rejects_unknown_gate():
    with pytest.raises(ValueError, match="name='xnor'"):
        fundamentals.load_data("xnor")


# ---------------------------------------------------------- gradient descent


def test_gradient_descent_uses_the_slides_formulas():
    x = np.array([0.0, 1.0, 2.0])
    y = np.array([1.0, 3.0, 5.0])
    outcome = fundamentals.gradient_descent(x, y, learning_rate=0.1, epochs=1)
    # dJ/dm = -2/3 * (0*1 + 1*3 + 2*5) = -26/3, dJ/db = -2/3 * 9 = -6.
    assert outcome["m"] == pytest.approx(0.1 * 26 / 3)
    assert outcome["b"] == pytest.approx(0.6)
    assert outcome["costs"][0] == pytest.approx((1 + 9 + 25) / 3)
    assert fundamentals.mse_cost(2.0, 1.0, x, y) == 0.0


def test_gradient_descent_learning_rates():
    x, y = fundamentals.linear_data(seed=0)
    small = fundamentals.gradient_descent(x, y, learning_rate=0.01, epochs=50)
    good = fundamentals.gradient_descent(x, y, learning_rate=0.1, epochs=50)
    large = fundamentals.gradient_descent(x, y, learning_rate=0.6, epochs=50)
    assert good["m"] == pytest.approx(2.0, abs=0.2)
    assert good["b"] == pytest.approx(1.0, abs=0.2)
    assert good["costs"][-1] < 0.06  # noise variance 0.04
    assert np.all(np.diff(good["costs"]) <= 1e-12)  # never goes up
    assert good["costs"][-1] < small["costs"][-1] < small["costs"][0]
    assert not good["diverged"] and not small["diverged"]
    assert large["diverged"]
    assert large["costs"][-1] > 1e6 * large["costs"][0] or not np.isfinite(
        large["costs"][-1]
    )
    m_grid, _, cost = fundamentals.cost_surface(x, y, resolution=20)
    assert cost.shape == m_grid.shape == (20, 20)


def test_gradient_descent_rejects_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate=0"):
        fundamentals.gradient_descent([1, 2], [1, 2], learning_rate=0)
    with pytest.raises(ValueError, match="same length"):
        fundamentals.gradient_descent([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="noise=-1"):
        fundamentals.linear_data(noise=-1)


# ----------------------------------------------------------- backpropagation


def test_backprop_matches_autodiff():
    params = fundamentals.init_two_layer(2, 3, 1, seed=1)
    x, y = fundamentals.logic_gate("xor")
    by_hand = fundamentals.backprop_gradients(params, x, y)
    by_tape = fundamentals.autodiff_gradients(params, x, y)
    assert by_hand["loss"] == pytest.approx(by_tape["loss"], abs=1e-12)
    for name in ("w1", "b1", "w2", "b2"):
        assert by_hand[name].shape == params[name].shape
        np.testing.assert_allclose(by_hand[name], by_tape[name], atol=1e-6, rtol=0)
        assert np.abs(by_hand[name]).max() > 1e-4  # not trivially zero


def test_backprop_rejects_wrong_targets():
    params = fundamentals.init_two_layer(seed=0)
    with pytest.raises(ValueError, match=r"shape \(4, 1\)"):
        fundamentals.backprop_gradients(params, np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="hidden_units=0"):
        fundamentals.init_two_layer(hidden_units=0)


# ------------------------------------------------- activations and vanishing


def test_activation_derivatives():
    z = np.linspace(-3, 3, 13)
    for name, (function, derivative) in fundamentals.activation_functions().items():
        if name == "escalón":
            assert np.all(derivative(z) == 0)
            continue
        numeric = (function(z + 1e-6) - function(z - 1e-6)) / 2e-6
        mask = np.abs(z) > 1e-3  # ReLU has a kink at 0
        np.testing.assert_allclose(derivative(z)[mask], numeric[mask], atol=1e-6)
    _, sigmoid_derivative = fundamentals.activation_functions()["sigmoide"]
    assert sigmoid_derivative(np.array(0.0)) == pytest.approx(0.25)


def test_sigmoid_gradients_vanish_relu_ones_do_not():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (32, 16))
    y = rng.normal(0, 1, (32, 1))
    sigmoid = fundamentals.layer_gradient_norms(
        fundamentals.build_deep_mlp("sigmoid", depth=10), x, y
    )
    relu = fundamentals.layer_gradient_norms(
        fundamentals.build_deep_mlp("relu", depth=10), x, y
    )
    assert len(sigmoid) == len(relu) == 11  # 10 hidden layers + output
    assert sigmoid[0] / sigmoid[-2] < 1e-3  # first vs last hidden layer
    assert relu[0] / relu[-2] > 1e-1
    assert sigmoid[0] < 1e-3 * relu[0]  # orders of magnitude smaller


# ------------------------------------------------- convolution and pooling


def test_mean_mask_reproduces_the_slides():
    out = fundamentals.conv2d_numpy(fundamentals.SLIDE_IMAGE, fundamentals.MEAN_MASK)
    assert out.shape == (3, 3)
    shown = fundamentals.truncate_one_decimal(out)
    assert shown[0].tolist()[:3] == [2.2, 1.4, 1.0]
    assert shown[1, 0] == 2.5
    # The window sums behind them: 20, 13, 9 and 23 (means 2.22, 1.44, 1, 2.56).
    np.testing.assert_allclose(out[0] * 9, [20, 13, 9])
    assert out[1, 0] * 9 == pytest.approx(23)
    np.testing.assert_allclose(
        fundamentals.keras_conv2d(fundamentals.SLIDE_IMAGE, fundamentals.MEAN_MASK),
        out,
        atol=1e-12,
    )


def test_weighted_sum_is_17():
    out = fundamentals.conv2d_numpy(
        fundamentals.WEIGHTED_SUM_IMAGE, fundamentals.WEIGHTED_SUM_KERNEL
    )
    assert out[0, 0] == 17
    assert (
        np.sum(
            fundamentals.WEIGHTED_SUM_IMAGE[:3, :3] * fundamentals.WEIGHTED_SUM_KERNEL
        )
        == 17
    )
    np.testing.assert_array_equal(
        fundamentals.keras_conv2d(
            fundamentals.WEIGHTED_SUM_IMAGE, fundamentals.WEIGHTED_SUM_KERNEL
        ),
        out,
    )


def test_pooling_values_match_keras():
    grid = fundamentals.POOLING_GRID
    max_pool = fundamentals.pool2d_numpy(grid, mode="max")
    average_pool = fundamentals.pool2d_numpy(grid, mode="average")
    assert max_pool.tolist() == [[6, 8], [3, 4]]
    assert average_pool.tolist() == [[3.25, 5.25], [2, 2]]
    np.testing.assert_array_equal(fundamentals.keras_pool2d(grid, mode="max"), max_pool)
    np.testing.assert_allclose(
        fundamentals.keras_pool2d(grid, mode="average"), average_pool
    )


def test_strided_padded_convolution_matches_keras():
    image = np.arange(49, dtype="float64").reshape(7, 7) % 5
    kernel = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0], [-1.0, 0.0, 1.0]])
    ours = fundamentals.conv2d_numpy(image, kernel, stride=2, padding=1)
    assert ours.shape == (4, 4)
    np.testing.assert_allclose(
        fundamentals.keras_conv2d(image, kernel, stride=2, padding="same"), ours
    )


@pytest.mark.parametrize(
    "n, k, padding, stride, expected",
    [
        (5, 3, 0, 1, 3),  # the slides' 5x5 image, 3x3 mask
        (4, 2, 0, 2, 2),  # 2x2 pooling, stride 2
        (32, 5, 0, 1, 28),  # LeNet C1
        (28, 2, 0, 2, 14),  # LeNet S2
        (227, 11, 0, 4, 55),  # AlexNet conv1
        (55, 3, 0, 2, 27),  # AlexNet pool1
        (27, 5, 2, 1, 27),  # AlexNet conv2, "same"
        (13, 3, 0, 2, 6),  # AlexNet pool5
        (7, 3, 1, 2, 4),
    ],
)
def test_output_size_formula(n, k, padding, stride, expected):
    assert (
        fundamentals.conv_output_size(n, k, padding=padding, stride=stride) == expected
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0, "k": 3}, "n=0"),
        ({"n": 5, "k": 3, "stride": 0}, "stride=0"),
        ({"n": 5, "k": 3, "padding": -1}, "padding=-1"),
        ({"n": 3, "k": 5}, r"fit.*n=3, k=5"),
        ({"n": 5.0, "k": 3}, "n=5.0"),
    ],
)
def test_output_size_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fundamentals.conv_output_size(**kwargs)


def test_conv_and_pool_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"2-D.*\(5,\)"):
        fundamentals.conv2d_numpy(np.zeros(5), np.ones((3, 3)))
    with pytest.raises(ValueError, match="mode='median'"):
        fundamentals.pool2d_numpy(np.zeros((4, 4)), mode="median")


# ---------------------------------------------------------- classic CNNs


def _table(model):
    return [
        (layer.name, tuple(layer.output.shape[1:]), layer.count_params())
        for layer in model.layers
    ]


def test_lenet5_matches_the_table(tmp_path):
    model = fundamentals.build_lenet5()
    assert _table(model) == [
        ("c1", (28, 28, 6), 156),
        ("s2", (14, 14, 6), 0),
        ("c3", (10, 10, 16), 2416),
        ("s4", (5, 5, 16), 0),
        ("c5", (1, 1, 120), 48120),
        ("flatten", (120,), 0),
        ("f6", (84,), 10164),
        ("output", (10,), 850),
    ]
    assert model.count_params() == 61706
    assert model.get_layer("c1").activation.__name__ == "tanh"
    assert isinstance(model.get_layer("s2"), keras.layers.AveragePooling2D)
    x = np.random.default_rng(0).normal(size=(4, 32, 32, 1)).astype("float32")
    run_model_test(
        model,
        x,
        np.array([0, 1, 2, 3]),
        expected_output_shape=(2, 10),
        tmp_path=tmp_path,
        atol=1e-5,
    )


def test_alexnet_matches_the_table():
    model = fundamentals.build_alexnet()
    table = {name: (shape, params) for name, shape, params in _table(model)}
    assert table["conv1"] == ((55, 55, 96), 34944)
    assert table["pool1"] == ((27, 27, 96), 0)
    assert table["conv2"] == ((27, 27, 256), 614656)
    assert table["pool2"] == ((13, 13, 256), 0)
    assert table["conv3"] == ((13, 13, 384), 885120)
    assert table["conv4"] == ((13, 13, 384), 1327488)
    assert table["conv5"] == ((13, 13, 256), 884992)
    assert table["pool5"] == ((6, 6, 256), 0)
    assert table["flatten"] == ((9216,), 0)
    assert table["fc6"] == ((4096,), 37752832)
    assert table["fc7"] == ((4096,), 16781312)
    assert table["fc8"] == ((1000,), 4097000)
    assert model.count_params() == 62378344  # about 62.4 million
    assert [layer.rate for layer in model.layers if "dropout" in layer.name] == [
        0.5,
        0.5,
    ]


def test_cnn_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="num_classes=1"):
        fundamentals.build_lenet5(num_classes=1)
    with pytest.raises(ValueError, match="dropout=1.0"):
        fundamentals.build_alexnet(dropout=1.0)
    with pytest.raises(ValueError, match="rate=0"):
        fundamentals.dropout_demo(rate=0)


# ------------------------------------------------------------------ run()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return fundamentals.run(quick=True, out_dir=tmp_path_factory.mktemp("fund"))


def test_run_writes_metrics_and_figures(quick_run):
    payload = json.loads((quick_run.out_dir / "metrics.json").read_text())
    assert payload["practical"] == "fundamentals"
    numbers = payload["metrics"]
    assert numbers["perceptron_and_errors"] == numbers["perceptron_or_errors"] == 0
    assert numbers["perceptron_xor_errors"] > 0
    assert numbers["perceptron_xor_min_epoch_errors"] > 0
    assert numbers["mlp_xor_accuracy"] == 1.0
    assert numbers["backprop_max_abs_diff"] < 1e-6
    assert numbers["conv_keras_max_abs_diff"] < 1e-9
    assert numbers["conv_weighted_sum"] == 17
    assert numbers["conv_mean_outputs"][0] == [2.2, 1.4, 1.0]
    assert numbers["gd_final_cost"] < 0.06 and numbers["gd_large_lr_diverged"]
    assert numbers["vanishing_sigmoid_first_over_last"] < 1e-3
    assert numbers["dropout_gap_with"] < numbers["dropout_gap_without"]
    for name in (
        "perceptron",
        "mlp_xor",
        "gradient_descent",
        "activations",
        "vanishing_gradients",
    ):
        path = quick_run.figures[name]
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert quick_run.model_path.exists()
