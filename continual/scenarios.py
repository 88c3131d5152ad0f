"""Continual-learning scenarios: a data set cut into a sequence of tasks.

A :class:`Scenario` is a list of :class:`Task` objects, each holding its own
train and test arrays. Builders follow the usual protocols (van de Ven & Tolias,
"Three scenarios for continual learning", arXiv 1904.07734):

- :func:`split_scenario` with ``mode="class"``: class-incremental, one head over
  all classes, no task id at test time (Split-MNIST, Split-CIFAR, ...).
- :func:`split_scenario` with ``mode="task"``: task-incremental, the task's
  classes are known at test time (multi-head by masking the logits).
- :func:`permuted_scenario`: domain-incremental Permuted-MNIST (Goodfellow et
  al. 2013, arXiv 1312.6211), one fixed pixel permutation per task.

Arrays stay NumPy (no torch here). Inputs keep their stored dtype (``uint8``
images stay ``uint8`` so a raw-replay buffer is counted in honest bytes);
strategies turn them into float tensors (``uint8`` is scaled to [0, 1]).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

MODES = ("class", "task", "domain")


@dataclass(frozen=True, eq=False)
class Task:
    """One experience: train and test data of one task.

    ``classes`` are the labels the task's *test* set holds (and, without blurry
    boundaries, its training set). Labels are global class ids, not re-indexed.
    """

    task_id: int
    classes: tuple[int, ...]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mode: str = "class"

    @property
    def n_train(self) -> int:
        """Number of training samples."""
        return int(len(self.y_train))

    @property
    def n_test(self) -> int:
        """Number of test samples."""
        return int(len(self.y_test))

    def __repr__(self) -> str:
        return (f"Task(task_id={self.task_id}, classes={self.classes}, mode={self.mode!r}, "
                f"n_train={self.n_train}, n_test={self.n_test})")


@dataclass(eq=False)
class Scenario:
    """A sequence of tasks over ``n_classes`` classes with inputs of ``input_shape``."""

    tasks: list[Task]
    n_classes: int
    input_shape: tuple[int, ...]
    mode: str = "class"
    class_order: tuple[int, ...] = ()
    name: str = ""
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def __getitem__(self, index: int) -> Task:
        return self.tasks[index]

    @property
    def n_tasks(self) -> int:
        """Number of tasks."""
        return len(self.tasks)

    def __repr__(self) -> str:
        return (f"Scenario(name={self.name!r}, mode={self.mode!r}, n_tasks={self.n_tasks}, "
                f"n_classes={self.n_classes}, input_shape={self.input_shape}, "
                f"class_order={self.class_order})")


def _check_arrays(X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name}: labels must be 1-D, got shape {y.shape}")
    if X.ndim < 2 or len(X) != len(y):
        raise ValueError(f"{name}: X must be (n_samples, ...) with one row per label; "
                         f"got X {X.shape}, y {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name}: labels must be integers, got dtype {y.dtype}")
    return X, y.astype(np.int64, copy=False)


def resolve_class_order(classes: Sequence[int], class_order=None, seed: int | None = None) -> tuple[int, ...]:
    """Order in which classes arrive.

    ``None`` or ``"sorted"``: ascending; ``"random"``: a permutation drawn with
    ``seed``; a sequence: used as given (must be a permutation of ``classes``).
    """
    classes = sorted(int(c) for c in classes)
    if class_order is None or (isinstance(class_order, str) and class_order == "sorted"):
        return tuple(classes)
    if isinstance(class_order, str):
        if class_order != "random":
            raise ValueError(f"class_order must be 'sorted', 'random' or a list of classes, got {class_order!r}")
        return tuple(int(c) for c in np.random.default_rng(seed).permutation(classes))
    order = tuple(int(c) for c in class_order)
    if sorted(order) != classes:
        raise ValueError(f"class_order {list(order)} is not a permutation of the data's classes {classes}")
    return order


def split_scenario(X_train, y_train, X_test, y_test, *, n_tasks: int | None = None,
                   classes_per_task: int | None = None, class_order=None, mode: str = "class",
                   blurry: float = 0.0, seed: int | None = 0, name: str = "split") -> Scenario:
    """Split a labelled data set into tasks of disjoint classes.

    Give ``n_tasks`` or ``classes_per_task`` (both: they must agree); the number
    of classes must be divisible. ``blurry`` in [0, 1) moves that fraction of
    each task's training samples to a neighbouring task (the previous or next
    one, chosen at random; the first task's go to the second, the last task's
    to the one before), so task boundaries are blurred as in Aljundi et al.
    2019 / Bang et al. 2021 ("blurry" CL). Every training sample still belongs
    to exactly one task; test sets are never blurred.
    """
    X_train, y_train = _check_arrays(X_train, y_train, "train data")
    X_test, y_test = _check_arrays(X_test, y_test, "test data")
    if X_train.shape[1:] != X_test.shape[1:]:
        raise ValueError(f"train and test inputs differ in shape: {X_train.shape[1:]} vs {X_test.shape[1:]}")
    if mode not in ("class", "task"):
        raise ValueError(f"split scenarios have mode 'class' or 'task', got {mode!r}")
    blurry = float(blurry)
    if not 0.0 <= blurry < 1.0:
        raise ValueError(f"blurry must be in [0, 1), got {blurry}")
    if blurry and mode == "task":
        raise ValueError("blurry boundaries need mode='class' (a task-incremental head cannot "
                         "hold classes of another task)")
    classes = np.unique(y_train)
    missing = sorted(set(np.unique(y_test).tolist()) - set(classes.tolist()))
    if missing:
        raise ValueError(f"test labels {missing} never occur in the training data")
    n_classes = len(classes)
    if n_tasks is None and classes_per_task is None:
        raise ValueError("give n_tasks or classes_per_task")
    if classes_per_task is not None:
        classes_per_task = int(classes_per_task)
        if classes_per_task < 1 or n_classes % classes_per_task:
            raise ValueError(f"classes_per_task={classes_per_task} does not divide the {n_classes} classes")
        derived = n_classes // classes_per_task
        if n_tasks is not None and int(n_tasks) != derived:
            raise ValueError(f"n_tasks={n_tasks} and classes_per_task={classes_per_task} disagree "
                             f"for {n_classes} classes")
        n_tasks = derived
    n_tasks = int(n_tasks)
    if n_tasks < 1 or n_classes % n_tasks:
        raise ValueError(f"n_tasks={n_tasks} does not divide the {n_classes} classes")
    if blurry and n_tasks < 2:
        raise ValueError("blurry boundaries need at least 2 tasks")
    per_task = n_classes // n_tasks
    order = resolve_class_order(classes, class_order, seed)
    groups = [order[i * per_task:(i + 1) * per_task] for i in range(n_tasks)]

    train_idx = [np.flatnonzero(np.isin(y_train, g)) for g in groups]
    test_idx = [np.flatnonzero(np.isin(y_test, g)) for g in groups]
    if blurry:
        train_idx = _blur(train_idx, blurry, np.random.default_rng(seed))
    tasks = [Task(task_id=i, classes=tuple(groups[i]), X_train=X_train[train_idx[i]],
                  y_train=y_train[train_idx[i]], X_test=X_test[test_idx[i]],
                  y_test=y_test[test_idx[i]], mode=mode) for i in range(n_tasks)]
    return Scenario(tasks=tasks, n_classes=int(classes.max()) + 1, input_shape=tuple(X_train.shape[1:]),
                    mode=mode, class_order=order, name=name,
                    info={"classes_per_task": per_task, "blurry": blurry, "seed": seed,
                          "train_indices": train_idx})


def _blur(indices: list[np.ndarray], fraction: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Move ``fraction`` of each task's samples to a neighbouring task (no loss, no duplicates)."""
    n = len(indices)
    outgoing = [[] for _ in range(n)]
    kept = []
    for i, idx in enumerate(indices):
        idx = rng.permutation(idx)
        n_move = int(round(fraction * len(idx)))
        moved, stay = idx[:n_move], idx[n_move:]
        kept.append(stay)
        if i == 0:
            targets = np.ones(n_move, dtype=int)
        elif i == n - 1:
            targets = np.full(n_move, n - 2)
        else:
            targets = np.where(rng.random(n_move) < 0.5, i - 1, i + 1)
        for j in range(n):
            outgoing[j].append(moved[targets == j])
    # Shuffle within each task so leaked samples are not all at the end.
    return [rng.permutation(np.concatenate([kept[j], *outgoing[j]])) for j in range(n)]


def permuted_scenario(X_train, y_train, X_test, y_test, *, n_tasks: int = 10, seed: int | None = 0,
                      keep_first: bool = True, name: str = "permuted") -> Scenario:
    """Permuted-MNIST style domain-incremental tasks: one fixed pixel permutation per task.

    All tasks hold all classes. With ``keep_first`` the first task sees the
    original images (the common convention); permutations are drawn with ``seed``.
    """
    X_train, y_train = _check_arrays(X_train, y_train, "train data")
    X_test, y_test = _check_arrays(X_test, y_test, "test data")
    n_tasks = int(n_tasks)
    if n_tasks < 1:
        raise ValueError(f"n_tasks must be >= 1, got {n_tasks}")
    shape = X_train.shape[1:]
    flat_train = X_train.reshape(len(X_train), -1)
    flat_test = X_test.reshape(len(X_test), -1)
    rng = np.random.default_rng(seed)
    classes = tuple(int(c) for c in np.unique(y_train))
    tasks, perms = [], []
    for i in range(n_tasks):
        perm = np.arange(flat_train.shape[1]) if (i == 0 and keep_first) else rng.permutation(flat_train.shape[1])
        perms.append(perm)
        tasks.append(Task(task_id=i, classes=classes,
                          X_train=flat_train[:, perm].reshape((-1, *shape)), y_train=y_train,
                          X_test=flat_test[:, perm].reshape((-1, *shape)), y_test=y_test, mode="domain"))
    return Scenario(tasks=tasks, n_classes=int(max(classes)) + 1, input_shape=tuple(shape), mode="domain",
                    class_order=classes, name=name, info={"seed": seed, "permutations": perms})


def replace_tasks(scenario: Scenario, tasks: list[Task]) -> Scenario:
    """A copy of ``scenario`` with other tasks (e.g. features instead of raw inputs)."""
    shape = tuple(tasks[0].X_train.shape[1:]) if tasks else scenario.input_shape
    return dataclasses.replace(scenario, tasks=list(tasks), input_shape=shape)
