"""What probes observe of a Keras model, as plain data for the judges.

A student may write the same network in many ways: `Sequential` or
functional, `Dense(64, activation="relu")` or `Dense(64)` + `Activation`
(or `layers.ReLU()`), any layer names. `describe_model` reduces all of them
to the same description, so a judge compares *what the network computes*,
never how it was spelled:

```python
{"class": "Sequential", "inputs": [[-1, 2]], "outputs": [[-1, 2]],
 "params": 4482, "trainable_params": 4482, "non_trainable_params": 0,
 "ops": [{"type": "Dense", "units": 64, "output": [-1, 64], ...},
         {"type": "activation", "name": "relu"}, ...],
 "compiled": True, "optimizer": {"class": "SGD", "learning_rate": 0.01,
 "momentum": 0.9, "nesterov": True}, "loss": "categorical_crossentropy"}
```

Unknown dimensions are written as -1. A leaky ReLU's op also carries its
`negative_slope` (the layer's, or 0.2 for `activation="leaky_relu"`).
"""

import re

import numpy as np

__all__ = [
    "describe_model",
    "ops_of",
    "activation_after",
    "compile_info",
    "floats",
    "loss_name",
    "to_numpy",
]

# Configuration keys worth comparing, per layer type.
_KEYS = {
    "Dense": ("units", "use_bias"),
    "Conv1D": ("filters", "kernel_size", "strides", "padding", "dilation_rate"),
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "dilation_rate"),
    "Conv2DTranspose": ("filters", "kernel_size", "strides", "padding"),
    "Conv1DTranspose": ("filters", "kernel_size", "strides", "padding"),
    "MaxPooling1D": ("pool_size", "strides", "padding"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling1D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Dropout": ("rate",),
    "SpatialDropout1D": ("rate",),
    "SpatialDropout2D": ("rate",),
    "LSTM": ("units", "return_sequences", "return_state"),
    "GRU": ("units", "return_sequences", "return_state"),
    "SimpleRNN": ("units", "return_sequences", "return_state"),
    "Embedding": ("input_dim", "output_dim", "mask_zero"),
    "Reshape": ("target_shape",),
    "UpSampling2D": ("size",),
}
_ACTIVATION_LAYERS = {
    "ReLU": "relu",
    "Softmax": "softmax",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "PReLU": "prelu",
}


def to_numpy(value):
    """Any backend tensor (or nested list) as a NumPy array.

    Keras is imported only for a tensor: a non-model probe given NumPy or
    Python values must not load a framework inside its time limit.
    """
    if type(value).__module__ in ("builtins", "numpy"):
        return np.asarray(value)
    import keras

    try:
        return np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:  # noqa: BLE001 - plain Python values
        return np.asarray(value)


def floats(value):
    """`value` (any backend tensor or nested list) as a float64 array, or None."""
    try:
        return np.asarray(to_numpy(value), dtype="float64")
    except (TypeError, ValueError):
        return None


def _shape(shape):
    if shape is None:
        return None
    if (
        isinstance(shape, (list, tuple))
        and shape
        and isinstance(shape[0], (list, tuple))
    ):
        return [_shape(s) for s in shape]
    return [-1 if d is None else int(d) for d in shape]


def _output_shape(layer):
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return None
    if isinstance(output, (list, tuple)):
        return [_shape(tuple(o.shape)) for o in output]
    return _shape(tuple(output.shape))


def _activation_name(activation):
    if activation is None:
        return "linear"
    if type(activation).__name__ in _ACTIVATION_LAYERS:  # activation=layers.ReLU()
        return _ACTIVATION_LAYERS[type(activation).__name__]
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _by_behaviour(activation):
    """`(name, slope)` of an unnamed activation (a lambda...) from what it computes."""
    import keras

    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]], dtype="float32")
    try:
        y = to_numpy(activation(keras.ops.convert_to_tensor(x))).astype("float64")[0]
    except Exception:  # noqa: BLE001 - not an element-wise function of one tensor
        return None, None
    slope = y[0] / x[0, 0]
    if np.allclose(y, np.where(x[0] > 0, x[0], slope * x[0]), atol=1e-5):
        names = {0.0: "relu", 1.0: "linear"}
        return names.get(round(slope, 6), "leaky_relu"), slope
    for name, f in (("sigmoid", lambda v: 1 / (1 + np.exp(-v))), ("tanh", np.tanh)):
        if np.allclose(y, f(x[0]), atol=1e-4):
            return name, None
    return None, None


def _activation_op(activation):
    """{"type": "activation", "name": ...}, with the slope of a leaky ReLU.

    An activation Keras cannot name (`lambda x: tf.nn.leaky_relu(x, 0.2)`) is
    named by what it computes on a few numbers.
    """
    import keras

    op = {"type": "activation", "name": _activation_name(activation)}
    slope = getattr(activation, "negative_slope", 0.2)  # the function's default
    if not isinstance(activation, keras.layers.Layer):
        try:
            keras.activations.get(op["name"])
        except (ValueError, TypeError):
            name, slope = _by_behaviour(activation)
            op["name"] = name or op["name"]
    if op["name"] == "leaky_relu":
        op["negative_slope"] = round(float(slope), 6)
    return op


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _layer_ops(layer):
    import keras

    kind = type(layer).__name__
    if isinstance(layer, keras.layers.InputLayer):
        return []
    if isinstance(layer, keras.Model):
        return [
            {
                "type": "Model",
                "class": kind,
                "name": layer.name,
                "trainable": bool(layer.trainable),
                "params": _count(layer.weights),
                "trainable_params": _count(layer.trainable_weights),
                "output": _output_shape(layer),
            }
        ]
    if kind == "Activation":
        return [_activation_op(layer.activation)]
    if kind in _ACTIVATION_LAYERS:
        return [_activation_op(layer)]
    op = {
        "type": kind,
        "output": _output_shape(layer),
        "trainable": bool(layer.trainable),
        "params": _count(layer.weights),
    }
    config = layer.get_config()
    for key in _KEYS.get(kind, ()):
        if key in config:
            op[key] = _plain(config[key])
    ops = [op]
    activation = getattr(layer, "activation", None)
    if activation is not None and kind not in ("LSTM", "GRU", "SimpleRNN"):
        after = _activation_op(activation)
        if after["name"] != "linear":
            ops.append(after)
    elif kind in ("LSTM", "GRU", "SimpleRNN"):
        op["activation"] = _activation_name(activation)
    return ops


def loss_name(loss):
    """A loss as a snake_case name (`"categorical_crossentropy"`), or None.

    Accepts what `model.compile(loss=...)` accepts: a string, a
    `keras.losses.Loss` object or a function.
    """
    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):
        return [loss_name(item) for item in loss]
    if isinstance(loss, dict):
        return {key: loss_name(item) for key, item in loss.items()}
    if isinstance(loss, str):
        name = loss
    else:
        name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
        name = name or type(loss).__name__
    key = name.replace("_", "").lower()
    aliases = {
        "categoricalcrossentropy": "categorical_crossentropy",
        "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
        "binarycrossentropy": "binary_crossentropy",
        "mse": "mean_squared_error",
        "meansquarederror": "mean_squared_error",
        "mae": "mean_absolute_error",
        "meanabsoluteerror": "mean_absolute_error",
        "kldivergence": "kl_divergence",
    }
    return aliases.get(key, re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower())


def compile_info(model):
    """Whether and how a model was compiled, as plain data.

    Args:
        model: `keras.Model`.

    Returns:
        dict with `compiled` (bool), `optimizer` (None or a dict with
        `class` and its numeric settings: `learning_rate`, `momentum`,
        `nesterov`, `beta_1`, `beta_2`, `clipnorm` where present) and
        `loss` (see `loss_name`).
    """
    optimizer = getattr(model, "optimizer", None)
    compiled = bool(getattr(model, "compiled", False)) and optimizer is not None
    info = {"compiled": compiled, "optimizer": None, "loss": None}
    if not compiled:
        return info
    settings = {"class": type(optimizer).__name__}
    try:
        settings["learning_rate"] = float(to_numpy(optimizer.learning_rate))
    except Exception:  # noqa: BLE001 - schedules
        settings["learning_rate"] = None
    config = optimizer.get_config()
    for key in ("momentum", "nesterov", "beta_1", "beta_2", "clipnorm", "weight_decay"):
        if key in config:
            settings[key] = _plain(config[key])
    info["optimizer"] = settings
    info["loss"] = loss_name(getattr(model, "loss", None))
    return info


def _traced(model, input_shape, dtype):
    """A functional view of a subclassed model (its layers in call order), or None."""
    import keras

    try:
        _ = model.inputs  # Sequential or functional: described as it is
        return None
    except (AttributeError, ValueError):
        pass
    try:
        inputs = keras.Input(shape=input_shape, dtype=dtype)
        return keras.Model(inputs, model.call(inputs))
    except Exception:  # noqa: BLE001 - a call that cannot be traced
        return None


def describe_model(model, input_shape=None, dtype="float32"):
    """What a Keras model computes, independent of how it was written.

    Args:
        model: `keras.Model` (Sequential, functional or subclassed and
            built).
        input_shape: tuple or None. When given, a subclassed model is traced
            on `keras.Input(input_shape, dtype=dtype)`, so its layers are
            seen in the order `call` uses them. Defaults to `None`.
        dtype: str. The input's dtype for that trace. Defaults to `"float32"`.

    Returns:
        dict with `class`, `inputs` and `outputs` (shapes), `params`,
        `trainable_params`, `non_trainable_params`, `ops` (see the module
        docstring), and the keys of `compile_info`.

    Raises:
        TypeError: if `model` is not a `keras.Model`.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Se esperaba un keras.Model y se recibió {type(model).__name__}."
        )
    view = (_traced(model, input_shape, dtype) if input_shape else None) or model
    try:
        inputs = [_shape(tuple(t.shape)) for t in view.inputs]
        outputs = [_shape(tuple(t.shape)) for t in view.outputs]
    except (AttributeError, ValueError, TypeError):
        inputs = outputs = None
    ops = []
    for layer in view.layers:
        ops += _layer_ops(layer)
    description = {
        "class": type(model).__name__,
        "inputs": inputs,
        "outputs": outputs,
        "params": _count(model.weights),
        "trainable_params": _count(model.trainable_weights),
        "non_trainable_params": _count(model.non_trainable_weights),
        "ops": ops,
    }
    description.update(compile_info(model))
    return description


def ops_of(description, *types):
    """The ops of a description whose type is one of `types` (all if none).

    Args:
        description: dict from `describe_model`.
        *types: str. Op types, e.g. `"Dense"`, `"activation"`.

    Returns:
        list of dict, in order.
    """
    return [op for op in description["ops"] if not types or op["type"] in types]


def activation_after(description, index):
    """The activation applied right after op `index` (`"linear"` if none).

    Dropout, BatchNormalization-free reshapes and similar ops in between are
    skipped, so `Dense(64)`, `Dropout`, `Activation("relu")` counts as ReLU.

    Args:
        description: dict from `describe_model`.
        index: int. Position in `description["ops"]`.

    Returns:
        str. The activation's name.
    """
    transparent = {"Dropout", "Flatten", "Reshape"}
    for op in description["ops"][index + 1 :]:
        if op["type"] == "activation":
            return op["name"]
        if op["type"] not in transparent:
            break
    return "linear"
