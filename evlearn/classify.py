"""A small multinomial logistic-regression read-out in NumPy, a scikit-learn classifier.

It passes scikit-learn's ``check_estimator`` (tests/test_estimators.py): ``fit``
validates parameters and data and sets attributes ending in ``_``;
``predict``/``predict_proba``/``decision_function``/``score`` raise
``NotFittedError`` before ``fit``. Features are
standardised with training statistics; training is full-batch L-BFGS-free
gradient descent with Nesterov momentum on the L2-regularised cross-entropy,
which is convex, so the result does not depend on the seed.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from evlearn.base import Estimator, NotFittedError, check_fitted
from evlearn.validation import check_number

__all__ = ["LogisticRegression", "NotFittedError"]


class LogisticRegression(ClassifierMixin, Estimator):
    """Multinomial logistic regression with L2 penalty ``alpha`` (per sample)."""

    def __init__(self, alpha: float = 1e-3, max_iter: int = 500, learning_rate: float = 0.5, tol: float = 1e-6):
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.tol = tol

    def check_params(self):
        """Validate the parameters without fitting (ValueError naming the bad one)."""
        check_number(self.alpha, "alpha", low=0)
        check_number(self.max_iter, "max_iter", low=1, integer=True)
        check_number(self.learning_rate, "learning_rate", low=0, low_open=True)
        check_number(self.tol, "tol", low=0)

    def fit(self, X, y):
        """Fit on features ``X`` (n_samples, n_features) and labels ``y`` (n_samples,); standardises ``X`` first. Returns self."""
        self.check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"need samples of at least two classes to fit a classifier, got 1 class ({self.classes_[0]!r})")
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = (X - self.mean_) / self.scale_
        n, d = Z.shape
        k = self.classes_.size
        onehot = np.zeros((n, k))
        onehot[np.arange(n), codes] = 1.0
        W = np.zeros((d + 1, k))
        velocity = np.zeros_like(W)
        Zb = np.hstack([Z, np.ones((n, 1))])
        # Lipschitz bound of the softmax loss gradient gives a safe step size.
        step = self.learning_rate / (0.5 * np.linalg.norm(Zb, 2) ** 2 / n + self.alpha)
        previous = np.inf
        for iteration in range(self.max_iter):
            lookahead = W + 0.9 * velocity
            logits = Zb @ lookahead
            logits -= logits.max(axis=1, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=1, keepdims=True)
            grad = Zb.T @ (prob - onehot) / n
            grad[:-1] += self.alpha * lookahead[:-1]
            velocity = 0.9 * velocity - step * grad
            W = W + velocity
            loss = -np.mean(np.log(prob[np.arange(n), codes] + 1e-300))
            if abs(previous - loss) < self.tol:
                break
            previous = loss
        self.coef_ = W[:-1]
        self.intercept_ = W[-1]
        self.n_iter_ = iteration + 1
        return self

    def _logits(self, X) -> np.ndarray:
        check_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return ((X - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Class scores, (n_samples, n_classes); for two classes, as scikit-learn, the
        score of ``classes_[1]`` minus that of ``classes_[0]``, shape (n_samples,)."""
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if self.classes_.size == 2 else logits

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, float64 of shape (n_samples, n_classes), columns in the order of ``classes_``."""
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        return prob / prob.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The most probable label of each row of ``X`` (n_samples,), taken from ``classes_``."""
        winners = np.argmax(self._logits(X), axis=1)  # checks the model is fitted first
        return self.classes_[winners]
