"""metrics (scikit-learn based) and plots (matplotlib figures)."""

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from secuah_dl import metrics, plots


def test_sensitivity_specificity_by_hand():
    # rows = truth, columns = prediction
    confusion = [[50, 10], [5, 35]]
    sensitivity, specificity = metrics.sensitivity_specificity(confusion)
    np.testing.assert_allclose(sensitivity, [50 / 60, 35 / 40])
    np.testing.assert_allclose(specificity, [35 / 40, 50 / 60])
    with pytest.raises(ValueError, match="square"):
        metrics.sensitivity_specificity([[1, 2, 3]])


def test_classification_metrics_three_classes():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_prob = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.4, 0.5, 0.1],
            [0.1, 0.8, 0.1],
            [0.2, 0.7, 0.1],
            [0.1, 0.2, 0.7],
            [0.3, 0.1, 0.6],
        ]
    )
    numbers = metrics.classification_metrics(
        y_true, y_prob, class_names=["a", "b", "c"]
    )
    assert numbers["accuracy"] == pytest.approx(5 / 6)
    assert numbers["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [0, 0, 2]]
    assert numbers["per_class"]["a"]["sensitivity"] == pytest.approx(0.5)
    assert numbers["per_class"]["b"]["specificity"] == pytest.approx(3 / 4)
    assert 0.9 < numbers["roc_auc"] <= 1.0
    one_hot = keras.utils.to_categorical(y_true, 3)
    assert (
        metrics.classification_metrics(one_hot, y_prob)["accuracy"]
        == numbers["accuracy"]
    )


def test_classification_metrics_binary_sigmoid_and_missing_class():
    numbers = metrics.classification_metrics([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.3])
    assert numbers["accuracy"] == pytest.approx(0.75) and numbers[
        "roc_auc"
    ] == pytest.approx(1.0)
    assert (
        metrics.classification_metrics([0, 0], [[0.9, 0.1], [0.2, 0.8]])["roc_auc"]
        is None
    )


@pytest.mark.parametrize(
    "y_true, y_prob, kwargs, match",
    [
        ([0, 1], [[0.5, 0.5]], {}, "same number of examples"),
        ([0, 1], [[np.nan, 1.0], [0.5, 0.5]], {}, "NaN"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], {"class_names": ["x"]}, "2 names"),
        (np.zeros((2, 1, 1)), [[0.5, 0.5], [0.5, 0.5]], {}, "y_true"),
    ],
)
def test_classification_metrics_errors(y_true, y_prob, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.classification_metrics(y_true, y_prob, **kwargs)


def test_learning_curves_and_save(tmp_path):
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    figure = plots.learning_curves(history, title="t")
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    assert len(figure.axes[0].lines) == 2  # train + validation
    path = plots.save(figure, tmp_path / "sub" / "curves.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="not in the history"):
        plots.learning_curves(history, metrics=["auc"])
    with pytest.raises(ValueError, match="History"):
        plots.learning_curves({})


def test_confusion_matrix_figure():
    figure = plots.confusion_matrix(
        [[3, 1], [0, 4]], class_names=["sano", "enfermo"], normalize=True
    )
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == ["0.75", "0.25", "0.00", "1.00"]
    with pytest.raises(ValueError, match="square"):
        plots.confusion_matrix([[1, 2]])
