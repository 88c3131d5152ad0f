"""Benchmark runner: every (strategy, seed) of a config, resumable, one folder per run.

Layout of an output folder::

    OUT/config.json                    the whole config + versions (latest invocation)
    OUT/<label>/seed_<s>/run.json      config of this run, seed, versions, strategy options
    OUT/<label>/seed_<s>/checkpoint.pt model + strategy state after the last finished task
    OUT/<label>/seed_<s>/metrics.json  accuracy matrix, baseline b, metrics (written when complete)
    OUT/<label>/seed_<s>/metrics.csv   one row per task: accuracies after that task, time, memory
                                       (replay bytes, and total bytes with any kNN/prototype memory)

A run whose ``metrics.json`` exists is skipped; a run with a checkpoint resumes
after its last finished task, so killing the command and starting it again
loses at most the task in progress. Every file is written atomically.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from evlearn.config import from_dict, read_config_file, spec, validate_config
from evlearn.continual import sweep
from evlearn.io import atomic_path, read_json, run_record, write_csv, write_json
from evlearn.progress import progress_bar
from evlearn.validation import check_number

SCENARIO_KINDS = ("class", "task", "permuted")
BASE_TRAIN_KEYS = ("n_epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "device")


def _check_class_order(value, name):
    if value in ("sorted", "random"):
        return
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, int) and not isinstance(c, bool) for c in value):
        raise ValueError(f"{name}: must be \"sorted\", \"random\" or a list of class labels (integers), got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{name}: lists a class twice: {list(value)}")


def _check_seeds(value, name):
    if not value or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value):
        raise ValueError(f"{name}: give a non-empty list of integers >= 0, got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{name}: duplicates in {list(value)}")


def _check_tables(value, name):
    for key, options in value.items():
        if not isinstance(options, dict):
            raise ValueError(f"{name}.{key}: expected a table of options, got {options!r}")


# One dataclass per config section: its fields' types and spec() ranges are that section's schema.
@dataclass
class DataConfig:
    name: str = "mnist"            # mnist | fashion | emnist-letters | cifar10 | cifar100 | nmnist | synthetic
    root: str = ""                 # folder with the files (relative: from the current folder)
    features: str = spec("count_frame", choices=("count_frame", "feast"))   # nmnist only
    feast_model: str = ""          # nmnist + feast: path of a saved FEAST model
    options: dict = field(default_factory=dict)  # synthetic: n_classes, n_features, ...; count_frame: scale
    test_from_train: float = 0.0   # stratified fraction of Train moved to the test set (fixed seed 0)


@dataclass
class ScenarioConfig:
    kind: str = spec("class", choices=SCENARIO_KINDS)
    n_tasks: int = spec(5, low=1)
    classes_per_task: int = spec(0, low=0)   # 0: derived from n_tasks
    class_order: Any = spec("sorted", check=_check_class_order)  # "sorted" | "random" (run's seed) | classes
    blurry: float = spec(0.0, low=0.0, high=1.0, high_open=True)  # fraction moved to a neighbour task


@dataclass
class BackboneConfig:
    name: str = "mlp"
    options: dict = field(default_factory=dict)


@dataclass
class TrainConfig:
    n_epochs: int = spec(1, low=1)   # per task ("epochs" before docs/conventions.md: accepted, warns)
    batch_size: int = spec(32, low=1)
    lr: float = spec(0.001, low=0.0, low_open=True)
    optimizer: str = spec("adam", choices=("sgd", "adam"))
    momentum: float = spec(0.0, low=0.0, high=1.0, high_open=True)
    weight_decay: float = spec(0.0, low=0.0)
    device: str = "auto"


@dataclass
class BenchConfig:
    """One experiment: a scenario, a backbone and several strategies over several seeds.

    ``strategies`` items are names (``"er"``) or tables
    ``{name = "er", label = "er_500", options = {memory_size = 500}}``; ``options``
    maps a strategy name or label to its options (tables override both).
    ``memory_size`` (samples) goes to every strategy that takes a ``memory_size``.
    """

    name: str = "bench"
    seeds: list = spec(default_factory=lambda: [0], check=_check_seeds)
    strategies: list = field(default_factory=lambda: ["naive"])
    memory_size: int = spec(200, low=0)
    data: DataConfig = field(default_factory=DataConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    options: dict = spec(default_factory=dict, check=_check_tables)
    sweep: dict = field(default_factory=dict)   # e.g. {"er.memory_size": [100, 200]}: see continual/sweep.py


@dataclass(frozen=True)
class RunSpec:
    label: str
    strategy: str
    options: dict


def read_bench_config(path) -> BenchConfig:
    """Read a :class:`BenchConfig` from a TOML or YAML file (unknown keys are errors).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.toml``, ``.yaml`` or ``.yml`` file with the fields of :class:`BenchConfig`.

    Returns
    -------
    BenchConfig

    Raises
    ------
    ValueError
        An unknown key or a bad value, named with the file (docs/continual.md lists the keys).

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("bench.toml").write_text('''
    ... name = "demo"
    ... strategies = ["naive", "er"]
    ... memory_size = 40
    ... [data]
    ... name = "synthetic"      # 4 Gaussian blobs, 16 features
    ... [scenario]
    ... n_tasks = 2
    ... [train]
    ... n_epochs = 3
    ... device = "cpu"
    ... ''')
    >>> from evlearn.continual.runner import read_bench_config
    >>> config = read_bench_config("bench.toml")
    >>> config.strategies, config.scenario.kind, config.train.n_epochs
    (['naive', 'er'], 'class', 3)
    """
    data = upgrade_config(read_config_file(path), str(path))
    try:
        return from_dict(BenchConfig, data, where="")
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def upgrade_config(data: dict, where: str = "config") -> dict:
    """``data`` with keys renamed by docs/conventions.md mapped to the new names (a FutureWarning each)."""
    from evlearn.continual.strategies import upgrade_options

    if isinstance(data, dict) and isinstance(data.get("train"), dict):
        data = {**data, "train": upgrade_options(f"{where}: [train]", data["train"], stacklevel=4)}
    return data


def as_config(config) -> BenchConfig:
    """A :class:`BenchConfig` from a BenchConfig, a dict of its fields, or a config file path."""
    if isinstance(config, BenchConfig):
        return config
    if isinstance(config, dict):
        return from_dict(BenchConfig, upgrade_config(config))
    return read_bench_config(config)


# ------------------------------------------------------------------ validation
def run_specs(cfg: BenchConfig) -> list[RunSpec]:
    """The (label, strategy, options) of each strategy entry, checked against the registry."""
    from evlearn.continual.strategies import check_options, get_strategy_class, upgrade_options

    if not isinstance(cfg.strategies, (list, tuple)) or not cfg.strategies:
        raise ValueError("strategies: give a non-empty list of strategy names or tables")
    swept = sweep.flatten(cfg.sweep, BASE_TRAIN_KEYS)
    specs, targets = [], set()
    for i, entry in enumerate(cfg.strategies):
        if isinstance(entry, str):
            name, label, inline = entry, entry, {}
        elif isinstance(entry, dict):
            unknown = sorted(set(entry) - {"name", "label", "options"})
            if "name" not in entry or unknown:
                raise ValueError(f"strategies[{i}]: a table needs `name` and may have `label`, `options`"
                                 + (f"; unknown key(s) {unknown}" if unknown else ""))
            name, label, inline = entry["name"], entry.get("label", entry["name"]), entry.get("options", {})
            if not isinstance(inline, dict):
                raise ValueError(f"strategies[{i}].options: expected a table of options, got {inline!r}")
        else:
            raise ValueError(f"strategies[{i}]: expected a name or a table, got {entry!r}")
        get_strategy_class(name)
        if not str(label).replace("-", "_").replace(".", "_").isidentifier():
            raise ValueError(f"strategies[{i}]: label {label!r} must be a simple folder name")
        options = {**cfg.options.get(name, {}), **(cfg.options.get(label, {}) if label != name else {}), **inline}
        options = upgrade_options(f"strategy {label!r} ({name})", options, stacklevel=4)
        points = sweep.expand(str(label), name, options, swept)
        for point_label, point_options in points:
            check_options(name, point_options, where=f"strategy {point_label!r} ({name})")
        specs.extend(RunSpec(point_label, name, point_options) for point_label, point_options in points)
        targets.update((name, str(label)))
    sweep.check_targets(swept, targets)
    labels = [s.label for s in specs]
    duplicates = sorted({x for x in labels if labels.count(x) > 1})
    if duplicates:
        raise ValueError(f"strategies: duplicate label(s) {duplicates}; give each entry its own `label`")
    from evlearn.continual.strategies import STRATEGIES

    stray = sorted(set(cfg.options) - set(STRATEGIES) - set(labels))  # options of unused strategies are fine
    if stray:
        raise ValueError(f"options: {stray} is neither a strategy nor a label of this config ({labels})")
    return specs


def validate(cfg: BenchConfig) -> list[RunSpec]:
    """Every check that needs no data and no training; raises one clear ValueError."""
    from evlearn.continual.backbones import BACKBONES, load_plugins
    from evlearn.continual.data import DATASETS, N_CLASSES, check_root

    validate_config(cfg, where="")   # each section against its schema: types, ranges, choices
    specs = run_specs(cfg)
    if cfg.data.name not in DATASETS:
        raise ValueError(f"data.name: unknown data set {cfg.data.name!r}; known: {list(DATASETS)}")
    _check_data_options(cfg.data)
    if cfg.data.name != "synthetic":
        check_root(cfg.data.name, cfg.data.root)
    check_number(cfg.data.test_from_train, "data.test_from_train", low=0.0, high=1.0, high_open=True)
    sc = cfg.scenario
    n_classes = N_CLASSES[cfg.data.name] if cfg.data.name != "synthetic" else \
        int(cfg.data.options.get("n_classes", 4))
    if sc.kind != "permuted":
        if sc.classes_per_task and n_classes % sc.classes_per_task:
            raise ValueError(f"scenario.classes_per_task={sc.classes_per_task} does not divide the "
                             f"{n_classes} classes of {cfg.data.name}")
        if not sc.classes_per_task and n_classes % sc.n_tasks:
            raise ValueError(f"scenario.n_tasks={sc.n_tasks} does not divide the {n_classes} classes "
                             f"of {cfg.data.name}")
    if cfg.backbone.name not in BACKBONES:
        load_plugins()
        if cfg.backbone.name not in BACKBONES:
            raise ValueError(f"backbone.name: unknown backbone {cfg.backbone.name!r}; known: {sorted(BACKBONES)}")
    if isinstance(sc.class_order, (list, tuple)) and sc.kind != "permuted" and len(sc.class_order) != n_classes:
        raise ValueError(f"scenario.class_order lists {len(sc.class_order)} classes; {cfg.data.name} has {n_classes}")
    check_train_used(cfg, specs)
    from evlearn.continual.backbones import default_device

    default_device(cfg.train.device)
    return specs


def _check_data_options(data: DataConfig) -> None:
    """data.options against the keyword arguments of the loader that receives them."""
    import inspect

    from evlearn.continual.data import load_nmnist_features, synthetic_blobs

    loader = {"synthetic": synthetic_blobs, "nmnist": load_nmnist_features}.get(data.name)
    if loader is None:
        if data.options:
            raise ValueError(f"data.options: data set {data.name!r} takes no options, got {sorted(data.options)}")
        return
    parameters = inspect.signature(loader).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return   # forwarded to a feature extractor that checks them itself
    accepted = set(parameters) - {"root", "features", "feast_model", "progress", "seed"}
    unknown = sorted(set(data.options) - accepted)
    if unknown:
        raise ValueError(f"data.options: unknown key(s) {unknown} for {data.name!r}; valid: {sorted(accepted)}")


def check_train_used(cfg: BenchConfig, specs: list[RunSpec]) -> None:
    """A [train] setting changed from its default must be used by some strategy of the config."""
    from evlearn.continual.strategies import strategy_parameters

    used = set().union(*(strategy_parameters(spec.strategy) for spec in specs))
    defaults = TrainConfig()
    unused = [f"train.{key}" for key in BASE_TRAIN_KEYS
              if key not in used and getattr(cfg.train, key) != getattr(defaults, key)]
    if unused:
        names = sorted({spec.strategy for spec in specs})
        raise ValueError(f"{', '.join(unused)} set, but no strategy of this config uses it ({names}); "
                         f"remove it (SHARP, for one, has its own schedule and options)")


# ------------------------------------------------------------------ building blocks
def build_scenario(cfg: BenchConfig, arrays, seed: int):
    """The scenario of ``cfg`` on the loaded ``arrays`` (X_train, y_train, X_test, y_test), drawn with ``seed``."""
    from evlearn.continual.scenarios import permuted_scenario, split_scenario

    sc = cfg.scenario
    if sc.kind == "permuted":
        return permuted_scenario(*arrays, n_tasks=sc.n_tasks, seed=seed, name=cfg.name)
    return split_scenario(*arrays, n_tasks=None if sc.classes_per_task else sc.n_tasks,
                          classes_per_task=sc.classes_per_task or None, class_order=sc.class_order,
                          mode=sc.kind, blurry=sc.blurry, seed=seed, name=cfg.name)


def build_strategy(cfg: BenchConfig, spec: RunSpec, scenario, seed: int, progress: bool = False):
    """A seeded backbone wrapped in the strategy of ``spec``, with the config's training and strategy options."""
    import torch

    from evlearn.continual.backbones import make_backbone
    from evlearn.continual.strategies import make_strategy, strategy_parameters

    torch.manual_seed(seed)
    model = make_backbone(cfg.backbone.name, scenario.input_shape, scenario.n_classes, **cfg.backbone.options)
    accepted = strategy_parameters(spec.strategy)
    kwargs = {k: getattr(cfg.train, k) for k in BASE_TRAIN_KEYS if k in accepted}
    if "memory_size" in accepted:
        kwargs["memory_size"] = cfg.memory_size
    kwargs.update(spec.options)
    return make_strategy(spec.strategy, model, seed=seed, progress=progress, **kwargs)


def run_config(cfg: BenchConfig, spec: RunSpec, seed: int) -> dict:
    """What must match for a stored run to be resumed or reused (JSON-ready, as stored in run.json)."""
    full = dataclasses.asdict(cfg)
    return _json_roundtrip({"name": cfg.name, "data": full["data"], "scenario": full["scenario"],
            "backbone": full["backbone"], "train": full["train"], "memory_size": cfg.memory_size,
            "strategy": spec.strategy, "label": spec.label, "options": spec.options, "seed": seed})


PATH_SETTINGS = ("data.root", "data.feast_model")


def _flatten(value, prefix=""):
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def config_changes(stored: dict, wanted: dict) -> list[str]:
    """The settings of a stored run config that differ from ``wanted``, as "key: old -> new".

    A setting added since the run was stored counts as unchanged when it has its
    default value; a key renamed by docs/conventions.md is compared under its new
    name; the data paths are compared as folders (absolute or relative alike).
    """
    from evlearn.continual.strategies import RENAMED_OPTIONS

    defaults = _flatten(run_config(BenchConfig(), RunSpec("", "", {}), 0))
    stored = dict(stored or {})
    if isinstance(stored.get("train"), dict):
        stored["train"] = {RENAMED_OPTIONS.get(k, k): v for k, v in stored["train"].items()}
    old, new = _flatten(stored), _flatten(wanted)
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, defaults.get(key)), new.get(key, defaults.get(key))
        if key in PATH_SETTINGS and a and b and Path(a).resolve() == Path(b).resolve():
            continue
        if a != b:
            changes.append(f"{key}: {a!r} -> {b!r}")
    return changes


def check_same_run(record_path: Path, wanted: dict) -> None:
    """ValueError naming the changed settings when ``record_path`` holds a run of another config."""
    if not record_path.is_file():
        return
    changes = config_changes(read_json(record_path).get("run_config"), wanted)
    if changes:
        shown = "; ".join(changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
        raise ValueError(f"{record_path.parent} holds a run of a different config ({shown}); use another "
                         f"--out folder or remove that run folder")


def _json_roundtrip(value):
    import json

    from evlearn.io import _to_jsonable

    return json.loads(json.dumps(_to_jsonable(value)))


# ------------------------------------------------------------------ one run
def run_one(cfg: BenchConfig, spec: RunSpec, seed: int, arrays, run_dir, *, progress: bool = False,
            after_task: Callable | None = None) -> dict:
    """Train one strategy with one seed over all tasks; resume from ``run_dir`` when possible."""
    import torch

    from evlearn.continual import metrics

    run_dir = Path(run_dir)
    metrics_path = run_dir / "metrics.json"
    record_path = run_dir / "run.json"
    checkpoint_path = run_dir / "checkpoint.pt"
    wanted = run_config(cfg, spec, seed)
    check_same_run(record_path, wanted)
    if metrics_path.is_file():
        return read_json(metrics_path)

    scenario = build_scenario(cfg, arrays, seed)
    strategy = build_strategy(cfg, spec, scenario, seed, progress=progress)
    T = scenario.n_tasks
    if checkpoint_path.is_file():
        state = torch.load(checkpoint_path, map_location=strategy.device, weights_only=True)
        strategy.load_state_dict(state["strategy"])
        R = state["R"].numpy()
        b = state["b"].numpy()
        seconds = list(state["seconds"])
        memory = list(state["memory"])
        total = list(state.get("total", memory))   # checkpoints before total memory was recorded
        start = int(state["tasks_done"])
        cpu = list(state.get("cpu", [None] * start))   # checkpoints before CPU time was recorded
    else:
        R = np.full((T, T), np.nan)
        b = np.array([strategy.evaluate(task) for task in scenario])  # random-init baseline (FWT)
        seconds, cpu, memory, total, start = [], [], [], [], 0
        write_json(record_path, run_record(None, seed, run_config=wanted, strategy_class=type(strategy).__name__,
                                           paper=getattr(strategy, "paper", "")))

    tasks = progress_bar(range(start, T), progress, desc=f"{spec.label} seed {seed}", unit="task",
                         initial=start, total=T)
    for i in tasks:
        t0, c0 = time.perf_counter(), time.process_time()
        strategy.train_task(scenario[i])
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)      # CPU time: comparable across runs of a loaded machine
        R[i] = [strategy.evaluate(task) for task in scenario]
        memory.append(int(strategy.memory_bytes()))
        total.append(int(strategy.total_memory_bytes()))
        state = {"strategy": strategy.state_dict(), "R": torch.from_numpy(R), "b": torch.from_numpy(b),
                 "seconds": seconds, "cpu": cpu, "memory": memory, "total": total, "tasks_done": i + 1}
        with atomic_path(checkpoint_path) as tmp:
            torch.save(state, tmp)
        if after_task is not None:
            after_task(spec.label, seed, i)

    summary = metrics.summarize(R, b, train_seconds=seconds, memory_bytes=memory)
    result = {"label": spec.label, "strategy": spec.strategy, "seed": seed, **summary,
              "accuracy_matrix": R, "random_init_accuracy": b, "accuracy_curve": metrics.accuracy_curve(R),
              "forgetting_per_task": metrics.forgetting_per_task(R), "task_seconds": seconds,
              "task_cpu_seconds": cpu, "train_cpu_seconds": None if None in cpu else float(np.sum(cpu)),
              "memory_bytes_after_task": memory, "total_memory_bytes_after_task": total,
              "peak_total_memory_bytes": max(total), "task_classes": [list(t.classes) for t in scenario],
              "n_train_per_task": [t.n_train for t in scenario], "device": str(strategy.device)}
    rows = [{"after_task": i, **{f"acc_task_{j}": R[i, j] for j in range(T)},
             "average_seen": result["accuracy_curve"][i], "train_seconds": seconds[i],
             "memory_bytes": memory[i], "total_memory_bytes": total[i]} for i in range(T)]
    write_csv(run_dir / "metrics.csv", rows)
    write_json(metrics_path, result)          # last: its presence marks the run complete
    checkpoint_path.unlink(missing_ok=True)
    return read_json(metrics_path)


# ------------------------------------------------------------------ the whole benchmark
def run_benchmark(config, out, *, progress: bool = False, after_task: Callable | None = None,
                  log: Callable[[str], None] | None = None, executor=None) -> list[dict]:
    """Run (or resume) every (strategy, seed) of ``config`` into folder ``out``.

    The command ``evlearn bench run`` calls it; the folder layout is in the module
    docstring. Finished runs are skipped, interrupted ones resume after their last task.

    Parameters
    ----------
    config : BenchConfig, dict or path
        The experiment: a :class:`BenchConfig`, a dict of its fields, or a TOML/YAML file.
    out : str or os.PathLike
        Output folder (created).
    progress : bool, default False
        Progress bars over tasks and epochs.
    after_task : callable, optional
        Called after each task of each run.
    log : callable, optional
        Told one line of text per run (e.g. ``print``).
    executor : evlearn.parallel.Executor, optional
        Runs each unfinished (strategy, seed) as one task, e.g. on Dask workers;
        results equal a serial run's.

    Returns
    -------
    list of dict
        One metrics record per (strategy, seed), in config order: ``label``,
        ``seed``, ``accuracy_matrix`` (R[i][j]: accuracy on task j after task i),
        ``average_accuracy``, ``average_forgetting``, ``bwt``, ``fwt``, memory and times.

    Raises
    ------
    ValueError
        A bad config, missing data, or a stored run made with different settings.

    Examples
    --------
    >>> from pathlib import Path
    >>> _ = Path("bench.toml").write_text('''
    ... name = "demo"
    ... strategies = ["naive", "er"]
    ... memory_size = 40
    ... [data]
    ... name = "synthetic"      # 4 Gaussian blobs, 16 features
    ... [scenario]
    ... n_tasks = 2
    ... [train]
    ... n_epochs = 3
    ... device = "cpu"
    ... ''')
    >>> from evlearn.continual.runner import run_benchmark
    >>> results = run_benchmark("bench.toml", "out")
    >>> [(r["label"], len(r["accuracy_matrix"])) for r in results]   # a 2 x 2 matrix per strategy
    [('naive', 2), ('er', 2)]
    >>> sorted(p.name for p in Path("out/er/seed_0").iterdir())
    ['metrics.csv', 'metrics.json', 'run.json']
    """
    from evlearn.continual.data import load_arrays

    cfg = as_config(config)
    specs = validate(cfg)
    out = Path(out)
    todo = [(s, seed) for s in specs for seed in cfg.seeds
            if not (out / s.label / f"seed_{seed}" / "metrics.json").is_file()]
    for spec, seed in [(s, seed) for s in specs for seed in cfg.seeds]:   # config clashes: fail before training
        check_same_run(out / spec.label / f"seed_{seed}" / "run.json", run_config(cfg, spec, seed))
    arrays = None
    if todo:
        arrays = load_arrays(cfg.data.name, cfg.data.root, features=cfg.data.features,
                             feast_model=cfg.data.feast_model, test_from_train=cfg.data.test_from_train,
                             progress=progress, **cfg.data.options)
        scenario = build_scenario(cfg, arrays, cfg.seeds[0])   # scenario errors before any training or file
        for spec in {spec.label: spec for spec, _ in todo}.values():   # and strategy errors (e.g. SHARP's arch)
            try:
                build_strategy(cfg, spec, scenario, cfg.seeds[0])
            except ValueError as err:
                raise ValueError(f"strategy {spec.label!r}: {err}") from None
    write_json(out / "config.json", run_record(cfg, None, runs=[s.label for s in specs]))
    if executor is None or executor.is_serial:
        results = []
        for spec in specs:
            for seed in cfg.seeds:
                run_dir = out / spec.label / f"seed_{seed}"
                done = (run_dir / "metrics.json").is_file()
                if log:
                    log(f"{spec.label} seed {seed}: " + ("done already, skipped" if done else "running"))
                results.append(run_one(cfg, spec, seed, arrays, run_dir, progress=progress, after_task=after_task))
        return results
    # one task per unfinished run; workers write their run folders (a shared file system on a cluster)
    if log:
        log(f"{len(todo)} run(s) to do on {executor.n_workers} Dask worker(s), "
            f"{len(specs) * len(cfg.seeds) - len(todo)} done already, skipped")
    tasks = [(cfg, spec, seed, str((out / spec.label / f"seed_{seed}").resolve()), after_task)
             for spec, seed in todo]
    executor.map(_run_task, tasks, shared=arrays, progress=progress, desc="runs")
    return [read_json(out / spec.label / f"seed_{seed}" / "metrics.json") for spec in specs for seed in cfg.seeds]


def _run_task(task, arrays) -> None:
    """One run on a Dask worker (module level, so workers can import it)."""
    cfg, spec, seed, run_dir, after_task = task
    run_one(cfg, spec, seed, arrays, run_dir, after_task=after_task)
