"""A small multinomial logistic-regression read-out in NumPy (no extra dependency).

scikit-learn contract: ``fit`` validates and sets attributes ending in ``_``;
``predict``/``predict_proba``/``score`` check the model is fitted. Features are
standardised with training statistics; training is full-batch L-BFGS-free
gradient descent with Nesterov momentum on the L2-regularised cross-entropy,
which is convex, so the result does not depend on the seed.
"""
from __future__ import annotations

import numpy as np

from evlearn.validation import check_number


class NotFittedError(ValueError):
    """Raised when a learner is used before ``fit``."""


def check_features(X, name: str = "X") -> np.ndarray:
    """Return X as a finite 2-D float64 array or raise ValueError."""
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (samples x features), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


class LogisticRegression:
    """Multinomial logistic regression with L2 penalty ``alpha`` (per sample)."""

    def __init__(self, alpha: float = 1e-3, max_iter: int = 500, learning_rate: float = 0.5, tol: float = 1e-6):
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.tol = tol

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in ("alpha", "max_iter", "learning_rate", "tol")}

    def set_params(self, **params):
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"unknown parameter {key!r}")
            setattr(self, key, value)
        return self

    def fit(self, X, y):
        X = check_features(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have one label per sample: X has {X.shape[0]} rows, y has shape {y.shape}")
        check_number(self.alpha, "alpha", low=0)
        check_number(self.max_iter, "max_iter", low=1, integer=True)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("need samples of at least two classes to fit a classifier")
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

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError("this LogisticRegression is not fitted yet; call fit first")

    def decision_function(self, X) -> np.ndarray:
        self._check_fitted()
        X = check_features(X)
        if X.shape[1] != self.coef_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {self.coef_.shape[0]}")
        return ((X - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        logits = self.decision_function(X)
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        return prob / prob.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def score(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))
