"""Practical 0: the fundamentals of the first two sessions, as small simulators.

Everything the slides compute on the blackboard, computed here and checked:

1. **Perceptron** (Rosenblatt 1957): a threshold unit with the learning rule
   `w += lr * (y - y_hat) * x`. It learns AND and OR and can never learn XOR,
   which is not linearly separable (Minsky & Papert 1969).
2. **MLP for XOR**: one hidden layer in Keras solves it (`load_data`,
   `build_model`, `train`, `evaluate` are this practical's usual face, on the
   XOR truth table).
3. **Gradient descent** on a linear regression `Y' = mX + b` with the mean
   squared error `J` and the slides' updates
   `m -= lr * dJ/dm`, `b -= lr * dJ/db`, where
   `dJ/dm = -2/n sum(x (y - y'))` and `dJ/db = -2/n sum(y - y')`; a too small,
   a good and a too large (divergent) learning rate.
4. **Backpropagation by hand**: the chain rule for a 2-layer sigmoid network
   in NumPy, checked against TensorFlow's automatic differentiation.
5. **Activations** (step, sigmoid, tanh, ReLU) and their derivatives, and the
   vanishing gradient of deep sigmoid networks (Hochreiter 1991; Glorot &
   Bengio 2010).
6. **Convolution and pooling by the numbers**, checked against
   `keras.layers.Conv2D`, `MaxPooling2D` and `AveragePooling2D`, and the
   output-size formula `floor((n + 2p - k) / s) + 1`.
7. **Classic CNNs**: LeNet-5 (LeCun et al. 1998) and AlexNet (Krizhevsky et al.
   2012) layer by layer as in the slides' tables, and dropout (Srivastava et al.
   2014) on a small overfitting problem.

```python
from secuah_dl import fundamentals

result = fundamentals.run(quick=True, out_dir="runs/fundamentals")
print(result.metrics["perceptron_xor_errors"], result.metrics["mlp_xor_accuracy"])
```
"""

import contextlib
import pathlib
import time

import keras
import numpy as np
from matplotlib.figure import Figure

from secuah_dl import plots, results, runtime, training
from secuah_dl._compat import require
from secuah_dl._validation import check_int as _check_positive_int
from secuah_dl._validation import check_positive_float as _check_positive_float

__all__ = [
    "GATES",
    "SLIDE_IMAGE",
    "MEAN_MASK",
    "WEIGHTED_SUM_IMAGE",
    "WEIGHTED_SUM_KERNEL",
    "POOLING_GRID",
    "logic_gate",
    "step",
    "train_perceptron",
    "perceptron_predict",
    "linear_data",
    "mse_cost",
    "gradient_descent",
    "cost_surface",
    "init_two_layer",
    "two_layer_forward",
    "backprop_gradients",
    "autodiff_gradients",
    "activation_functions",
    "build_deep_mlp",
    "layer_gradient_norms",
    "conv2d_numpy",
    "pool2d_numpy",
    "keras_conv2d",
    "keras_pool2d",
    "truncate_one_decimal",
    "conv_output_size",
    "build_lenet5",
    "build_alexnet",
    "dropout_demo",
    "plot_perceptron",
    "plot_decision_regions",
    "plot_gradient_descent",
    "plot_activations",
    "plot_vanishing_gradients",
    "load_data",
    "build_model",
    "train",
    "evaluate",
    "run",
]

GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
}
"""Truth tables for the inputs (0, 0), (0, 1), (1, 0), (1, 1)."""

# The slides' 5 x 5 image and 3 x 3 mean mask. The slides show the outputs
# 2.2, 1.4, 1.0 (first row) and 2.5 (second row): with the mask of ones / 9
# these are the window means *truncated* to one decimal (20/9 = 2.22 -> 2.2,
# 13/9 = 1.44 -> 1.4, 9/9 = 1.0, 23/9 = 2.56 -> 2.5). Rounding cannot give
# all four (no integer sum s has round(s / 9, 1) == 2.5), truncation does.
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

# A 4 x 4 image and a 3 x 3 "X" kernel: the top-left weighted sum is
# 3 + 2 + 5 + 4 + 3 = 17, as in the slides.
WEIGHTED_SUM_IMAGE = np.array(
    [
        [3, 1, 2, 0],
        [0, 5, 1, 2],
        [4, 2, 3, 1],
        [1, 0, 2, 4],
    ]
)
WEIGHTED_SUM_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])

# 4 x 4 grid for 2 x 2 pooling with stride 2: max [[6, 8], [3, 4]],
# average [[3.25, 5.25], [2, 2]].
POOLING_GRID = np.array(
    [
        [1, 1, 2, 4],
        [5, 6, 7, 8],
        [3, 2, 1, 0],
        [1, 2, 3, 4],
    ]
)

GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")


# --------------------------------------------------------------------------
# 1. Perceptron
# --------------------------------------------------------------------------


def logic_gate(name):
    """The truth table of a logic gate as NumPy arrays.

    Args:
        name: str. `"and"`, `"or"` or `"xor"` (case-insensitive).

    Returns:
        A tuple `(x, y)`: float32 inputs `(4, 2)` (the rows (0, 0), (0, 1),
        (1, 0), (1, 1)) and int64 targets `(4,)`.

    Raises:
        ValueError: if `name` is not a known gate.
    """
    key = str(name).lower()
    if key not in GATES:
        raise ValueError(
            f"`name` must be one of {', '.join(GATES)}. Received: name={name!r}"
        )
    return GATE_INPUTS.copy(), np.asarray(GATES[key], dtype="int64")


def step(z):
    """Heaviside step, the perceptron's threshold: 1 where `z >= 0`, else 0.

    Args:
        z: array-like. Pre-activations `w . x + b`.

    Returns:
        int array of 0s and 1s, same shape as `z`.
    """
    return (np.asarray(z) >= 0).astype("int64")


def perceptron_predict(x, weights, bias):
    """Outputs of a threshold unit: `step(x . weights + bias)`.

    Args:
        x: array `(n, d)`. Inputs.
        weights: array `(d,)`. Weights.
        bias: float. Bias (minus the threshold).

    Returns:
        int array `(n,)` of 0s and 1s.
    """
    return step(np.asarray(x, dtype="float64") @ np.asarray(weights) + bias)


def train_perceptron(x, y, *, epochs=20, learning_rate=0.1):
    """Rosenblatt's perceptron learning rule (Rosenblatt 1957).

    Weights and bias start at 0; the examples are visited in order and, after
    each one, `w += lr * (y - y_hat) * x` and `b += lr * (y - y_hat)`. The
    rule converges when the classes are linearly separable (AND, OR) and
    cycles for ever when they are not (XOR; Minsky & Papert 1969).

    Args:
        x: array `(n, d)`. Inputs.
        y: array `(n,)`. Targets in {0, 1}.
        epochs: int. Passes over the data. Defaults to `20`.
        learning_rate: float. Step size. Defaults to `0.1`.

    Returns:
        dict with `weights` `(d,)`, `bias`, `errors` (misclassified examples
        in each epoch, counted while learning, list of length `epochs`) and
        `final_errors` (mistakes of the final unit on the data).

    Raises:
        ValueError: on malformed `x`/`y`, non-binary targets, or bad `epochs`
            or `learning_rate`.
    """
    _check_positive_int("epochs", epochs)
    _check_positive_float("learning_rate", learning_rate)
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
    weights = np.zeros(x.shape[1])
    bias = 0.0
    errors = []
    for _ in range(epochs):
        mistakes = 0
        for features, target in zip(x, y):
            error = int(target) - int(step(features @ weights + bias))
            if error:
                mistakes += 1
                weights = weights + learning_rate * error * features
                bias = bias + learning_rate * error
        errors.append(mistakes)
    final = int((perceptron_predict(x, weights, bias) != y).sum())
    return {
        "weights": weights,
        "bias": float(bias),
        "errors": errors,
        "final_errors": final,
    }


# --------------------------------------------------------------------------
# 3. Gradient descent on a linear regression
# --------------------------------------------------------------------------


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
    _check_positive_int("n", n, minimum=2)
    if not noise >= 0:
        raise ValueError(f"`noise` must be >= 0. Received: noise={noise!r}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, size=n)
    y = slope * x + intercept + rng.normal(0.0, noise, size=n)
    return x, y


def mse_cost(m, b, x, y):
    """The slides' cost `J = 1/n sum (y - (m x + b))^2`.

    Args:
        m: float or array. Slope(s); arrays broadcast (for cost surfaces).
        b: float or array. Intercept(s), broadcastable with `m`.
        x: array `(n,)`. Inputs.
        y: array `(n,)`. Targets.

    Returns:
        float, or an array shaped like `m` and `b` broadcast together.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    m = np.asarray(m, dtype="float64")[..., None]
    b = np.asarray(b, dtype="float64")[..., None]
    cost = ((y - (m * x + b)) ** 2).mean(axis=-1)
    return float(cost) if cost.ndim == 0 else cost


def gradient_descent(x, y, *, learning_rate=0.1, epochs=100, m=0.0, b=0.0):
    """Batch gradient descent on `Y' = mX + b` with the slides' formulas.

    Each epoch computes `Y' = m x + b`, then
    `dJ/dm = -2/n sum(x (y - Y'))`, `dJ/db = -2/n sum(y - Y')` and updates
    `m -= lr * dJ/dm`, `b -= lr * dJ/db`. Too large a learning rate makes the
    cost grow at every step (it diverges, eventually to `inf`).

    Args:
        x: array `(n,)`. Inputs.
        y: array `(n,)`. Targets.
        learning_rate: float. Step size `lr`. Defaults to `0.1`.
        epochs: int. Number of updates. Defaults to `100`.
        m: float. Initial slope. Defaults to `0.0`.
        b: float. Initial intercept. Defaults to `0.0`.

    Returns:
        dict with the final `m` and `b`, `costs` (cost before each update and
        after the last, length `epochs + 1`) and `path` (the `(m, b)` visited,
        array `(epochs + 1, 2)`), and `diverged` (bool: the final cost is
        larger than the initial one or not finite).

    Raises:
        ValueError: if `x` and `y` differ in shape, or on bad `learning_rate`
            or `epochs`.
    """
    _check_positive_float("learning_rate", learning_rate)
    _check_positive_int("epochs", epochs)
    x = np.asarray(x, dtype="float64").ravel()
    y = np.asarray(y, dtype="float64").ravel()
    if x.shape != y.shape or len(x) < 1:
        raise ValueError(
            "`x` and `y` must be non-empty and have the same length. "
            f"Received: x with shape {x.shape}, y with shape {y.shape}"
        )
    n = len(x)
    m, b = float(m), float(b)
    path = [(m, b)]
    costs = [mse_cost(m, b, x, y)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            y_pred = m * x + b
            d_m = -2.0 / n * np.sum(x * (y - y_pred))
            d_b = -2.0 / n * np.sum(y - y_pred)
            m -= learning_rate * d_m
            b -= learning_rate * d_b
            path.append((m, b))
            costs.append(mse_cost(m, b, x, y))
    final = costs[-1]
    return {
        "m": m,
        "b": b,
        "costs": costs,
        "path": np.asarray(path),
        "diverged": bool(not np.isfinite(final) or final > costs[0]),
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
    _check_positive_int("resolution", resolution, minimum=2)
    m_grid, b_grid = np.meshgrid(
        np.linspace(*m_range, resolution), np.linspace(*b_range, resolution)
    )
    return m_grid, b_grid, mse_cost(m_grid, b_grid, x, y)


# --------------------------------------------------------------------------
# 4. Backpropagation by hand
# --------------------------------------------------------------------------


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
        `(hidden_units, output_dim)` and `b2`, all float64.

    Raises:
        ValueError: if a size is not a positive integer.
    """
    for name, value in (
        ("input_dim", input_dim),
        ("hidden_units", hidden_units),
        ("output_dim", output_dim),
    ):
        _check_positive_int(name, value)
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.normal(0, 1, (input_dim, hidden_units)),
        "b1": rng.normal(0, 1, hidden_units),
        "w2": rng.normal(0, 1, (hidden_units, output_dim)),
        "b2": rng.normal(0, 1, output_dim),
    }


def two_layer_forward(params, x):
    """Forward pass `h = sigmoid(x W1 + b1)`, `y_hat = sigmoid(h W2 + b2)`.

    Args:
        params: dict. From `init_two_layer()`.
        x: array `(n, input_dim)`. Inputs.

    Returns:
        A tuple `(hidden, output)` of float64 arrays.
    """
    x = np.asarray(x, dtype="float64")
    hidden = _sigmoid(x @ params["w1"] + params["b1"])
    output = _sigmoid(hidden @ params["w2"] + params["b2"])
    return hidden, output


def backprop_gradients(params, x, y):
    """Gradients of `J = mean((y_hat - y)^2)` by the chain rule, in NumPy.

    Backpropagation (Rumelhart, Hinton & Williams 1986): with
    `z2 = h W2 + b2`, `y_hat = sigmoid(z2)`, the output error is
    `delta2 = dJ/dz2 = 2 (y_hat - y) / N * y_hat (1 - y_hat)` (`N` = number
    of entries of `y`); then `dJ/dW2 = h^T delta2`, `dJ/db2 = sum(delta2)`,
    the error goes back through `W2`:
    `delta1 = (delta2 W2^T) * h (1 - h)`, and `dJ/dW1 = x^T delta1`,
    `dJ/db1 = sum(delta1)`.

    Args:
        params: dict. From `init_two_layer()`.
        x: array `(n, input_dim)`. Inputs.
        y: array `(n, output_dim)` or `(n,)`. Targets.

    Returns:
        dict `{"loss", "w1", "b1", "w2", "b2"}`: the loss and one float64
        gradient per parameter.

    Raises:
        ValueError: if `y` does not match the network's output shape.
    """
    x = np.asarray(x, dtype="float64")
    hidden, output = two_layer_forward(params, x)
    y = np.asarray(y, dtype="float64").reshape(len(x), -1)
    if y.shape != output.shape:
        raise ValueError(
            f"`y` must have shape {output.shape}. Received: y with shape {y.shape}"
        )
    loss = float(((output - y) ** 2).mean())
    delta2 = 2.0 * (output - y) / y.size * output * (1.0 - output)
    delta1 = (delta2 @ params["w2"].T) * hidden * (1.0 - hidden)
    return {
        "loss": loss,
        "w1": x.T @ delta1,
        "b1": delta1.sum(axis=0),
        "w2": hidden.T @ delta2,
        "b2": delta2.sum(axis=0),
    }


def autodiff_gradients(params, x, y):
    """The same gradients as `backprop_gradients`, by automatic differentiation.

    The forward pass is written with `keras.ops` in float64, and the backend's
    reverse-mode automatic differentiation (`tf.GradientTape` on TensorFlow,
    `jax.grad` on JAX, through `runtime.value_and_gradients`) does the chain
    rule.

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
        inputs, targets = values["x"], values["y"]
        hidden = ops.sigmoid(ops.matmul(inputs, values["w1"]) + values["b1"])
        output = ops.sigmoid(ops.matmul(hidden, values["w2"]) + values["b2"])
        # A sum over a count, not `ops.mean`: Keras's JAX `mean` accumulates
        # in float32 even for float64 inputs.
        return ops.sum(ops.square(output - targets)) / (y.shape[0] * y.shape[1])

    values = {k: np.asarray(v, dtype="float64") for k, v in params.items()}
    values.update(x=x, y=y)
    loss, grads = runtime.value_and_gradients(loss_fn, values)
    result = {k: grads[k] for k in params}
    result["loss"] = loss
    return result


# --------------------------------------------------------------------------
# 5. Activations and vanishing gradients
# --------------------------------------------------------------------------


def activation_functions():
    """Step, sigmoid, tanh and ReLU with their derivatives, in NumPy.

    Returns:
        dict name -> `(function, derivative)`; each maps an array to an
        array. The step's derivative is 0 everywhere (undefined at 0), which
        is why the perceptron cannot be trained by gradient descent.
    """

    def sigmoid_derivative(z):
        s = _sigmoid(z)
        return s * (1.0 - s)

    return {
        "escalón": (
            lambda z: step(z).astype("float64"),
            lambda z: np.zeros_like(z, dtype="float64"),
        ),
        "sigmoide": (_sigmoid, sigmoid_derivative),
        "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
        "ReLU": (
            lambda z: np.maximum(z, 0.0),
            lambda z: (np.asarray(z) > 0).astype("float64"),
        ),
    }


def build_deep_mlp(activation="sigmoid", *, depth=10, units=32, input_dim=16, seed=0):
    """A deep stack of Dense layers, to measure how gradients fade with depth.

    Args:
        activation: str. Hidden activation, e.g. `"sigmoid"` or `"relu"`.
            Defaults to `"sigmoid"`.
        depth: int. Hidden Dense layers. Defaults to `10`.
        units: int. Units per hidden layer. Defaults to `32`.
        input_dim: int. Input features. Defaults to `16`.
        seed: int. Seed of the initialisers. Defaults to `0`.

    Returns:
        An uncompiled `keras.Sequential` named `deep_<activation>`, ending in
        a Dense(1) output. Hidden layers are named `hidden_1` ... `hidden_<depth>`.

    Raises:
        ValueError: if `depth`, `units` or `input_dim` is not a positive
            integer.
    """
    _check_positive_int("depth", depth)
    _check_positive_int("units", units)
    _check_positive_int("input_dim", input_dim)
    model = keras.Sequential(name=f"deep_{activation}")
    model.add(keras.Input(shape=(input_dim,)))
    for i in range(depth):
        model.add(
            keras.layers.Dense(
                units,
                activation=activation,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed + i),
                name=f"hidden_{i + 1}",
            )
        )
    model.add(keras.layers.Dense(1, name="output"))
    return model


def layer_gradient_norms(model, x, y):
    """Norm of the loss gradient with respect to each Dense kernel.

    Args:
        model: `keras.Model`. E.g. from `build_deep_mlp()`.
        x: array `(n, input_dim)`. Inputs.
        y: array `(n, 1)`. Targets (mean squared error).

    Returns:
        float array: the L2 norm of `dJ/dW` for each Dense layer, first layer
        first. With sigmoid, the first layers' gradients are orders of
        magnitude smaller than the last ones' (the derivative of the sigmoid
        is at most 0.25, and the chain rule multiplies one factor per layer).
    """
    x = np.asarray(x, dtype="float32")
    y = np.asarray(y, dtype="float32")
    trainable = list(model.trainable_variables)
    kernel_ids = {
        id(layer.kernel)
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
    }
    non_trainable = [
        keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables
    ]

    def loss_fn(values):
        outputs, _ = model.stateless_call(values, non_trainable, x, training=False)
        return keras.ops.mean(keras.ops.square(outputs - y))

    _, grads = runtime.value_and_gradients(
        loss_fn, [keras.ops.convert_to_numpy(v) for v in trainable]
    )
    return np.array(
        [
            float(np.linalg.norm(grad))
            for variable, grad in zip(trainable, grads)
            if id(variable) in kernel_ids
        ]
    )


# --------------------------------------------------------------------------
# 6. Convolution and pooling by the numbers
# --------------------------------------------------------------------------


def _check_image(name, array):
    array = np.asarray(array, dtype="float64")
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array (height, width). "
            f"Received: {name} with shape {array.shape}"
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
    _check_positive_int("n", n)
    _check_positive_int("k", k)
    _check_positive_int("padding", padding, minimum=0)
    _check_positive_int("stride", stride)
    if k > n + 2 * padding:
        raise ValueError(
            "The kernel must fit in the padded input (k <= n + 2 * padding). "
            f"Received: n={n}, k={k}, padding={padding}"
        )
    return (n + 2 * padding - k) // stride + 1


def conv2d_numpy(image, kernel, *, stride=1, padding=0):
    """2-D convolution (cross-correlation, as in deep learning) in NumPy.

    Each output is the sum of the window times the kernel, element by
    element; no kernel flip, like `keras.layers.Conv2D`.

    Args:
        image: array `(height, width)`. One-channel image.
        kernel: array `(k_h, k_w)`. Weights.
        stride: int. Step between windows. Defaults to `1`.
        padding: int. Zeros added on each side. Defaults to `0` ("valid").

    Returns:
        float64 array of shape given by `conv_output_size()` on each axis.

    Raises:
        ValueError: if `image` or `kernel` is not 2-D, or the sizes are
            invalid (see `conv_output_size()`).
    """
    image = _check_image("image", image)
    kernel = _check_image("kernel", kernel)
    k_h, k_w = kernel.shape
    out_h = conv_output_size(image.shape[0], k_h, padding=padding, stride=stride)
    out_w = conv_output_size(image.shape[1], k_w, padding=padding, stride=stride)
    padded = np.pad(image, padding)
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[
                i * stride : i * stride + k_h, j * stride : j * stride + k_w
            ]
            out[i, j] = np.sum(window * kernel)
    return out


def pool2d_numpy(image, *, pool_size=2, stride=None, mode="max"):
    """Max or average pooling in NumPy (no padding).

    Args:
        image: array `(height, width)`. One-channel image.
        pool_size: int. Window size. Defaults to `2`.
        stride: int or None. Step; `None` means `pool_size`.
        mode: str. `"max"` or `"average"`. Defaults to `"max"`.

    Returns:
        float64 array.

    Raises:
        ValueError: on an unknown `mode`, a non-2-D image or invalid sizes.
    """
    if mode not in ("max", "average"):
        raise ValueError(f"`mode` must be 'max' or 'average'. Received: mode={mode!r}")
    image = _check_image("image", image)
    stride = pool_size if stride is None else stride
    out_h = conv_output_size(image.shape[0], pool_size, stride=stride)
    out_w = conv_output_size(image.shape[1], pool_size, stride=stride)
    reduce = np.max if mode == "max" else np.mean
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = reduce(
                image[
                    i * stride : i * stride + pool_size,
                    j * stride : j * stride + pool_size,
                ]
            )
    return out


def keras_conv2d(image, kernel, *, stride=1, padding="valid"):
    """The same convolution with `keras.layers.Conv2D` (fixed weights, no bias).

    Args:
        image: array `(height, width)`. One-channel image.
        kernel: array `(k_h, k_w)`. Weights, set with `set_weights`.
        stride: int. Defaults to `1`.
        padding: str. `"valid"` or `"same"`. Defaults to `"valid"`.

    Returns:
        float64 array `(out_h, out_w)`.
    """
    image = _check_image("image", image)
    kernel = _check_image("kernel", kernel)
    with _float64_scope():
        layer = keras.layers.Conv2D(
            1,
            kernel.shape,
            strides=stride,
            padding=padding,
            use_bias=False,
            dtype="float64",
        )
        layer.build((1, *image.shape, 1))
        layer.set_weights([kernel[:, :, None, None]])
        out = layer(image[None, :, :, None])
        return np.asarray(out, dtype="float64")[0, :, :, 0]


def _float64_scope():
    """JAX computes in float32 unless 64-bit mode is on; TensorFlow needs nothing."""
    if keras.backend.backend() == "jax":
        return runtime.float64()
    return contextlib.nullcontext()


def keras_pool2d(image, *, pool_size=2, stride=None, mode="max"):
    """The same pooling with `keras.layers.MaxPooling2D` / `AveragePooling2D`.

    Args:
        image: array `(height, width)`. One-channel image.
        pool_size: int. Window size. Defaults to `2`.
        stride: int or None. Step; `None` means `pool_size`.
        mode: str. `"max"` or `"average"`. Defaults to `"max"`.

    Returns:
        float64 array.

    Raises:
        ValueError: on an unknown `mode`.
    """
    if mode not in ("max", "average"):
        raise ValueError(f"`mode` must be 'max' or 'average'. Received: mode={mode!r}")
    image = _check_image("image", image)
    layer_class = (
        keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    )
    with _float64_scope():
        layer = layer_class(pool_size=pool_size, strides=stride, dtype="float64")
        out = layer(image[None, :, :, None])
        return np.asarray(out, dtype="float64")[0, :, :, 0]


def truncate_one_decimal(values):
    """Truncates to one decimal, as the slides print the mean-mask outputs.

    `2.22 -> 2.2`, `2.56 -> 2.5` (not rounded: the slides show 2.5 for
    23/9). A tiny tolerance keeps exact values such as `9/9 = 1.0` intact.

    Args:
        values: array-like. Numbers.

    Returns:
        float64 array.
    """
    return np.floor(np.asarray(values, dtype="float64") * 10 + 1e-9) / 10


# --------------------------------------------------------------------------
# 7. Classic CNNs and dropout
# --------------------------------------------------------------------------


def build_lenet5(num_classes=10, *, input_shape=(32, 32, 1)):
    """LeNet-5 (LeCun et al. 1998) as in the slides' table, with tanh.

    C1 6@28x28 (5x5) -> S2 average pool 2x2 -> 6@14x14 -> C3 16@10x10 (5x5)
    -> S4 -> 16@5x5 -> C5 120@1x1 (5x5) -> F6 84 -> output. Parameters:
    156, 2,416, 48,120, 10,164 and 850 (61,706 in all with 10 classes).

    Args:
        num_classes: int. Output classes (softmax). Defaults to `10`.
        input_shape: tuple. Input shape. Defaults to `(32, 32, 1)`.

    Returns:
        A compiled `keras.Sequential` named `lenet5` (SGD, sparse
        categorical cross-entropy).

    Raises:
        ValueError: if `num_classes` < 2.
    """
    _check_positive_int("num_classes", num_classes, minimum=2)
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, 5, activation="tanh", name="c1"),
            layers.AveragePooling2D(2, name="s2"),
            layers.Conv2D(16, 5, activation="tanh", name="c3"),
            layers.AveragePooling2D(2, name="s4"),
            layers.Conv2D(120, 5, activation="tanh", name="c5"),
            layers.Flatten(name="flatten"),
            layers.Dense(84, activation="tanh", name="f6"),
            layers.Dense(
                num_classes, activation="softmax", dtype="float32", name="output"
            ),
        ],
        name="lenet5",
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_alexnet(num_classes=1000, *, input_shape=(227, 227, 3), dropout=0.5):
    """AlexNet (Krizhevsky, Sutskever & Hinton 2012) as in the slides' table.

    conv 96 11x11 stride 4 -> 55x55, max pool 3x3 stride 2 -> 27x27,
    conv 256 5x5 "same" -> 27x27, max pool -> 13x13, conv 384 3x3, conv 384
    3x3, conv 256 3x3 (all "same", 13x13), max pool -> 6x6x256, dense 4096,
    4096 (dropout 0.5 before each), output; ReLU everywhere. 62,378,344
    parameters with 1000 classes (one tower, no local response
    normalisation).

    Args:
        num_classes: int. Output classes (softmax). Defaults to `1000`.
        input_shape: tuple. Input shape. Defaults to `(227, 227, 3)`.
        dropout: float. Dropout rate of the dense layers, in [0, 1).
            Defaults to `0.5`.

    Returns:
        A compiled `keras.Sequential` named `alexnet` (SGD with momentum
        0.9, sparse categorical cross-entropy).

    Raises:
        ValueError: if `num_classes` < 2 or `dropout` is not in [0, 1).
    """
    _check_positive_int("num_classes", num_classes, minimum=2)
    if not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),
            layers.MaxPooling2D(3, strides=2, name="pool1"),
            layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(3, strides=2, name="pool2"),
            layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),
            layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4"),
            layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5"),
            layers.MaxPooling2D(3, strides=2, name="pool5"),
            layers.Flatten(name="flatten"),
            layers.Dropout(dropout, name="dropout6"),
            layers.Dense(4096, activation="relu", name="fc6"),
            layers.Dropout(dropout, name="dropout7"),
            layers.Dense(4096, activation="relu", name="fc7"),
            layers.Dense(
                num_classes, activation="softmax", dtype="float32", name="fc8"
            ),
        ],
        name="alexnet",
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def dropout_demo(*, rate=0.5, epochs=200, units=256, train_points=40, seed=0):
    """Dropout (Srivastava et al. 2014) against overfitting, on a tiny problem.

    A wide MLP learns 40 noisy 2-D points (labels flipped 20% of the time);
    without dropout it memorises them (training accuracy near 1, validation
    much lower); with dropout the gap between training and validation
    shrinks.

    Args:
        rate: float. Dropout rate of the regularised network, in (0, 1).
            Defaults to `0.5`.
        epochs: int. Full-batch epochs for each network. Defaults to `200`.
        units: int. Units of each of the two hidden layers. Defaults to `256`.
        train_points: int. Training points (validation: 400 fresh ones).
            Defaults to `40`.
        seed: int. Seed for data and weights. Defaults to `0`.

    Returns:
        dict `{"sin_dropout": {...}, "con_dropout": {...}}`, each with
        `train_accuracy`, `val_accuracy`, `gap` (train minus validation) and
        `history` (the per-epoch dict).

    Raises:
        ValueError: if `rate` is not in (0, 1) or a size is not positive.
    """
    tf = require("tensorflow")
    if not 0 < rate < 1:
        raise ValueError(f"`rate` must be in (0, 1). Received: rate={rate!r}")
    _check_positive_int("epochs", epochs)
    _check_positive_int("units", units)
    _check_positive_int("train_points", train_points, minimum=4)
    rng = np.random.default_rng(seed)

    def draw(n):
        x = rng.normal(0, 1, (n, 2)).astype("float32")
        y = (x[:, 0] * x[:, 1] > 0).astype("float32")
        flip = rng.random(n) < 0.2
        y[flip] = 1 - y[flip]
        return x, y[:, None]

    x_train, y_train = draw(train_points)
    x_val, y_val = draw(400)
    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(
        train_points
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(400)
    outcome = {}
    for name, drop in (("sin_dropout", 0.0), ("con_dropout", rate)):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(name=f"mlp_{name}")
        model.add(keras.Input(shape=(2,)))
        for i in range(2):
            model.add(
                keras.layers.Dense(units, activation="relu", name=f"dense_{i + 1}")
            )
            if drop:
                model.add(
                    keras.layers.Dropout(drop, seed=seed + i, name=f"dropout_{i + 1}")
                )
        model.add(keras.layers.Dense(1, activation="sigmoid", name="output"))
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        history = model.fit(
            train_ds, validation_data=val_ds, epochs=epochs, shuffle=False, verbose=0
        ).history
        train_accuracy = float(model.evaluate(train_ds, verbose=0)[1])
        val_accuracy = float(model.evaluate(val_ds, verbose=0)[1])
        outcome[name] = {
            "train_accuracy": train_accuracy,
            "val_accuracy": val_accuracy,
            "gap": train_accuracy - val_accuracy,
            "history": history,
        }
    return outcome


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def plot_perceptron(outcomes):
    """Decision lines of trained perceptrons and their errors per epoch.

    Args:
        outcomes: dict gate name -> the dict of `train_perceptron()` on that
            gate's truth table.

    Returns:
        `matplotlib.figure.Figure`: one panel per gate (points and the line
        `w . x + b = 0`) and a last panel with the errors per epoch.
    """
    figure = Figure(figsize=(4 * (len(outcomes) + 1), 4), layout="constrained")
    axes = figure.subplots(1, len(outcomes) + 1)
    line_x = np.linspace(-0.5, 1.5, 2)
    for ax, (name, outcome) in zip(axes, outcomes.items()):
        x, y = logic_gate(name)
        w, b = outcome["weights"], outcome["bias"]
        ax.scatter(
            x[:, 0], x[:, 1], c=np.where(y == 1, "tab:red", "tab:blue"), s=120, zorder=3
        )
        if abs(w[1]) > 1e-12:
            ax.plot(line_x, -(w[0] * line_x + b) / w[1], "k-")
        elif abs(w[0]) > 1e-12:
            ax.axvline(-b / w[0], color="k")
        ax.set(
            xlim=(-0.5, 1.5),
            ylim=(-0.5, 1.5),
            xlabel="$x_1$",
            ylabel="$x_2$",
            title=f"{name.upper()}: {outcome['final_errors']} errores",
        )
        ax.set_aspect("equal")
    for name, outcome in outcomes.items():
        axes[-1].plot(
            np.arange(1, len(outcome["errors"]) + 1),
            outcome["errors"],
            marker=".",
            label=name.upper(),
        )
    axes[-1].set(
        xlabel="época", ylabel="errores en la época", title="Errores por época"
    )
    axes[-1].legend()
    return figure


def plot_decision_regions(predict, x, y, *, resolution=100, title=None):
    """Decision regions of a binary classifier on [-0.5, 1.5]^2 (XOR plane).

    Args:
        predict: callable or `keras.Model`. Maps `(n, 2)` float32 points to
            probabilities of class 1, shape `(n,)` or `(n, 1)`.
        x: array `(n, 2)`. Points to draw.
        y: array `(n,)`. Their labels in {0, 1}.
        resolution: int. Grid points per axis. Defaults to `100`.
        title: str or None. Panel title.

    Returns:
        `matplotlib.figure.Figure`.
    """
    axis = np.linspace(-0.5, 1.5, resolution)
    grid_x, grid_y = np.meshgrid(axis, axis)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype("float32")
    if isinstance(predict, keras.Model):
        probabilities = predict.predict(grid, verbose=0, batch_size=4096)
    else:
        probabilities = predict(grid)
    probabilities = np.asarray(probabilities).reshape(resolution, resolution)
    figure = Figure(figsize=(5, 4.5), layout="constrained")
    ax = figure.subplots()
    image = ax.contourf(
        grid_x, grid_y, probabilities, levels=np.linspace(0, 1, 11), cmap="RdBu_r"
    )
    ax.contour(grid_x, grid_y, probabilities, levels=[0.5], colors="k")
    y = np.asarray(y).ravel()
    ax.scatter(
        x[:, 0],
        x[:, 1],
        c=np.where(y == 1, "tab:red", "tab:blue"),
        s=120,
        edgecolors="k",
        zorder=3,
    )
    figure.colorbar(image, ax=ax, label="P(clase 1)")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title or "Regiones de decisión")
    ax.set_aspect("equal")
    return figure


def plot_gradient_descent(x, y, runs):
    """Cost per epoch and paths over the cost surface, one curve per rate.

    Args:
        x: array `(n,)`. Inputs.
        y: array `(n,)`. Targets.
        runs: dict learning rate -> the dict of `gradient_descent()`.

    Returns:
        `matplotlib.figure.Figure` with the cost curves (log scale) and the
        contour of `J(m, b)` with each run's path.
    """
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    ax_cost, ax_path = figure.subplots(1, 2)
    m_grid, b_grid, cost = cost_surface(x, y)
    ax_path.contour(
        m_grid,
        b_grid,
        cost,
        levels=np.geomspace(cost.min() + 1e-3, cost.max(), 12),
        cmap="viridis",
    )
    for rate, outcome in runs.items():
        costs = np.asarray(outcome["costs"], dtype="float64")
        finite = np.isfinite(costs)
        ax_cost.plot(np.arange(len(costs))[finite], costs[finite], label=f"lr = {rate}")
        path = outcome["path"]
        # Stop drawing a divergent path once it has left the window.
        outside = (
            ~np.isfinite(path).all(axis=1)
            | (np.abs(path[:, 0] - m_grid.mean()) > np.ptp(m_grid))
            | (np.abs(path[:, 1] - b_grid.mean()) > np.ptp(b_grid))
        )
        if outside.any():
            path = path[: int(np.argmax(outside)) + 1]
            path = path[np.isfinite(path).all(axis=1)]
        ax_path.plot(path[:, 0], path[:, 1], ".-", markersize=3, label=f"lr = {rate}")
    ax_cost.set(
        yscale="log",
        xlabel="época",
        ylabel="J (error cuadrático medio)",
        title="Coste por época",
    )
    ax_cost.legend()
    ax_path.set(
        xlim=(m_grid.min(), m_grid.max()),
        ylim=(b_grid.min(), b_grid.max()),
        xlabel="pendiente m",
        ylabel="ordenada b",
        title="Camino sobre la superficie de coste J(m, b)",
    )
    ax_path.legend(loc="lower left")
    return figure


def plot_activations():
    """Step, sigmoid, tanh and ReLU (top) and their derivatives (bottom).

    Returns:
        `matplotlib.figure.Figure`.
    """
    z = np.linspace(-5, 5, 401)
    functions = activation_functions()
    figure = Figure(figsize=(14, 6), layout="constrained")
    axes = figure.subplots(2, len(functions), sharex=True)
    for column, (name, (function, derivative)) in enumerate(functions.items()):
        axes[0, column].plot(z, function(z), color="tab:blue")
        axes[0, column].set_title(name)
        axes[1, column].plot(z, derivative(z), color="tab:orange")
        axes[1, column].set_xlabel("z")
        for row in range(2):
            axes[row, column].grid(alpha=0.3)
    axes[0, 0].set_ylabel("f(z)")
    axes[1, 0].set_ylabel("f'(z)")
    return figure


def plot_vanishing_gradients(norms):
    """Gradient norm per layer (log scale), one line per activation.

    Args:
        norms: dict activation -> array of per-layer gradient norms (from
            `layer_gradient_norms()`).

    Returns:
        `matplotlib.figure.Figure`.
    """
    figure = Figure(figsize=(6.5, 4), layout="constrained")
    ax = figure.subplots()
    for name, values in norms.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=name)
    ax.set(
        yscale="log",
        xlabel="capa (1 = la más cercana a la entrada)",
        ylabel="‖dJ/dW‖",
        title="Desvanecimiento del gradiente",
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return figure


# --------------------------------------------------------------------------
# The practical's face: the XOR MLP
# --------------------------------------------------------------------------


def load_data(source="xor", *, quick=False, repeats=64, batch_size=4, seed=0):
    """A logic gate's truth table as `tf.data` (for the MLP).

    The training set repeats the 4 rows `repeats` times per epoch (shuffled),
    so that one epoch is many gradient steps; validation and test are the
    truth table itself (there is nothing else to generalise to).

    Args:
        source: str. Gate name: `"xor"`, `"and"` or `"or"`. Defaults to
            `"xor"`.
        quick: bool. Ignored: the data are 4 points. Defaults to `False`.
        repeats: int. Copies of the table in one training epoch. Defaults to
            `64`.
        batch_size: int. Batch size. Defaults to `4`.
        seed: int. Shuffling seed. Defaults to `0`.

    Returns:
        A tuple `(train_ds, val_ds, test_ds, info)`; the datasets yield
        `(inputs, targets)` with float32 targets `(batch, 1)`. `info` holds
        `x`, `y`, `gate`, `num_classes` and `description`.

    Raises:
        ValueError: on an unknown gate or a non-positive `repeats` or
            `batch_size`.
    """
    del quick
    tf = require("tensorflow")
    _check_positive_int("repeats", repeats)
    _check_positive_int("batch_size", batch_size)
    x, y = logic_gate(source)
    targets = y.astype("float32")[:, None]
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x, targets))
        .repeat(repeats)
        .shuffle(4 * repeats, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    table = tf.data.Dataset.from_tensor_slices((x, targets)).batch(4).cache()
    info = {
        "x": x,
        "y": y,
        "gate": str(source).lower(),
        "num_classes": 2,
        "description": f"synthetic: truth table of {str(source).upper()} (4 points)",
    }
    return train_ds, table, table, info


def build_model(hidden_units=4, *, activation="tanh", learning_rate=0.05, seed=0):
    """An MLP with one hidden layer: what the perceptron lacks to solve XOR.

    Input(2) -> Dense(hidden_units, activation) -> Dense(1, sigmoid), trained
    with Adam on binary cross-entropy. Two hidden units are enough in theory
    (e.g. OR and NAND, combined by AND); a few more make training reliable.

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
    _check_positive_int("hidden_units", hidden_units)
    _check_positive_float("learning_rate", learning_rate)
    model = keras.Sequential(name="mlp_xor")
    model.add(keras.Input(shape=(2,)))
    model.add(
        keras.layers.Dense(
            hidden_units,
            activation=activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
            name="hidden",
        )
    )
    model.add(
        keras.layers.Dense(
            1,
            activation="sigmoid",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1),
            dtype="float32",
            name="output",
        )
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
        model: `keras.Model` or callable. The compiled model, or a function
            building it (called inside the strategy scope).
        train_ds: `tf.data.Dataset`. From `load_data()`.
        val_ds: `tf.data.Dataset`. From `load_data()`.
        epochs: int. Epochs (each is `repeats` passes over the table).
            Defaults to `10`.
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


def evaluate(model, test_ds):
    """Accuracy and loss of the MLP on the truth table.

    Args:
        model: `keras.Model`. The trained MLP.
        test_ds: `tf.data.Dataset`. Batches of `(inputs, targets)`.

    Returns:
        dict with `loss` (binary cross-entropy), `accuracy` (threshold 0.5),
        `probabilities` (list, one per row) and `points`.
    """
    inputs, targets = [], []
    for batch_inputs, batch_targets in test_ds:
        inputs.append(np.asarray(batch_inputs))
        targets.append(np.asarray(batch_targets))
    inputs = np.concatenate(inputs)
    targets = np.concatenate(targets).reshape(-1)
    probabilities = np.asarray(model.predict(inputs, verbose=0)).reshape(-1)
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    loss = -np.mean(targets * np.log(clipped) + (1 - targets) * np.log(1 - clipped))
    return {
        "loss": float(loss),
        "accuracy": float(((probabilities >= 0.5) == (targets == 1)).mean()),
        "probabilities": [round(float(p), 4) for p in probabilities],
        "points": int(len(targets)),
    }


def run(quick=False, out_dir="runs/fundamentals", *, seed=0, strategy=None, verbose=0):
    """All the fundamentals end to end: numbers, checks, figures, metrics.

    Perceptron on AND/OR/XOR, MLP on XOR, gradient descent with three
    learning rates, backpropagation checked against autodiff, convolution and
    pooling checked against Keras, vanishing gradients, dropout.

    Args:
        quick: bool. Quick mode (CI, first look): fewer epochs for the MLP
            and the dropout demo. Defaults to `False`.
        out_dir: str or path-like. Where `metrics.json`, the figures and
            `model.keras` (the XOR MLP) go. Defaults to
            `"runs/fundamentals"`.
        seed: int. Seed for data and weights. Defaults to `0`.
        strategy: `tf.distribute.Strategy` or None. `None` uses
            `runtime.get_strategy()`.
        verbose: `"auto"`, 0, 1 or 2. Keras progress display. Defaults to `0`.

    Returns:
        A `results.Result`.
    """
    start = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime.seed_everything(seed)
    strategy = strategy or runtime.get_strategy()
    numbers = {}

    # 1. Perceptron.
    perceptrons = {
        gate: train_perceptron(*logic_gate(gate), epochs=20)
        for gate in ("and", "or", "xor")
    }
    for gate, outcome in perceptrons.items():
        numbers[f"perceptron_{gate}_errors"] = outcome["final_errors"]
    numbers["perceptron_xor_min_epoch_errors"] = min(perceptrons["xor"]["errors"])

    # 2. MLP on XOR.
    train_ds, val_ds, test_ds, info = load_data("xor", seed=seed)
    with strategy.scope():
        model = build_model(seed=seed)
    history = train(
        model,
        train_ds,
        val_ds,
        epochs=8 if quick else 20,
        strategy=strategy,
        verbose=verbose,
    )
    mlp = evaluate(model, test_ds)
    numbers["mlp_xor_accuracy"] = mlp["accuracy"]
    numbers["mlp_xor_loss"] = mlp["loss"]
    numbers["mlp_xor_epochs"] = len(history.history["loss"])

    # 3. Gradient descent.
    x_line, y_line = linear_data(seed=seed)
    rates = (0.01, 0.1, 0.6)
    descents = {
        rate: gradient_descent(x_line, y_line, learning_rate=rate, epochs=50)
        for rate in rates
    }
    numbers["gd_final_cost"] = descents[0.1]["costs"][-1]
    numbers["gd_m"] = descents[0.1]["m"]
    numbers["gd_b"] = descents[0.1]["b"]
    numbers["gd_small_lr_final_cost"] = descents[0.01]["costs"][-1]
    numbers["gd_large_lr_diverged"] = descents[0.6]["diverged"]

    # 4. Backpropagation.
    params = init_two_layer(seed=seed)
    x_gate, y_gate = logic_gate("xor")
    by_hand = backprop_gradients(params, x_gate, y_gate)
    by_tape = autodiff_gradients(params, x_gate, y_gate)
    numbers["backprop_max_abs_diff"] = max(
        float(np.max(np.abs(by_hand[k] - by_tape[k]))) for k in ("w1", "b1", "w2", "b2")
    )

    # 5. Convolution and pooling.
    mean_conv = conv2d_numpy(SLIDE_IMAGE, MEAN_MASK)
    numbers["conv_mean_outputs"] = truncate_one_decimal(mean_conv).tolist()
    numbers["conv_weighted_sum"] = float(
        conv2d_numpy(WEIGHTED_SUM_IMAGE, WEIGHTED_SUM_KERNEL)[0, 0]
    )
    numbers["max_pool"] = pool2d_numpy(POOLING_GRID, mode="max").tolist()
    numbers["average_pool"] = pool2d_numpy(POOLING_GRID, mode="average").tolist()
    numbers["conv_keras_max_abs_diff"] = max(
        float(np.max(np.abs(mean_conv - keras_conv2d(SLIDE_IMAGE, MEAN_MASK)))),
        float(np.max(np.abs(pool2d_numpy(POOLING_GRID) - keras_pool2d(POOLING_GRID)))),
        float(
            np.max(
                np.abs(
                    pool2d_numpy(POOLING_GRID, mode="average")
                    - keras_pool2d(POOLING_GRID, mode="average")
                )
            )
        ),
    )

    # 6. Vanishing gradients.
    rng = np.random.default_rng(seed)
    x_deep = rng.normal(0, 1, (64, 16)).astype("float32")
    y_deep = rng.normal(0, 1, (64, 1)).astype("float32")
    norms = {
        name: layer_gradient_norms(build_deep_mlp(name, seed=seed), x_deep, y_deep)
        for name in ("sigmoid", "relu")
    }
    numbers["vanishing_sigmoid_first_over_last"] = float(
        norms["sigmoid"][0] / norms["sigmoid"][-2]
    )
    numbers["vanishing_relu_first_over_last"] = float(
        norms["relu"][0] / norms["relu"][-2]
    )

    # 7. Dropout.
    drop = dropout_demo(epochs=100 if quick else 200, seed=seed)
    numbers["dropout_gap_without"] = drop["sin_dropout"]["gap"]
    numbers["dropout_gap_with"] = drop["con_dropout"]["gap"]

    figures = {
        "perceptron": plots.save(
            plot_perceptron(perceptrons), out_dir / "perceptron.png"
        ),
        "mlp_xor": plots.save(
            plot_decision_regions(model, info["x"], info["y"], title="MLP sobre XOR"),
            out_dir / "mlp_xor.png",
        ),
        "gradient_descent": plots.save(
            plot_gradient_descent(x_line, y_line, descents),
            out_dir / "gradient_descent.png",
        ),
        "activations": plots.save(plot_activations(), out_dir / "activations.png"),
        "vanishing_gradients": plots.save(
            plot_vanishing_gradients(norms), out_dir / "vanishing_gradients.png"
        ),
    }
    model_path = out_dir / "model.keras"
    model.save(model_path)
    result = results.Result(
        name="fundamentals",
        metrics=numbers,
        figures=figures,
        model_path=model_path,
        out_dir=out_dir,
        data="synthetic: logic-gate truth tables, a noisy line, the slides' small images",
        summary=(
            f"Perceptron errors AND/OR/XOR: {numbers['perceptron_and_errors']}/"
            f"{numbers['perceptron_or_errors']}/{numbers['perceptron_xor_errors']}; "
            f"MLP accuracy on XOR {numbers['mlp_xor_accuracy']:.2f}; "
            f"backprop vs autodiff max difference {numbers['backprop_max_abs_diff']:.1e}."
        ),
        seconds=time.perf_counter() - start,
    )
    result.write_metrics()
    return result
