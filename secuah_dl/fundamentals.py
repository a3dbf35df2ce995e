"""Practical 0: the fundamentals of the first sessions, computed and checked.

The workbook `00_fundamentos.ipynb` writes the Keras and the NumPy being
taught; this module keeps what it reuses and what `run()` and the CLI need:
the perceptron (Rosenblatt 1957), which never learns XOR (Minsky & Papert
1969); an MLP for XOR (`load_data`, `build_model`, `train`, `evaluate`);
gradient descent on `Y' = mX + b`; backpropagation by the chain rule checked
against autodiff, and vanishing gradients (Hochreiter 1991; Glorot & Bengio
2010); convolution and pooling by the numbers; LeNet-5 (LeCun et al. 1998)
and AlexNet (Krizhevsky et al. 2012) as in the slides' tables.

The slides are not shipped: `SLIDE_IMAGE`, `WEIGHTED_SUM_IMAGE`/
`WEIGHTED_SUM_KERNEL` and `POOLING_GRID` are small integer matrices that
reproduce every number the slides print.

```python
from secuah_dl import fundamentals

result = fundamentals.run(quick=True, out_dir="runs/fundamentals")
print(result.metrics["perceptron_xor_errors"], result.metrics["mlp_xor_accuracy"])
```
"""

import keras
import numpy as np

from secuah_dl import plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int, check_positive_float

__all__ = [
    "GATES",
    "SLIDE_IMAGE",
    "MEAN_MASK",
    "WEIGHTED_SUM_IMAGE",
    "WEIGHTED_SUM_KERNEL",
    "POOLING_GRID",
    "logic_gate",
    "train_perceptron",
    "linear_data",
    "cost_surface",
    "init_two_layer",
    "backprop_gradients",
    "autodiff_gradients",
    "build_deep_mlp",
    "layer_gradient_norms",
    "conv_output_size",
    "conv2d_numpy",
    "truncate_one_decimal",
    "build_lenet5",
    "build_alexnet",
    "load_data",
    "build_model",
    "train",
    "evaluate",
    "run",
]

GATES = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0)}
"""Truth tables for the inputs (0, 0), (0, 1), (1, 0), (1, 1)."""

# The slides' 5 x 5 image for the 3 x 3 mean mask, reconstructed: window sums
# 20, 13, 9 and 23 over 9, *truncated* to one decimal, give the printed 2.2,
# 1.4, 1.0 and 2.5 (no integer sum over 9 rounds to 2.5).
SLIDE_IMAGE = np.array(
    [
        [3, 2, 1, 1, 0],
        [3, 2, 2, 0, 1],
        [3, 2, 2, 1, 1],
        [4, 3, 2, 1, 0],
        [1, 0, 2, 3, 4],
    ]
)
MEAN_MASK = np.full((3, 3), 1.0 / 9.0)

# A reconstruction of the weighted-sum example: a 4 x 4 image and an "X"
# kernel whose top-left output is 3 + 2 + 5 + 4 + 3 = 17, as printed.
WEIGHTED_SUM_IMAGE = np.array(
    [
        [3, 1, 2, 0],
        [0, 5, 1, 2],
        [4, 2, 3, 1],
        [1, 0, 2, 4],
    ]
)
WEIGHTED_SUM_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])

# 2 x 2 pooling with stride 2: max [[6, 8], [3, 4]], average [[3.25, 5.25], [2, 2]].
POOLING_GRID = np.array(
    [
        [1, 1, 2, 4],
        [5, 6, 7, 8],
        [3, 2, 1, 0],
        [1, 2, 3, 4],
    ]
)

_GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")


# -- Perceptron --


def logic_gate(name):
    """The truth table of a logic gate as NumPy arrays.

    Args:
        name: str. `"and"`, `"or"` or `"xor"` (case-insensitive).

    Returns:
        A tuple `(x, y)`: float32 inputs `(4, 2)` (rows (0, 0), (0, 1),
        (1, 0), (1, 1)) and int64 targets `(4,)`.

    Raises:
        ValueError: if `name` is not a known gate.
    """
    key = str(name).lower()
    if key not in GATES:
        raise ValueError(
            f"`name` must be one of {', '.join(GATES)}. Received: name={name!r}"
        )
    return _GATE_INPUTS.copy(), np.asarray(GATES[key], dtype="int64")


def _step(z):
    """Heaviside step, the perceptron's threshold: 1 where `z >= 0`, else 0."""
    return (np.asarray(z) >= 0).astype("int64")


def train_perceptron(x, y, *, epochs=20, learning_rate=0.1):
    """Rosenblatt's perceptron learning rule (Rosenblatt 1957).

    Weights and bias start at 0; the examples are visited in order and,
    after each one, `w += lr * (y - y_hat) * x` and `b += lr * (y - y_hat)`
    with `y_hat = 1 if w . x + b >= 0 else 0`. It converges when the classes are
    linearly separable (AND, OR) and cycles for ever when they are not (XOR;
    Minsky & Papert 1969).

    Args:
        x: array `(n, d)`. Inputs.
        y: array `(n,)`. Targets in {0, 1}.
        epochs: int. Passes over the data. Defaults to `20`.
        learning_rate: float. Step size. Defaults to `0.1`.

    Returns:
        dict with `weights` `(d,)`, `bias`, `errors` (mistakes made in each
        epoch while learning) and `final_errors` (mistakes of the final unit).

    Raises:
        ValueError: on malformed `x`/`y`, targets other than 0/1, or bad
            `epochs` or `learning_rate`.
    """
    check_int("epochs", epochs)
    check_positive_float("learning_rate", learning_rate)
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y)
    if x.ndim != 2:
        raise ValueError(
            f"`x` must have shape (n, d). Received: x with shape {x.shape}"
        )
    if y.shape != (len(x),):
        raise ValueError(
            f"`y` must have shape ({len(x)},). Received: y with shape {y.shape}"
        )
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValueError(
            f"`y` must contain only 0 and 1. Received: labels {sorted(set(y.tolist()))}"
        )
    weights, bias, errors = np.zeros(x.shape[1]), 0.0, []
    for _ in range(epochs):
        mistakes = 0
        for features, target in zip(x, y):
            error = int(target) - int(_step(features @ weights + bias))
            mistakes += error != 0
            weights = weights + learning_rate * error * features
            bias = bias + learning_rate * error
        errors.append(int(mistakes))
    final = int((_step(x @ weights + bias) != y).sum())
    return {
        "weights": weights,
        "bias": float(bias),
        "errors": errors,
        "final_errors": final,
    }


# -- Gradient descent on a linear regression --


def linear_data(n=100, *, slope=2.0, intercept=1.0, noise=0.2, seed=0):
    """Noisy points on a line, `y = slope * x + intercept + noise`.

    Args:
        n: int. Number of points. Defaults to `100`.
        slope: float. True slope `m`. Defaults to `2.0`.
        intercept: float. True intercept `b`. Defaults to `1.0`.
        noise: float. Standard deviation of the Gaussian noise. Defaults to
            `0.2`.
        seed: int. Seed of the NumPy generator. Defaults to `0`.

    Returns:
        A tuple `(x, y)` of float64 arrays `(n,)`, `x` uniform on [0, 2].

    Raises:
        ValueError: if `n` < 2 or `noise` is negative.
    """
    check_int("n", n, minimum=2)
    if not noise >= 0:
        raise ValueError(f"`noise` must be >= 0. Received: noise={noise!r}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, size=n)
    return x, slope * x + intercept + rng.normal(0.0, noise, size=n)


def _mse_cost(m, b, x, y):
    """The slides' cost `J = 1/n sum (y - (m x + b))^2`; `m`, `b` may be grids."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    m = np.asarray(m, dtype="float64")[..., None]
    b = np.asarray(b, dtype="float64")[..., None]
    cost = ((y - (m * x + b)) ** 2).mean(axis=-1)
    return float(cost) if cost.ndim == 0 else cost


def _gradient_descent(x, y, *, learning_rate, epochs):
    """Batch gradient descent on `Y' = mX + b` from (0, 0), the slides' derivatives.

    Returns the final `m`, `b`, the `costs` and `path` per epoch (for
    `plots.gradient_descent_paths`) and whether the cost `diverged`.
    """
    m, b = 0.0, 0.0
    path, costs = [(m, b)], [_mse_cost(m, b, x, y)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            residual = y - (m * x + b)
            m -= learning_rate * (-2.0 / len(x) * np.sum(x * residual))
            b -= learning_rate * (-2.0 / len(x) * np.sum(residual))
            path.append((m, b))
            costs.append(_mse_cost(m, b, x, y))
    diverged = bool(not np.isfinite(costs[-1]) or costs[-1] > costs[0])
    return {
        "m": m,
        "b": b,
        "costs": costs,
        "path": np.asarray(path),
        "diverged": diverged,
    }


def cost_surface(x, y, *, m_range=(-1.0, 5.0), b_range=(-2.0, 4.0), resolution=60):
    """The cost `J(m, b)` over a grid, for contour plots.

    Args:
        x: array `(n,)`. Inputs.
        y: array `(n,)`. Targets.
        m_range: tuple `(low, high)`. Slopes. Defaults to `(-1, 5)`.
        b_range: tuple `(low, high)`. Intercepts. Defaults to `(-2, 4)`.
        resolution: int. Grid points per axis. Defaults to `60`.

    Returns:
        A tuple `(m_grid, b_grid, cost)` of arrays `(resolution, resolution)`.

    Raises:
        ValueError: if `resolution` < 2.
    """
    check_int("resolution", resolution, minimum=2)
    m_grid, b_grid = np.meshgrid(
        np.linspace(*m_range, resolution), np.linspace(*b_range, resolution)
    )
    return m_grid, b_grid, _mse_cost(m_grid, b_grid, x, y)


# -- Backpropagation and vanishing gradients --


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def init_two_layer(input_dim=2, hidden_units=3, output_dim=1, *, seed=0):
    """Random float64 parameters of a 2-layer sigmoid network.

    Args:
        input_dim: int. Inputs. Defaults to `2`.
        hidden_units: int. Hidden sigmoid units. Defaults to `3`.
        output_dim: int. Output sigmoid units. Defaults to `1`.
        seed: int. Seed of the NumPy generator. Defaults to `0`.

    Returns:
        dict with `w1` `(input_dim, hidden_units)`, `b1`, `w2`
        `(hidden_units, output_dim)` and `b2`.

    Raises:
        ValueError: if a size is not a positive integer.
    """
    for name, value in (
        ("input_dim", input_dim),
        ("hidden_units", hidden_units),
        ("output_dim", output_dim),
    ):
        check_int(name, value)
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0, 1, (input_dim, hidden_units)),
        "b1": rng.normal(0, 1, hidden_units),
        "w2": rng.normal(0, 1, (hidden_units, output_dim)),
        "b2": rng.normal(0, 1, output_dim),
    }


def backprop_gradients(params, x, y):
    """Gradients of `J = mean((y_hat - y)^2)` by the chain rule, in NumPy.

    Backpropagation (Rumelhart, Hinton & Williams 1986) for
    `h = sigmoid(x W1 + b1)`, `y_hat = sigmoid(h W2 + b2)`: the output error
    `delta2 = 2 (y_hat - y) / N * y_hat (1 - y_hat)` (`N` entries of `y`)
    gives `dJ/dW2 = h^T delta2`, `dJ/db2 = sum(delta2)`; it goes back through
    `W2` as `delta1 = (delta2 W2^T) * h (1 - h)`, giving `dJ/dW1 = x^T delta1`,
    `dJ/db1 = sum(delta1)`.

    Args:
        params: dict. From `init_two_layer()`.
        x: array `(n, input_dim)`. Inputs.
        y: array `(n, output_dim)` or `(n,)`. Targets.

    Returns:
        dict `{"loss", "w1", "b1", "w2", "b2"}`: the loss and one gradient
        per parameter.

    Raises:
        ValueError: if `y` does not match the network's output shape.
    """
    x = np.asarray(x, dtype="float64")
    hidden = _sigmoid(x @ params["w1"] + params["b1"])
    output = _sigmoid(hidden @ params["w2"] + params["b2"])
    y = np.asarray(y, dtype="float64").reshape(len(x), -1)
    if y.shape != output.shape:
        raise ValueError(
            f"`y` must have shape {output.shape}. Received: y with shape {y.shape}"
        )
    delta2 = 2.0 * (output - y) / y.size * output * (1.0 - output)
    delta1 = (delta2 @ params["w2"].T) * hidden * (1.0 - hidden)
    return {
        "loss": float(((output - y) ** 2).mean()),
        "w1": x.T @ delta1,
        "b1": delta1.sum(axis=0),
        "w2": hidden.T @ delta2,
        "b2": delta2.sum(axis=0),
    }


def autodiff_gradients(params, x, y):
    """The same gradients as `backprop_gradients`, by automatic differentiation.

    The forward pass is written with `keras.ops` in float64 and the
    backend's reverse mode (`tf.GradientTape` or `jax.grad`, through
    `runtime.value_and_gradients`) applies the chain rule.

    Args:
        params: dict. From `init_two_layer()`.
        x: array `(n, input_dim)`. Inputs.
        y: array `(n, output_dim)` or `(n,)`. Targets.

    Returns:
        dict `{"loss", "w1", "b1", "w2", "b2"}` of float64 NumPy values.
    """
    ops = keras.ops
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64").reshape(x.shape[0], -1)

    def loss_fn(values):
        hidden = ops.sigmoid(ops.matmul(values["x"], values["w1"]) + values["b1"])
        output = ops.sigmoid(ops.matmul(hidden, values["w2"]) + values["b2"])
        # A sum over a count: JAX's `mean` accumulates in float32.
        return ops.sum(ops.square(output - values["y"])) / y.size

    values = {k: np.asarray(v, dtype="float64") for k, v in params.items()}
    loss, grads = runtime.value_and_gradients(loss_fn, {**values, "x": x, "y": y})
    return {"loss": loss, **{k: grads[k] for k in params}}


def build_deep_mlp(activation="sigmoid", *, depth=10, units=32, input_dim=16, seed=0):
    """A deep stack of Dense layers, to see how gradients fade with depth.

    Args:
        activation: str. Hidden activation, e.g. `"sigmoid"` or `"relu"`.
            Defaults to `"sigmoid"`.
        depth: int. Hidden Dense layers. Defaults to `10`.
        units: int. Units per hidden layer. Defaults to `32`.
        input_dim: int. Input features. Defaults to `16`.
        seed: int. Seed of the initialisers. Defaults to `0`.

    Returns:
        An uncompiled `keras.Sequential` named `deep_<activation>`, ending in
        Dense(1).

    Raises:
        ValueError: if `depth`, `units` or `input_dim` is not a positive
            integer.
    """
    for name, value in (("depth", depth), ("units", units), ("input_dim", input_dim)):
        check_int(name, value)
    model = keras.Sequential(
        [keras.Input(shape=(input_dim,))], name=f"deep_{activation}"
    )
    for i in range(depth):
        initializer = keras.initializers.GlorotUniform(seed=seed + i)
        model.add(
            keras.layers.Dense(
                units, activation=activation, kernel_initializer=initializer
            )
        )
    model.add(keras.layers.Dense(1))
    return model


def layer_gradient_norms(model, x, y):
    """Norm of the mean-squared-error gradient for each Dense kernel.

    Args:
        model: `keras.Model`. E.g. from `build_deep_mlp()`.
        x: array `(n, input_dim)`. Inputs.
        y: array `(n, 1)`. Targets.

    Returns:
        float array: `||dJ/dW||` per Dense layer, first layer first. With
        sigmoid the first layers get orders of magnitude less than the last
        ones (its derivative is at most 0.25, one factor per layer).
    """
    x, y = np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")
    trainable = list(model.trainable_variables)
    kernels = {
        id(layer.kernel)
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
    }
    frozen = [keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables]

    def loss_fn(values):
        outputs, _ = model.stateless_call(values, frozen, x, training=False)
        return keras.ops.mean(keras.ops.square(outputs - y))

    _, grads = runtime.value_and_gradients(
        loss_fn, [keras.ops.convert_to_numpy(v) for v in trainable]
    )
    return np.array(
        [float(np.linalg.norm(g)) for v, g in zip(trainable, grads) if id(v) in kernels]
    )


# -- Convolution and pooling by the numbers; the classic CNNs --


def _image(name, array):
    array = np.asarray(array, dtype="float64")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array (height, width). Received: {name} with shape {array.shape}"
        )
    return array


def conv_output_size(n, k, *, padding=0, stride=1):
    """Output size of a convolution or pooling: `floor((n + 2p - k) / s) + 1`.

    Args:
        n: int. Input size (height or width).
        k: int. Kernel (window) size.
        padding: int. Zeros added on each side, `p`. Defaults to `0`.
        stride: int. Step between windows, `s`. Defaults to `1`.

    Returns:
        int. The output size.

    Raises:
        ValueError: if a size is not a positive integer, `padding` is
            negative, or the kernel does not fit in the padded input.

    Example:

    >>> conv_output_size(227, 11, stride=4)  # AlexNet's first layer
    55
    """
    check_int("n", n)
    check_int("k", k)
    check_int("padding", padding, minimum=0)
    check_int("stride", stride)
    if k > n + 2 * padding:
        raise ValueError(
            "The kernel must fit in the padded input (k <= n + 2 * padding). "
            f"Received: n={n}, k={k}, padding={padding}"
        )
    return (n + 2 * padding - k) // stride + 1


def conv2d_numpy(image, kernel, *, stride=1, padding=0):
    """2-D convolution as deep learning does it (no kernel flip), in NumPy.

    Each output is `sum(window * kernel)`, like `keras.layers.Conv2D` with
    one filter and no bias.

    Args:
        image: array `(height, width)`. One-channel image.
        kernel: array `(k_h, k_w)`. Weights.
        stride: int. Step between windows. Defaults to `1`.
        padding: int. Zeros added on each side. Defaults to `0` ("valid").

    Returns:
        float64 array, sizes from `conv_output_size()`.

    Raises:
        ValueError: if `image` or `kernel` is not 2-D, or the sizes are
            invalid.
    """
    image, kernel = _image("image", image), _image("kernel", kernel)
    (k_h, k_w), padded = kernel.shape, np.pad(image, padding)
    out = np.zeros(
        (
            conv_output_size(image.shape[0], k_h, padding=padding, stride=stride),
            conv_output_size(image.shape[1], k_w, padding=padding, stride=stride),
        )
    )
    for i, j in np.ndindex(out.shape):
        window = padded[i * stride : i * stride + k_h, j * stride : j * stride + k_w]
        out[i, j] = np.sum(window * kernel)
    return out


def truncate_one_decimal(values):
    """Truncates to one decimal, as the slides print the mean-mask outputs.

    `2.22 -> 2.2`, `2.56 -> 2.5` (the slides show 2.5 for 23/9: truncated,
    not rounded). A small tolerance (1e-4) keeps exact values computed in
    float32, such as 9/9 = 0.99999994, at 1.0.

    Args:
        values: array-like. Numbers.

    Returns:
        float64 array.
    """
    return np.floor(np.asarray(values, dtype="float64") * 10 + 1e-4) / 10


def build_lenet5(num_classes=10, *, input_shape=(32, 32, 1)):
    """LeNet-5 (LeCun et al. 1998) as in the slides' table, with tanh.

    C1 6@28x28 (5x5) -> S2 average pool -> 6@14x14 -> C3 16@10x10 -> S4
    -> 16@5x5 -> C5 120@1x1 (5x5) -> F6 84 -> output: 156 + 2,416 + 48,120
    + 10,164 + 850 = 61,706 parameters with 10 classes.

    Args:
        num_classes: int. Output classes (softmax). Defaults to `10`.
        input_shape: tuple. Input shape. Defaults to `(32, 32, 1)`.

    Returns:
        An uncompiled `keras.Sequential` named `lenet5`.

    Raises:
        ValueError: if `num_classes` < 2.
    """
    check_int("num_classes", num_classes, minimum=2)
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, 5, activation="tanh", name="c1"),
            layers.AveragePooling2D(2, name="s2"),
            layers.Conv2D(16, 5, activation="tanh", name="c3"),
            layers.AveragePooling2D(2, name="s4"),
            layers.Conv2D(120, 5, activation="tanh", name="c5"),
            layers.Flatten(),
            layers.Dense(84, activation="tanh", name="f6"),
            layers.Dense(
                num_classes, activation="softmax", dtype="float32", name="output"
            ),
        ],
        name="lenet5",
    )


def build_alexnet(num_classes=1000, *, input_shape=(227, 227, 3), dropout=0.5):
    """AlexNet (Krizhevsky, Sutskever & Hinton 2012) as in the slides' table.

    conv 96 11x11 stride 4 -> 55x55, max pool 3x3 stride 2 -> 27x27, conv
    256 5x5 "same", max pool -> 13x13, conv 384, 384, 256 3x3 "same", max
    pool -> 6x6x256, dense 4096, 4096 (dropout before each), output; ReLU.
    62,378,344 parameters with 1000 classes (one tower, no local response
    normalisation).

    Args:
        num_classes: int. Output classes (softmax). Defaults to `1000`.
        input_shape: tuple. Input shape. Defaults to `(227, 227, 3)`.
        dropout: float. Dropout rate of the dense layers, in [0, 1).
            Defaults to `0.5`.

    Returns:
        An uncompiled `keras.Sequential` named `alexnet`.

    Raises:
        ValueError: if `num_classes` < 2 or `dropout` is not in [0, 1).
    """
    check_int("num_classes", num_classes, minimum=2)
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(96, 11, strides=4, activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Conv2D(256, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Conv2D(384, 3, padding="same", activation="relu"),
            layers.Conv2D(384, 3, padding="same", activation="relu"),
            layers.Conv2D(256, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(4096, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(4096, activation="relu"),
            layers.Dense(num_classes, activation="softmax", dtype="float32"),
        ],
        name="alexnet",
    )


# -- The practical's face: the XOR MLP --


def load_data(source="xor", *, quick=False, repeats=64, batch_size=4, seed=0):
    """A logic gate's truth table as `tf.data` (synthetic by nature).

    One training epoch is the 4 rows repeated `repeats` times and shuffled;
    validation and test are the table itself (there is nothing else).

    Args:
        source: str. Gate: `"xor"`, `"and"` or `"or"`. Defaults to `"xor"`.
        quick: bool. Ignored: the data are 4 points. Defaults to `False`.
        repeats: int. Copies of the table per training epoch. Defaults to
            `64`.
        batch_size: int. Batch size. Defaults to `4`.
        seed: int. Shuffling seed. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)` yielding `(inputs,
        targets)` with float32 targets `(batch, 1)`; `info` holds `x`, `y`,
        `gate`, `num_classes` and `description`.

    Raises:
        ValueError: on an unknown gate or a non-positive `repeats` or
            `batch_size`.
    """
    del quick
    tf = require("tensorflow")
    check_int("repeats", repeats)
    check_int("batch_size", batch_size)
    x, y = logic_gate(source)
    table = tf.data.Dataset.from_tensor_slices((x, y.astype("float32")[:, None]))
    train_ds = (
        table.repeat(repeats)
        .shuffle(4 * repeats, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    test_ds = table.batch(4).cache()
    gate = str(source).lower()
    info = {
        "x": x,
        "y": y,
        "gate": gate,
        "num_classes": 2,
        "description": f"synthetic: truth table of {gate.upper()} (4 points)",
    }
    return train_ds, test_ds, test_ds, info


def build_model(hidden_units=4, *, activation="tanh", learning_rate=0.05, seed=0):
    """An MLP with one hidden layer: what the perceptron lacks to solve XOR.

    Input(2) -> Dense(hidden_units, activation) -> Dense(1, sigmoid), Adam
    on binary cross-entropy. Two hidden units suffice in theory (XOR = OR
    AND NAND); a few more make training reliable.

    Args:
        hidden_units: int. Hidden units. Defaults to `4`.
        activation: str. Hidden activation. Defaults to `"tanh"`.
        learning_rate: float. Adam learning rate. Defaults to `0.05`.
        seed: int. Seed of the weight initialisers. Defaults to `0`.

    Returns:
        A compiled `keras.Sequential` named `mlp_xor`.

    Raises:
        ValueError: if `hidden_units` is not a positive integer or
            `learning_rate` is not positive.
    """
    check_int("hidden_units", hidden_units)
    check_positive_float("learning_rate", learning_rate)
    glorot = keras.initializers.GlorotUniform
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(
                hidden_units, activation=activation, kernel_initializer=glorot(seed)
            ),
            keras.layers.Dense(
                1,
                activation="sigmoid",
                kernel_initializer=glorot(seed + 1),
                dtype="float32",
            ),
        ],
        name="mlp_xor",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(
    model, train_ds, val_ds, *, epochs=10, run_dir=None, strategy=None, verbose="auto"
):
    """Trains the MLP through `training.fit` (strategy, logs, resume).

    Args:
        model: `keras.Model`, or a callable building it in the strategy scope.
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset`. From `load_data()`.
        epochs: int. Epochs (each is `repeats` passes over the table).
            Defaults to `10`.
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


def evaluate(model, test_ds):
    """Accuracy and loss of the MLP on the truth table.

    Args:
        model: `keras.Model`. The trained MLP.
        test_ds: `tf.data.Dataset`. Batches of `(inputs, targets)`.

    Returns:
        dict with `loss` (binary cross-entropy), `accuracy` (threshold 0.5),
        `probabilities` (one per row) and `points`.
    """
    batches = list(test_ds)
    inputs = np.concatenate([np.asarray(b[0]) for b in batches])
    targets = np.concatenate([np.asarray(b[1]) for b in batches]).reshape(-1, 1)
    probabilities = np.asarray(model.predict(inputs, verbose=0)).reshape(-1, 1)
    loss = keras.ops.convert_to_numpy(
        keras.losses.binary_crossentropy(targets, probabilities)
    )
    return {
        "loss": float(np.mean(loss)),
        "accuracy": float(((probabilities >= 0.5) == (targets == 1)).mean()),
        "probabilities": [round(float(p), 4) for p in probabilities.ravel()],
        "points": len(targets),
    }


def run(
    quick=False,
    out_dir="runs/fundamentals",
    *,
    seed=0,
    epochs=None,
    strategy=None,
    verbose=0,
):
    """The fundamentals end to end: numbers, checks, figures, metrics.

    Perceptron on AND/OR/XOR, the MLP on XOR, gradient descent with three
    learning rates, backpropagation against autodiff, the slides'
    convolution and pooling numbers, LeNet-5's parameter count and the
    vanishing gradient of a deep sigmoid network.

    Args:
        quick: bool. Quick mode: fewer MLP epochs. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures and
            `model.keras` (the XOR MLP) go. Defaults to `"runs/fundamentals"`.
        seed: int. Seed for data and weights. Defaults to `0`.
        epochs: int or None. MLP epochs; `None` means 8 (quick) or 20.
        strategy: `tf.distribute.Strategy` or None for `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result`.
    """
    out_dir, strategy, started = results.start(out_dir, seed=seed, strategy=strategy)
    numbers = {}

    tables = {gate: logic_gate(gate) for gate in GATES}
    perceptrons = {gate: train_perceptron(*tables[gate], epochs=20) for gate in GATES}
    for gate, outcome in perceptrons.items():
        numbers[f"perceptron_{gate}_errors"] = outcome["final_errors"]
    numbers["perceptron_xor_min_epoch_errors"] = min(perceptrons["xor"]["errors"])

    train_ds, val_ds, test_ds, info = load_data("xor", seed=seed)
    with strategy.scope():
        model = build_model(seed=seed)
    epochs = epochs or (8 if quick else 20)
    train(model, train_ds, val_ds, epochs=epochs, strategy=strategy, verbose=verbose)
    mlp = evaluate(model, test_ds)
    numbers.update(
        mlp_xor_accuracy=mlp["accuracy"],
        mlp_xor_loss=mlp["loss"],
        mlp_xor_epochs=epochs,
    )

    x_line, y_line = linear_data(seed=seed)
    descents = {
        rate: _gradient_descent(x_line, y_line, learning_rate=rate, epochs=50)
        for rate in (0.01, 0.1, 0.6)
    }
    numbers.update(
        gd_m=descents[0.1]["m"],
        gd_b=descents[0.1]["b"],
        gd_final_cost=descents[0.1]["costs"][-1],
        gd_small_lr_final_cost=descents[0.01]["costs"][-1],
        gd_large_lr_diverged=descents[0.6]["diverged"],
    )

    params = init_two_layer(seed=seed)
    by_hand = backprop_gradients(params, *tables["xor"])
    by_autodiff = autodiff_gradients(params, *tables["xor"])
    numbers["backprop_max_abs_diff"] = max(
        float(np.max(np.abs(by_hand[k] - by_autodiff[k]))) for k in params
    )

    numbers["conv_mean_outputs"] = truncate_one_decimal(
        conv2d_numpy(SLIDE_IMAGE, MEAN_MASK)
    ).tolist()
    numbers["conv_weighted_sum"] = float(
        conv2d_numpy(WEIGHTED_SUM_IMAGE, WEIGHTED_SUM_KERNEL)[0, 0]
    )
    blocks = POOLING_GRID.reshape(2, 2, 2, 2)  # 2 x 2 windows, stride 2
    numbers["max_pool"] = blocks.max(axis=(1, 3)).tolist()
    numbers["average_pool"] = blocks.mean(axis=(1, 3)).tolist()
    numbers["lenet5_params"] = build_lenet5().count_params()

    rng = np.random.default_rng(seed)
    x_deep, y_deep = rng.normal(0, 1, (64, 16)), rng.normal(0, 1, (64, 1))
    norms = {
        name: layer_gradient_norms(build_deep_mlp(name, seed=seed), x_deep, y_deep)
        for name in ("sigmoid", "relu")
    }
    for name, values in norms.items():
        numbers[f"vanishing_{name}_first_over_last"] = float(values[0] / values[-2])

    axis = np.linspace(-0.5, 1.5, 100)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2).astype("float32")
    return results.finish(
        "fundamentals",
        started,
        out_dir,
        metrics=numbers,
        figures={
            "perceptron": plots.perceptron_lines(tables, perceptrons),
            "mlp_xor": plots.decision_map(
                axis,
                model.predict(grid, verbose=0, batch_size=4096),
                info["x"],
                info["y"],
                title="MLP sobre XOR",
            ),
            "gradient_descent": plots.gradient_descent_paths(
                *cost_surface(x_line, y_line), descents
            ),
            "vanishing_gradients": plots.gradient_norms(norms),
        },
        model=model,
        data="synthetic: logic-gate truth tables, a noisy line, reconstructions of the slides' small images",
        summary=(
            f"Perceptron errors AND/OR/XOR: {numbers['perceptron_and_errors']}/"
            f"{numbers['perceptron_or_errors']}/{numbers['perceptron_xor_errors']}; "
            f"MLP accuracy on XOR {numbers['mlp_xor_accuracy']:.2f}; "
            f"backprop vs autodiff max difference {numbers['backprop_max_abs_diff']:.1e}."
        ),
    )
