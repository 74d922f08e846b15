"""``class_weight`` for VNNClassifier: class weights as sample weights.

As in scikit-learn's linear models, a class weight multiplies the sample
weight of every row of its class, so that the weighted loss counts a
class's rows that many times. ``'balanced'`` weights a class by
``n_samples / (n_classes * weighted_count)``
(:func:`sklearn.utils.class_weight.compute_class_weight`), counting the
rows with their sample weights; multilabel targets are balanced per output
(each label's 0 and 1 columns), and the weights of the outputs multiply, as
:func:`sklearn.utils.class_weight.compute_sample_weight` does.
"""

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

PARTIAL_FIT_BALANCED = (
    "class_weight='balanced' is not supported for partial_fit: one call sees "
    "one batch, whose class frequencies are not those of the data. In order to "
    "use 'balanced' weights, use compute_class_weight('balanced', "
    "classes=classes, y=y) on a large enough sample of the training targets "
    "and pass the resulting weights as the class_weight parameter, as a dict "
    "{class: weight}."
)


def _class_weights(class_weight, classes, index, sample_weight):
    """Each class's weight (zero for a class of zero total weight)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = compute_class_weight(
            class_weight,
            classes=np.asarray(classes),
            y=np.asarray(classes)[index],
            sample_weight=sample_weight,
        )
    return np.where(np.isfinite(weights), weights, 0.0)


def weight_classes(est, Y, sample_weight):
    """The sample weights ``est.class_weight`` gives, times ``sample_weight``.

    Parameters
    ----------
    est : VNNClassifier
        With ``classes_`` and its label binarizer set.
    Y : ndarray of shape (n_samples, n_outputs)
        The binarized targets (one column for two classes, one per class
        for more, one per label for multilabel).
    sample_weight : ndarray of shape (n_samples,) or None
        The checked sample weights.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
        None only when both ``class_weight`` and ``sample_weight`` are None.
    """
    class_weight = est.class_weight
    if class_weight is None:
        return sample_weight
    if est._label_binarizer.y_type_.startswith("multilabel"):
        if class_weight != "balanced":
            raise ValueError(
                "class_weight as a dict is for single-output targets; for "
                "multilabel targets use class_weight='balanced' (per label) "
                "or pass sample_weight."
            )
        weights = np.ones(Y.shape[0])
        for column in Y.T:
            index = (column > 0.5).astype(int)
            present = np.unique(index)  # a label may be always 0 (or 1)
            position = np.searchsorted(present, index)
            weights *= _class_weights("balanced", present, position, sample_weight)[
                position
            ]
    else:
        index = (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)
        if isinstance(class_weight, dict):
            unknown = set(class_weight) - set(est.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has classes {sorted(unknown, key=str)} that "
                    f"are not in classes_ {est.classes_.tolist()}."
                )
        weights = _class_weights(class_weight, est.classes_, index, sample_weight)
        weights = weights[index]
    weights = weights.astype(Y.dtype)
    if sample_weight is not None:
        weights *= sample_weight
    if not weights.sum() > 0:
        raise ValueError(
            "class_weight times sample_weight gives every sample zero weight."
        )
    return weights
