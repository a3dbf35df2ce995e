"""Evaluation numbers: scikit-learn for models, RDKit for molecules.

Classification: accuracy, balanced accuracy, confusion matrix, ROC-AUC
(one-vs-rest when there are more than two classes), and per-class sensitivity
(recall) and specificity, the two numbers clinicians read.
"""

import numpy as np
from sklearn import metrics as sk_metrics

from secuah_dl._compat import require

__all__ = [
    "roc_points",
    "operating_point",
    "balanced_threshold",
    "classification_metrics",
    "sensitivity_specificity",
    "DESCRIPTORS",
    "canonical_smiles",
    "validity",
    "uniqueness",
    "novelty",
    "internal_diversity",
    "descriptor_table",
    "compare_descriptors",
    "generation_metrics",
    "regression_metrics",
]


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
    default = map(str, range(num_classes))
    class_names = list(default if class_names is None else class_names)
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
    roc_auc = None
    if len(np.unique(labels)) == num_classes > 1:
        scores = y_prob[:, 1] if num_classes == 2 else y_prob
        roc_auc = float(sk_metrics.roc_auc_score(labels, scores, multi_class="ovr"))
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


def roc_points(y_true, scores, *, positive=1):
    """ROC curve of one class against the rest.

    Args:
        y_true: array `(n,)` of class indices.
        scores: array `(n,)`. Score (probability) of the positive class.
        positive: int. The positive class. Defaults to `1`.

    Returns:
        dict with `fpr`, `tpr`, `thresholds` (arrays) and `auc` (float or
        None when only one class is present).
    """
    target = (np.asarray(y_true).reshape(-1) == positive).astype(int)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    fpr, tpr, thresholds = sk_metrics.roc_curve(target, scores)
    auc = float(sk_metrics.auc(fpr, tpr)) if 0 < target.sum() < len(target) else None
    return {"fpr": fpr, "tpr": tpr, "thresholds": thresholds, "auc": auc}


def _binary_target(y_true):
    """`y_true == 1` as booleans, or a ValueError if a class is missing."""
    target = np.asarray(y_true).reshape(-1) == 1
    if target.all() or not target.any():
        raise ValueError(
            "Both positive (class 1) and negative examples are needed. "
            f"Received: {int(target.sum())} positives out of {len(target)}"
        )
    return target


def operating_point(y_true, scores, *, threshold=None, sensitivity=None):
    """Sensitivity and specificity at one threshold (one point of the ROC curve).

    Give `threshold` to read the point there, or `sensitivity` to find the
    highest threshold reaching at least that sensitivity (e.g. 0.95, the
    "95%" of a press release) and read the specificity paid for it.

    Args:
        y_true: array `(n,)` of class indices; class 1 is the positive one.
        scores: array `(n,)`. Score of class 1.
        threshold: float or None. Decide "positive" when score >= threshold.
        sensitivity: float or None. Target sensitivity in (0, 1].

    Returns:
        dict with `threshold`, `sensitivity` and `specificity`.

    Raises:
        ValueError: unless exactly one of `threshold` and `sensitivity` is
            given, or when a class is missing.
    """
    if (threshold is None) == (sensitivity is None):
        raise ValueError(
            "Give exactly one of `threshold` and `sensitivity`. "
            f"Received: threshold={threshold!r}, sensitivity={sensitivity!r}"
        )
    target = _binary_target(y_true)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if sensitivity is not None:
        candidates = np.sort(scores[target])[::-1]
        needed = int(np.ceil(sensitivity * target.sum()))
        threshold = float(candidates[max(needed, 1) - 1])
    predicted = scores >= threshold
    return {
        "threshold": float(threshold),
        "sensitivity": float((predicted & target).sum() / target.sum()),
        "specificity": float((~predicted & ~target).sum() / (~target).sum()),
    }


# --- smiles: molecules (RDKit) ------------------------------------------------

DESCRIPTORS = ("MolWt", "LogP", "TPSA", "HBD", "HBA", "RotatableBonds", "Rings", "QED")
"""Physico-chemical descriptors compared between generated and training sets."""


def canonical_smiles(smiles_list):
    """RDKit's canonical SMILES of each string, `None` where RDKit finds no molecule.

    Args:
        smiles_list: iterable of str.

    Returns:
        list of str or None, one per input.
    """
    require("rdkit")
    from rdkit import Chem, rdBase

    out = []
    with rdBase.BlockLogs():
        for smiles in smiles_list:
            mol = (
                Chem.MolFromSmiles(smiles)
                if isinstance(smiles, str) and smiles
                else None
            )
            out.append(
                Chem.MolToSmiles(mol) if mol is not None and mol.GetNumAtoms() else None
            )
    return out


def validity(smiles_list):
    """Fraction of strings that RDKit parses into a non-empty molecule.

    Args:
        smiles_list: sequence of str.

    Returns:
        float in [0, 1] (`0.0` for an empty list).
    """
    canonical = canonical_smiles(smiles_list)
    return sum(c is not None for c in canonical) / len(canonical) if canonical else 0.0


def uniqueness(smiles_list):
    """Distinct canonical molecules over valid ones (MOSES unique@k).

    Args:
        smiles_list: sequence of str.

    Returns:
        float in [0, 1] (`0.0` when nothing is valid).
    """
    valid = [c for c in canonical_smiles(smiles_list) if c is not None]
    return len(set(valid)) / len(valid) if valid else 0.0


def novelty(smiles_list, training_smiles, *, reference_is_canonical=False):
    """Fraction of distinct valid molecules that are not in the training set.

    Both sides are canonicalised, so `OCC` and `CCO` are the same molecule.

    Args:
        smiles_list: sequence of str. Generated SMILES.
        training_smiles: iterable of str. The training set.
        reference_is_canonical: bool. `training_smiles` already holds RDKit
            canonical SMILES (as the embedded ChEMBL file does): skip
            canonicalising it, which takes about 30 s per 100k molecules.
            Defaults to `False`.

    Returns:
        float in [0, 1] (`0.0` when nothing is valid).
    """
    unique = {c for c in canonical_smiles(smiles_list) if c is not None}
    if not unique:
        return 0.0
    known = (
        training_smiles if reference_is_canonical else canonical_smiles(training_smiles)
    )
    return len(unique - set(known)) / len(unique)


def internal_diversity(smiles_list, *, max_molecules=1000):
    """1 - mean pairwise Tanimoto similarity of Morgan fingerprints (MOSES IntDiv1).

    Fingerprints are Morgan radius 2, 2048 bits (ECFP4-like).

    Args:
        smiles_list: sequence of str. Invalid strings are ignored.
        max_molecules: int. Larger lists are subsampled (seed 0) to this
            size. Defaults to `1000`.

    Returns:
        float in [0, 1]; `0.0` with fewer than two valid molecules.
    """
    from rdkit import Chem, DataStructs, rdBase
    from rdkit.Chem import rdFingerprintGenerator

    valid = [c for c in canonical_smiles(smiles_list) if c is not None]
    if len(valid) < 2:
        return 0.0
    if len(valid) > max_molecules:
        valid = list(
            np.random.default_rng(0).choice(valid, max_molecules, replace=False)
        )
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    with rdBase.BlockLogs():
        fingerprints = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in valid]
    total = sum(
        sum(DataStructs.BulkTanimotoSimilarity(fingerprints[i], fingerprints[:i]))
        for i in range(1, len(fingerprints))
    )
    return 1.0 - total / (len(valid) * (len(valid) - 1) / 2)


def descriptor_table(smiles_list):
    """Physico-chemical descriptors (`DESCRIPTORS`) of each valid molecule.

    Args:
        smiles_list: sequence of str. Invalid strings are skipped.

    Returns:
        dict of descriptor name -> float array (one value per valid
        molecule): `MolWt`, `LogP` (Crippen), `TPSA`, `HBD`, `HBA`,
        `RotatableBonds`, `Rings`, `QED`.
    """
    from rdkit import Chem, rdBase
    from rdkit.Chem import QED, Crippen, Descriptors, rdMolDescriptors

    functions = (
        Descriptors.MolWt,
        Crippen.MolLogP,
        rdMolDescriptors.CalcTPSA,
        rdMolDescriptors.CalcNumHBD,
        rdMolDescriptors.CalcNumHBA,
        rdMolDescriptors.CalcNumRotatableBonds,
        rdMolDescriptors.CalcNumRings,
        QED.qed,
    )
    with rdBase.BlockLogs():
        mols = [Chem.MolFromSmiles(c) for c in canonical_smiles(smiles_list) if c]
    return {
        name: np.asarray([float(function(mol)) for mol in mols], dtype="float64")
        for name, function in zip(DESCRIPTORS, functions)
    }


def compare_descriptors(generated, reference):
    """Per-descriptor means and two-sample Kolmogorov-Smirnov statistic (SciPy).

    Args:
        generated: sequence of str. Generated SMILES.
        reference: sequence of str. E.g. the training set.

    Returns:
        dict of descriptor -> `{"generated_mean", "reference_mean", "ks"}`
        (NaN where a side has no valid molecule).
    """
    from scipy import stats

    generated, reference = descriptor_table(generated), descriptor_table(reference)
    out = {}
    for name in DESCRIPTORS:
        a, b = generated[name], reference[name]
        out[name] = {
            "generated_mean": float(a.mean()) if len(a) else float("nan"),
            "reference_mean": float(b.mean()) if len(b) else float("nan"),
            "ks": float(stats.ks_2samp(a, b).statistic)
            if len(a) and len(b)
            else float("nan"),
        }
    return out


def generation_metrics(smiles_list, training_smiles, *, reference_is_canonical=False):
    """Validity, uniqueness, novelty and internal diversity of a sample (MOSES).

    Args:
        smiles_list: sequence of str. Generated SMILES.
        training_smiles: iterable of str. Set the generator was trained on.
        reference_is_canonical: bool. See `novelty`. Defaults to `False`.

    Returns:
        dict with `samples`, `validity`, `uniqueness`, `novelty`,
        `internal_diversity`.
    """
    smiles_list = list(smiles_list)
    return {
        "samples": len(smiles_list),
        "validity": validity(smiles_list),
        "uniqueness": uniqueness(smiles_list),
        "novelty": novelty(
            smiles_list, training_smiles, reference_is_canonical=reference_is_canonical
        ),
        "internal_diversity": internal_diversity(smiles_list),
    }


# --- demand ---


def regression_metrics(y_true, y_pred, *, scale=None):
    """MAE, RMSE and MAPE (%) of a forecast, computed with scikit-learn.

    Args:
        y_true: array. Actual values (e.g. MW), any shape.
        y_pred: array. Forecasts, same shape.
        scale: float or None. With a scale (the scaler's standard
            deviation), also the mean squared error of the scaled values,
            the number the slides' tables show. Defaults to `None`.

    Returns:
        dict with `mae`, `rmse`, `mape_pct` and, with `scale`, `mse_scaled`;
        NaN for all of them when there is no value.

    Raises:
        ValueError: if the shapes differ.
    """
    y_true = np.asarray(y_true, dtype="float64").ravel()
    y_pred = np.asarray(y_pred, dtype="float64").ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same number of values. "
            f"Received: {y_true.size} and {y_pred.size}"
        )
    if y_true.size == 0:
        found = {"mae": np.nan, "rmse": np.nan, "mape_pct": np.nan}
    else:
        found = {
            "mae": float(sk_metrics.mean_absolute_error(y_true, y_pred)),
            "rmse": float(sk_metrics.root_mean_squared_error(y_true, y_pred)),
            "mape_pct": 100
            * float(sk_metrics.mean_absolute_percentage_error(y_true, y_pred)),
        }
    if scale is not None:
        found["mse_scaled"] = found["rmse"] ** 2 / float(scale) ** 2
    return found


# --- transfer ---


def balanced_threshold(y_true, scores):
    """The decision threshold that maximises balanced accuracy (Youden's J).

    Choose it on the **validation** set (tuned on the test set it would
    report an optimistic accuracy). Balanced accuracy does not depend on how
    common each class is, so the threshold also suits a test set with other
    class proportions (PneumoniaMNIST: 74 % pneumonia in validation, 62.5 %
    in test).

    Args:
        y_true: array `(n,)` of class indices; class 1 is the positive one.
        scores: array `(n,)`. Score (probability) of class 1.

    Returns:
        float. Decide "positive" when score >= threshold.

    Raises:
        ValueError: when a class is missing from `y_true`.
    """
    target = _binary_target(y_true)
    fpr, tpr, thresholds = sk_metrics.roc_curve(target, np.asarray(scores).reshape(-1))
    best = int(np.argmax(tpr - fpr))
    return float(min(thresholds[best], 1.0))
