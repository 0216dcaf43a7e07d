"""Run configuration: a profile (smoke / cpu / paper) plus explicit overrides, saved as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

from dear.errors import shown

MODELS = ("nar", "nar-lt", "nar-hints", "dem", "dear")
PROFILES = ("smoke", "cpu", "official")
SOLVERS = ("anderson", "fixed_point", "broyden")
PROCESSORS = ("mpnn", "triplet")
BACKWARDS = ("ift", "phantom")
SELECT_BY = ("val_score", "val_loss")
INITS = ("zeros", "inputs")
#: Largest hidden size a config may ask for: weights are allocated when the model is built.
MAX_HIDDEN = 4096


def option(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A config field that is also a ``dear train`` flag: its help and allowed values live here,
    once; the CLI builds its flags from these fields (:func:`flags`)."""
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass
class TrainConfig:
    algorithm: str
    model: str = "nar"
    processor: str = "mpnn"
    profile: str = "cpu"
    seed: int = 0
    # optimisation (profile-controlled)
    hidden: int = option(64, "hidden size H")
    steps: int = option(1500, "optimiser steps (profile default otherwise)")
    batch_size: int = option(32, "graphs per batch")
    lr: float = option(3e-4, "Adam learning rate")
    grad_clip: float = 1.0
    train_samples: int = option(5000, "size of the fixed training set")
    train_sizes: tuple[int, int] = option(
        (8, 16), "smallest and largest training graph in nodes, e.g. 8,48 (validation and test sizes stay)")
    random_pos: bool = False  # CLRS's process_random_pos on every split (official: on)
    edge_p: tuple[float, ...] = option(
        (), "graph algorithms: edge probabilities to draw the training and validation graphs from, one per "
        "graph at random, e.g. 0.1,0.5,0.9 (default: the algorithm's own; test graphs keep it)")
    val_edge_p: tuple[float, ...] = option(
        (), "graph algorithms: edge probabilities of the validation graphs alone (default: as --edge-p), "
        "e.g. 0.25 with --val-size 128 to choose the kept weights on sparse graphs like users' ones (CLRS's "
        "undirected graphs keep an edge with p², so these have average degree 8)")
    val_samples: int = 100
    val_size: int = option(16, "validation graph size in nodes, where the kept weights are chosen (protocol: 16)")
    test_sizes: tuple[int, ...] = (16, 64)
    test_samples: int = 100
    eval_every: int = 150
    log_every: int = 25
    snapshot_steps: tuple[int, ...] = option(
        (), "keep the best weights so far at these steps, e.g. 1500,6000 (learning curves)")
    select_by: str = option(
        "val_score", "keep the weights with the best val_score or the lowest val_loss (official)", choices=SELECT_BY)
    checkpoint_every: int = option(150, "write a resumable checkpoint every K steps")
    init_from: str = option(
        "", "fine-tune: start from the kept weights of another run (its directory or a model.safetensors) "
        "with a fresh optimiser, e.g. to continue on larger graphs")
    # NAR variants
    teacher_forcing: float = option(0.0, "nar-hints: probability of feeding ground-truth hints")
    max_steps: int = 0  # nar-lt cap; 0 = 1.5x the largest training T (set at training start)
    # DEAR / DEM
    solver: str = option("anderson", "dear: root finder (anderson, fixed_point, broyden)", choices=SOLVERS)
    tol: float = option(1e-3, "dear: relative residual tolerance in training")
    max_iter: int = option(40, "dear: solver iteration cap in training")
    eval_tol: float = option(1e-3, "dear: tolerance at evaluation")
    eval_max_iter: int = option(64, "dear: iteration cap at evaluation")
    eval_patience: int = option(0, "dear: stop a graph at evaluation after K iterations with no new lowest residual")
    backward: str = option(
        "ift", "dear: gradient (ift = implicit differentiation where a graph converged, phantom steps where "
        "not; phantom = phantom steps for every graph)", choices=BACKWARDS)
    backward_tol: float = option(1e-3, "dear: tolerance of the ift backward's adjoint solve (official: 0.01)")
    backward_max_iter: int = option(40, "dear: iteration cap of the ift backward's adjoint solve")
    phantom_damping: float = option(
        0.5, "dear: phantom step z + d (f(z) - z) (official: 1, the decoded state is f(z*))")
    anderson_m: int = option(6, "dear: Anderson memory")
    jacobian_weight: float = option(0.0, "dear: Hutchinson Jacobian regulariser weight (paper: 1e-4)")
    state_noise: float = option(0.0, "dear: std of Gaussian state noise, training only")
    start_noise: float = option(
        0.0, "dear: std of Gaussian noise added to the start of every training solve, so that the answer is "
        "reached from around the start and not only from it; evaluation starts clean")
    granola: bool = False
    cgp: bool = False
    spectral_norm: bool = False  # dear: spectral normalisation of the processor's linear maps
    stochastic_steps: int = option(0, "dear: up to K extra solver steps drawn at random in training")
    align: str = option("", "dear: run directory of a trained NAR to align the solver trajectory to")
    align_weight: float = option(0.05, "dear: weight of the alignment loss (paper: 0.01-0.1)")
    correction_states: int = option(
        0, "dear: fixed-point correction, supervise the outputs of K states along the solve")
    correction_decay: float = option(0.8, "dear: weight decay of earlier correction states (state k of K: decay^(K-k))")
    init: str = option(
        "zeros", "dear: where the solve starts, zeros (paper) or inputs (the encoded inputs)", choices=INITS)
    dem_temperature: float = option(0.0, "dem: softmin temperature (0 = hard min-update)")
    dem_step_penalty: float = option(0.01, "dem: weight of the step penalty sum ||z_t+1 - z_t||^2")
    description: str = field(default="", repr=False)

    def validate(self) -> "TrainConfig":
        from dear.algorithms import get  # here: the CLI's help needs the config, not numba
        from dear.specs import check_algorithm

        check_algorithm(self.algorithm)
        self._check_types()
        choices = {"model": MODELS, "profile": PROFILES, "processor": PROCESSORS}
        choices |= {f.name: f.metadata["choices"] for f in fields(self) if f.metadata.get("choices")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of: {', '.join(allowed)}")
        if len(self.train_sizes) != 2:
            raise ValueError(f"option train_sizes must be a (lo, hi) pair, got {shown(list(self.train_sizes))}")
        lo, hi = self.train_sizes
        if min(lo, self.val_size, *self.test_sizes) < 2 or lo > hi:
            raise ValueError("graph sizes must be at least 2 and train_sizes an increasing (lo, hi) pair")
        for name in ("steps", "batch_size", "train_samples", "val_samples", "test_samples", "hidden", "max_iter",
                     "eval_max_iter", "backward_max_iter"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("seed", "eval_patience", "correction_states"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        if self.hidden > MAX_HIDDEN:
            raise ValueError(f"hidden must be at most {MAX_HIDDEN}, got {self.hidden}")
        for name in ("edge_p", "val_edge_p"):
            if not all(0 < p <= 1 for p in getattr(self, name)):
                raise ValueError(f"{name} must hold probabilities in (0, 1], got {shown(list(getattr(self, name)))}")
            if getattr(self, name) and not get(self.algorithm).is_graph:
                raise ValueError(f"{name} draws graphs; {self.algorithm} takes no graph")
        if self.spectral_norm and self.model != "dear":
            raise ValueError(f"--spectral-norm makes a DEAR's processor contractive; it does nothing for --model {self.model}")
        if self.align and self.model != "dear":
            raise ValueError(f"--align aligns a DEAR to a NAR run; it does nothing for --model {self.model}")
        if self.model == "dem" and (self.granola or self.cgp):
            raise ValueError("--granola and --cgp are DEAR/NAR switches; the DEM baseline does not take them")
        for name in ("tol", "eval_tol", "backward_tol"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.phantom_damping <= 1:
            raise ValueError(f"phantom_damping must be in (0, 1], got {self.phantom_damping}")
        for name in ("align_weight", "state_noise", "start_noise"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        return self

    def _check_types(self) -> None:
        """Every option has its default's type: a config file may hold anything."""
        for option in fields(self):
            value, default = getattr(self, option.name), option.default
            numbers = _numbers_list(option)
            if default is MISSING or _of_type(value, (0.0,) if numbers else default):
                continue
            kind = "a list of numbers" if numbers else _KINDS[type(default)]
            raise ValueError(f"option {option.name} must be {kind}, got {shown(value)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config option(s): {', '.join(sorted(unknown))}")
        data = dict(data)
        for key in ("train_sizes", "test_sizes", "snapshot_steps", "edge_p", "val_edge_p"):
            if isinstance(data.get(key), list):  # JSON's lists; anything else fails the type check
                data[key] = tuple(data[key])
        return cls(**data)

    @classmethod
    def load(cls, path: Path) -> "TrainConfig":
        try:
            return cls.from_dict(json.loads(Path(path).read_text())).validate()
        except (OSError, json.JSONDecodeError, TypeError) as error:
            raise ValueError(f"cannot read run config {path}: {error}") from None


_KINDS = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string",
          tuple: "a list of integers"}


def _numbers_list(option: Any) -> bool:
    """Whether a config field holds a list of numbers (``tuple[float, ...]``); other tuples hold
    integers (sizes, steps)."""
    return isinstance(option.default, tuple) and "float" in str(option.type)


def _of_type(value: Any, default: Any) -> bool:
    """Whether ``value`` has ``default``'s type (a tuple's elements: its first element's, else int)."""
    if isinstance(default, tuple):
        return isinstance(value, tuple) and all(_of_type(v, default[0] if default else 0) for v in value)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return type(value) is type(default)  # bool, int (not bool), str


def flags() -> dict[str, tuple[type, str]]:
    """``name -> (type, help)`` of every option that is a ``dear train`` flag: its default's
    type, ``tuple`` for a list of integers and ``list`` for a list of numbers."""
    return {f.name: (list if _numbers_list(f) else type(f.default), f.metadata["help"])
            for f in fields(TrainConfig) if "help" in f.metadata}


#: ``dear train``'s switches (``--granola``): config fields set by a flag with no value.
SWITCHES = ("granola", "cgp", "spectral_norm")


def train_command(config: Mapping[str, Any]) -> str:
    """The ``dear train`` command that trains ``config`` (a saved run's, as a dict): its
    algorithm, model, profile and seed, then every flag whose value differs from the profile's,
    so the command reproduces the run rather than what its name suggests. Differences no flag can
    express (a run from before the profile changed) follow as ``(not flags: name=value, ...)``."""
    run = asdict(TrainConfig.from_dict(dict(config)))  # fields the file predates take their defaults
    base = asdict(make_config(run["algorithm"], run["profile"], model=run["model"]))
    words = ["dear train", run["algorithm"], "--model", run["model"], "--profile", run["profile"],
             "--seed", str(run["seed"])]
    if run["processor"] != base["processor"]:
        words += ["--processor", run["processor"]]
    words += ["--" + name.replace("_", "-") for name in SWITCHES if run[name]]
    settable = {"algorithm", "model", "profile", "seed", "processor", *SWITCHES, *flags()}
    for name in flags():
        if run[name] != base[name]:
            words += ["--" + name.replace("_", "-"), _flag_value(run[name])]
    fixed = [f"{name}={_flag_value(run[name])}" for name in base
             if name not in settable and name not in ("max_steps", *RUN_PROSE) and run[name] != base[name]]
    return " ".join(words) + (f" (not flags: {', '.join(fixed)})" if fixed else "")


def _flag_value(value: Any) -> str:
    """A config value as ``dear train`` reads it (lists comma-separated, floats shortest)."""
    if isinstance(value, tuple):
        return ",".join(map(_flag_value, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


#: What names a run without changing what it trains: a profile's prose.
RUN_PROSE = ("description",)


def same_recipe(a: Mapping[str, Any], b: Mapping[str, Any], ignoring: Iterable[str] = ()) -> bool:
    """Whether two configs (as dicts) train the same model, their prose and the options
    ``ignoring`` (e.g. the step budget a resumed run extends) aside."""
    skip = {*RUN_PROSE, *ignoring}
    return {k: v for k, v in a.items() if k not in skip} == {k: v for k, v in b.items() if k not in skip}


def profile_defaults(profile: str) -> dict[str, Any]:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    text = resources.files("dear.configs").joinpath(f"{profile}.json").read_text()
    return json.loads(text)


def make_config(algorithm: str, profile: str = "cpu", **overrides: Any) -> TrainConfig:
    """Profile defaults, then explicit overrides (``None`` means: keep the profile's value)."""
    data = {"algorithm": algorithm, "profile": profile, **profile_defaults(profile)}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.from_dict(data).validate()
