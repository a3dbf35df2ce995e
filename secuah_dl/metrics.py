"""Evaluation numbers, computed with scikit-learn.

Classification: accuracy, balanced accuracy, confusion matrix, ROC-AUC
(one-vs-rest when there are more than two classes), and per-class sensitivity
(recall) and specificity, the two numbers clinicians read.
"""

import numpy as np
from sklearn import metrics as sk_metrics

__all__ = ["classification_metrics", "sensitivity_specificity"]


def _as_labels(name, values):
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] > 1:  # one-hot or probabilities
        return values.argmax(axis=1)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"`{name}` must be class indices of shape (n,) or one-hot/probabilities "
            f"of shape (n, num_classes). Received: {name} with shape {values.shape}"
        )
    return values.astype(int)


def sensitivity_specificity(confusion):
    """Per-class sensitivity and specificity from a confusion matrix.

    Args:
        confusion: array of shape `(num_classes, num_classes)`, rows = true
            class, columns = predicted class (scikit-learn's convention).

    Returns:
        A tuple `(sensitivity, specificity)` of float arrays of length
        `num_classes`; one-vs-rest for each class. A class absent from the
        true labels has sensitivity `nan`.

    Raises:
        ValueError: if `confusion` is not a square 2-D matrix.
    """
    confusion = np.asarray(confusion, dtype=float)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(
            "`confusion` must be a square matrix (true x predicted). "
            f"Received: confusion with shape {confusion.shape}"
        )
    true_positive = np.diag(confusion)
    positives = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    total = confusion.sum()
    true_negative = total - positives - predicted + true_positive
    negatives = total - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        return true_positive / positives, true_negative / negatives


def classification_metrics(y_true, y_prob, *, class_names=None):
    """Standard classification numbers from labels and predicted probabilities.

    Args:
        y_true: array. Class indices `(n,)` or one-hot `(n, num_classes)`.
        y_prob: array `(n, num_classes)`. Predicted class probabilities
            (softmax outputs). For binary models with one sigmoid output,
            `(n,)` or `(n, 1)` probabilities of class 1 are accepted.
        class_names: list of str or None. Names used as keys of the per-class
            numbers. Defaults to `"0"`, `"1"`, ...

    Returns:
        dict with `accuracy`, `balanced_accuracy`, `roc_auc` (macro
        one-vs-rest; `None` when a class is missing from `y_true`),
        `confusion_matrix` (list of lists), and `per_class`:
        `{name: {"sensitivity", "specificity", "support"}}`.

    Raises:
        ValueError: on shape mismatches, NaNs in `y_prob`, or a wrong number
            of class names.
    """
    y_prob = np.asarray(y_prob, dtype=float)
    if y_prob.ndim == 1 or (y_prob.ndim == 2 and y_prob.shape[1] == 1):
        p1 = y_prob.reshape(-1)
        y_prob = np.stack([1 - p1, p1], axis=1)
    if y_prob.ndim != 2:
        raise ValueError(
            "`y_prob` must have shape (n, num_classes). "
            f"Received: y_prob with shape {y_prob.shape}"
        )
    if np.isnan(y_prob).any():
        raise ValueError(
            f"`y_prob` contains {int(np.isnan(y_prob).sum())} NaN values; the model "
            "diverged or the inputs contain NaNs. Received: y_prob with NaNs"
        )
    labels = _as_labels("y_true", y_true)
    if len(labels) != len(y_prob):
        raise ValueError(
            "`y_true` and `y_prob` must have the same number of examples. "
            f"Received: {len(labels)} labels and {len(y_prob)} predictions"
        )
    num_classes = y_prob.shape[1]
    class_names = (
        [str(i) for i in range(num_classes)]
        if class_names is None
        else list(class_names)
    )
    if len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have {num_classes} names (one per output). "
            f"Received: class_names={class_names}"
        )
    predicted = y_prob.argmax(axis=1)
    confusion = sk_metrics.confusion_matrix(
        labels, predicted, labels=range(num_classes)
    )
    sensitivity, specificity = sensitivity_specificity(confusion)
    present = np.unique(labels)
    roc_auc = None
    if len(present) == num_classes and num_classes > 1:
        if num_classes == 2:
            roc_auc = float(sk_metrics.roc_auc_score(labels, y_prob[:, 1]))
        else:
            roc_auc = float(
                sk_metrics.roc_auc_score(
                    labels, y_prob, multi_class="ovr", average="macro"
                )
            )
    support = confusion.sum(axis=1)
    return {
        "accuracy": float(sk_metrics.accuracy_score(labels, predicted)),
        "balanced_accuracy": float(
            sk_metrics.balanced_accuracy_score(labels, predicted)
        ),
        "roc_auc": roc_auc,
        "confusion_matrix": confusion.tolist(),
        "per_class": {
            name: {
                "sensitivity": float(sensitivity[i]),
                "specificity": float(specificity[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(class_names)
        },
    }
