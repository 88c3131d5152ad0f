"""FEAST: online feature extraction with adaptive selection thresholds (Afshar et al., Sensors 2020).

- :class:`FEAST`: one layer (scikit-learn style fit/partial_fit/transform).
- :class:`FEASTNetwork`: stacked layers.
- :class:`FEASTClassifier`: features + per-cell winner histograms + logistic regression.
- :func:`save_model` / :func:`load_model`: one atomic ``.npz`` file per model.
"""
from evlearn.base import NotFittedError
from evlearn.feast.layer import FEAST
from evlearn.feast.network import FEASTNetwork
from evlearn.feast.persistence import load_model, save_model
from evlearn.feast.readout import FEASTClassifier, feature_histogram

__all__ = ["FEAST", "FEASTNetwork", "FEASTClassifier", "NotFittedError", "save_model", "load_model", "feature_histogram"]
