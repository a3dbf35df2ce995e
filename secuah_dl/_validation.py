"""Argument checks shared by every module: errors that name the argument.

Each check raises `ValueError("`name` must be ... Received: name=value")`,
the Keras style of STYLE.md, and returns the value as a plain Python number.
"""

import numbers


def check_int(name, value, minimum=1):
    """Checks that `value` is an integer (not a bool) >= `minimum`.

    Args:
        name: str. The argument's name, for the message.
        value: the value received.
        minimum: int. Smallest allowed value. Defaults to `1`.

    Returns:
        int. The value.

    Raises:
        ValueError: if `value` is not an integer >= `minimum`.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")
    return int(value)


def check_positive_float(name, value):
    """Checks that `value` is a real number > 0 (not a bool).

    Args:
        name: str. The argument's name, for the message.
        value: the value received.

    Returns:
        float. The value.

    Raises:
        ValueError: if `value` is not a positive number.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(
            f"`{name}` must be a positive number. Received: {name}={value!r}"
        )
    return float(value)
