"""A cheap tour of every practical's model path on the JAX backend.

Usage: jax_practicals.py OUT_DIR
Run with KERAS_BACKEND=jax (optionally with several host devices, then the
`auto` strategy trains data-parallel). Trains the toy model end to end through
`toy2d.run`, the fundamentals' gradients, one epoch of the VAE's custom step
and of the demand forecaster (both through `training.fit`), the SMILES
step sampler, and both transfer strategies (cached-feature head, then
fine-tuning) with evaluation and Grad-CAM on a small convolutional base. Writes OUT_DIR/jax_practicals.json with one entry per check.
"""

import json
import pathlib
import sys

out_dir = pathlib.Path(sys.argv[1])

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402  (tf.data only)

from secuah_dl import (  # noqa: E402
    autoencoders,
    demand,
    fundamentals,
    runtime,
    smiles,
    toy2d,
    training,
    transfer,
)

report = {"backend": keras.backend.backend()}
strategy = runtime.get_strategy()
report["replicas"] = strategy.num_replicas_in_sync
report["describe"] = runtime.describe(strategy)

# toy2d: the whole practical (data -> fit -> evaluate -> figures -> save).
result = toy2d.run(out_dir=out_dir / "toy2d", epochs=3, strategy=strategy)
report["toy2d_accuracy"] = result.metrics["accuracy"]

# fundamentals: backprop by hand against the backend's autodiff.
params = fundamentals.init_two_layer(2, 3, 1, seed=0)
x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float64")
y = np.array([0, 1, 1, 0], "float64")
by_hand = fundamentals.backprop_gradients(params, x, y)
by_autodiff = fundamentals.autodiff_gradients(params, x, y)
report["fundamentals_max_gradient_gap"] = max(
    float(np.abs(by_hand[k] - by_autodiff[k]).max()) for k in ("w1", "b1", "w2", "b2")
)
norms = fundamentals.layer_gradient_norms(
    fundamentals.build_deep_mlp("sigmoid", depth=4),
    np.random.default_rng(0).normal(size=(16, 16)).astype("float32"),
    np.zeros((16, 1), "float32"),
)
report["fundamentals_gradient_norms"] = len(norms)

# autoencoders: the VAE's custom train step (reconstruction + KL) in fit().
images = np.random.default_rng(0).random((70, 8, 8, 1)).astype("float32")
vae_ds = tf.data.Dataset.from_tensor_slices((images, images)).batch(16)
with strategy.scope():
    vae = autoencoders.build_vae((8, 8, 1), 2, seed=0, filters=(4, 8))
history = training.fit(vae, vae_ds, vae_ds, epochs=2, strategy=strategy, verbose=0)
report["vae_loss"] = history.history["loss"]
report["vae_codes_shape"] = list(np.shape(autoencoders.encode(vae, images[:5])))

# demand: the Conv1D forecaster, one epoch on random windows.
with strategy.scope():
    forecaster = demand.build_model("conv1d", filters=4, hidden_units=8)
rng = np.random.default_rng(1)
inputs = {
    "past": rng.normal(size=(33, 48)).astype("float32"),
    "context": rng.uniform(-1, 1, size=(33, 6)).astype("float32"),
}
targets = rng.normal(size=(33, 24)).astype("float32")
demand_ds = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(8)
history = training.fit(forecaster, demand_ds, epochs=1, strategy=strategy, verbose=0)
report["demand_loss"] = history.history["loss"]

# smiles: the step model and the temperature sampler (seeded NumPy draws).
tokenizer = smiles.SmilesTokenizer.pretrained()
keras.utils.set_random_seed(0)
with strategy.scope():
    generator = smiles.build_model(
        tokenizer.vocab_size, embedding_dim=8, lstm_units=(8, 8)
    )
first = smiles.sample(generator, tokenizer, 5, max_length=8, batch_size=4, seed=3)
second = smiles.sample(generator, tokenizer, 5, max_length=8, batch_size=4, seed=3)
report["smiles_samples"] = len(first)
report["smiles_seeded"] = list(first) == list(second)


# transfer: strategy 1 on cached features, strategy 2 fine-tuning, evaluation
# and Grad-CAM. 21 training and 13 test images in batches of 4: odd last batches.
def small_base():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    return keras.Model(inputs, x, name="small_base")


def bright_or_dark(n, seed):
    labels = np.arange(n) % 2
    pixels = np.random.default_rng(seed).uniform(60, 120, size=(n, 16, 16, 3))
    pixels[:, 4:12, 4:12] += labels[:, None, None, None] * 120.0
    one_hot = keras.utils.to_categorical(labels, 2)
    return tf.data.Dataset.from_tensor_slices(
        (pixels.astype("float32"), one_hot)
    ).batch(4)


keras.utils.set_random_seed(0)
with strategy.scope():
    classifier = transfer.build_model(2, backbone=small_base(), dropout=0.0)
train_images, test_images = bright_or_dark(21, 0), bright_or_dark(13, 1)
head_history = transfer.train_head_on_features(
    classifier, train_images, train_images, epochs=8, learning_rate=0.3
)
transfer.fine_tune(classifier, learning_rate=1e-3)
fine_history = transfer.train(classifier, train_images, train_images, epochs=2)
report["transfer_head_loss"] = head_history.history["loss"]
report["transfer_fine_tune_loss"] = fine_history.history["loss"]
report["transfer_trainable_params"] = int(
    sum(np.prod(w.shape) for w in classifier.trainable_weights)
)
numbers = transfer.evaluate(classifier, test_images)
report["transfer_test_images"] = numbers["test_images"]
report["transfer_accuracy"] = numbers["accuracy"]
heatmaps, probabilities = transfer.grad_cam(
    classifier, np.concatenate([x for x, _ in test_images.as_numpy_iterator()])[:5]
)
report["transfer_heatmaps_shape"] = list(heatmaps.shape)
report["transfer_heatmaps_range"] = [float(heatmaps.min()), float(heatmaps.max())]

(out_dir / "jax_practicals.json").write_text(json.dumps(report, default=str))
print(json.dumps(report, default=str))
