"""One helper that checks a model end to end (keras-hub `run_layer_test` style).

Builds nothing itself: give it a model and a small batch; it calls the model
on 2 examples, checks the output shape, runs one `fit` step, saves and
reloads `.keras` and compares outputs.
"""

import numpy as np


def run_model_test(
    model, inputs, targets, *, expected_output_shape, tmp_path, atol=1e-6
):
    """Checks shapes, one training step, and a `.keras` save/load round trip.

    Args:
        model: compiled `keras.Model`.
        inputs: array, batch of at least 2 examples.
        targets: array, targets for `inputs`.
        expected_output_shape: tuple, output shape for a batch of 2
            (use `None` for "any" in a position).
        tmp_path: folder for the saved file.
        atol: tolerance for the reload comparison.

    Returns:
        The reloaded model.
    """
    import keras

    batch = inputs[:2]
    outputs = np.asarray(model(batch, training=False))
    assert len(outputs.shape) == len(expected_output_shape), outputs.shape
    for got, want in zip(outputs.shape, expected_output_shape):
        assert want is None or got == want, (outputs.shape, expected_output_shape)
    before = [w.copy() for w in model.get_weights()]
    model.fit(inputs, targets, epochs=1, batch_size=len(inputs), verbose=0)
    after = model.get_weights()
    assert any(not np.array_equal(b, a) for b, a in zip(before, after)), (
        "fit changed no weight"
    )
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        np.asarray(reloaded(batch, training=False)),
        np.asarray(model(batch, training=False)),
        atol=atol,
    )
    return reloaded
