"""What every evlearn learner shares: scikit-learn's base class, one NotFittedError, renamed parameters.

Learners derive from :class:`Estimator` (scikit-learn's ``BaseEstimator``) so
``get_params``/``set_params`` (with ``deep``), ``clone``, ``GridSearchCV`` and
``Pipeline`` work as for any scikit-learn estimator. scikit-learn is imported
here, not by ``import evlearn``.
"""
from __future__ import annotations

import functools

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from evlearn.deprecation import Renamed, map_renamed


class NotFittedError(_SklearnNotFittedError):
    """A learner was used before ``fit``: scikit-learn's ``NotFittedError`` (a ValueError)."""


def check_fitted(estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet; call fit first")


def accepts_renamed(init):
    """Decorate ``__init__`` so the class's deprecated ``RENAMED`` names are accepted (with a warning).

    The signature scikit-learn sees (``functools.wraps`` keeps it) lists the new names only.
    """
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        old = {key: kwargs.pop(key) for key in list(kwargs) if key in self.RENAMED}
        renamed = map_renamed(type(self).__name__, old, self.RENAMED, stacklevel=2, also_given=kwargs)
        init(self, *args, **kwargs)
        for key, value in renamed.items():
            setattr(self, key, value)

    return wrapper


class Estimator(BaseEstimator):
    """``BaseEstimator`` that also accepts the deprecated names in ``RENAMED``.

    Subclasses list ``RENAMED = {old: Renamed(new)}`` and decorate ``__init__``
    with :func:`accepts_renamed`; ``set_params`` maps old names the same way.
    """

    RENAMED: dict[str, Renamed] = {}

    def set_params(self, **params):
        """Set parameters as scikit-learn does; deprecated names (``RENAMED``) are accepted with a FutureWarning. Returns self."""
        old = {key: params.pop(key) for key in list(params) if key in self.RENAMED}
        params.update(map_renamed(type(self).__name__, old, self.RENAMED, stacklevel=2, also_given=params))
        return super().set_params(**params)


class StreamEstimator(Estimator):
    """An estimator whose samples are event streams (a list of structured arrays), not
    rows of a matrix: the tags tell scikit-learn, whose data checks feed 2-D arrays."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags
