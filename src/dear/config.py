"""Run configuration: a profile (smoke / cpu / paper) plus explicit overrides, saved as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from dear.errors import shown

MODELS = ("nar", "nar-lt", "nar-hints", "dem", "dear")
PROFILES = ("smoke", "cpu", "official")
SOLVERS = ("anderson", "fixed_point", "broyden")
BACKWARDS = ("ift", "phantom")
SELECT_BY = ("val_score", "val_loss")
#: Largest hidden size a config may ask for: weights are allocated when the model is built.
MAX_HIDDEN = 4096


@dataclass
class TrainConfig:
    algorithm: str
    model: str = "nar"
    processor: str = "mpnn"
    profile: str = "cpu"
    seed: int = 0
    # optimisation (profile-controlled)
    hidden: int = 64
    steps: int = 1500
    batch_size: int = 32
    lr: float = 3e-4
    grad_clip: float = 1.0
    train_samples: int = 5000
    train_sizes: tuple[int, int] = (8, 16)
    random_pos: bool = False  # CLRS's process_random_pos on every split (official: on)
    val_samples: int = 100
    val_size: int = 16
    test_sizes: tuple[int, ...] = (16, 64)
    test_samples: int = 100
    eval_every: int = 150
    log_every: int = 25
    snapshot_steps: tuple[int, ...] = ()  # keep the best weights so far at these steps (learning curves)
    select_by: str = "val_score"  # the kept weights: highest val_score, or lowest val_loss (official)
    checkpoint_every: int = 150
    # NAR variants
    teacher_forcing: float = 0.0
    max_steps: int = 0  # nar-lt cap; 0 = 1.5x the largest training T (set at training start)
    # DEAR / DEM
    solver: str = "anderson"
    tol: float = 1e-3
    max_iter: int = 40
    eval_tol: float = 1e-3
    eval_max_iter: int = 64
    eval_patience: int = 0  # 0: no stall test at evaluation
    backward: str = "ift"
    backward_tol: float = 1e-3  # adjoint solve of the ift backward (official: 0.01, forward 0.1)
    backward_max_iter: int = 40
    phantom_damping: float = 0.5  # phantom step z + d (f(z) - z); official (torchdeq tau): 1.0, i.e. f(z*)
    anderson_m: int = 6
    jacobian_weight: float = 0.0
    state_noise: float = 0.0
    granola: bool = False
    cgp: bool = False
    stochastic_steps: int = 0
    align: str = ""
    align_weight: float = 0.05
    correction_states: int = 0  # fixed-point correction: states along the solve whose outputs are supervised
    correction_decay: float = 0.8
    init: str = "zeros"  # dear: solver start, zeros (paper) or the encoded inputs
    dem_temperature: float = 0.0
    dem_step_penalty: float = 0.01
    description: str = field(default="", repr=False)

    def validate(self) -> "TrainConfig":
        from dear.specs import check_algorithm  # here: the CLI's help needs the config, not numba

        check_algorithm(self.algorithm)
        self._check_types()
        choices = {"model": MODELS, "profile": PROFILES, "solver": SOLVERS, "backward": BACKWARDS,
                   "processor": ("mpnn", "triplet"), "select_by": SELECT_BY,
                   "init": ("zeros", "inputs")}
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
        if self.align and self.model != "dear":
            raise ValueError(f"--align aligns a DEAR to a NAR run; it does nothing for --model {self.model}")
        if self.model == "dem" and (self.granola or self.cgp):
            raise ValueError("--granola and --cgp are DEAR/NAR switches; the DEM baseline does not take them")
        for name in ("tol", "eval_tol", "backward_tol"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0 < self.phantom_damping <= 1:
            raise ValueError(f"phantom_damping must be in (0, 1], got {self.phantom_damping}")
        if not self.align_weight >= 0:
            raise ValueError(f"align_weight must be non-negative, got {self.align_weight}")
        return self

    def _check_types(self) -> None:
        """Every option has its default's type: a config file may hold anything."""
        for option in fields(self):
            value, default = getattr(self, option.name), option.default
            if default is MISSING or _of_type(value, default):
                continue
            raise ValueError(f"option {option.name} must be {_KINDS[type(default)]}, got {shown(value)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config option(s): {', '.join(sorted(unknown))}")
        data = dict(data)
        for key in ("train_sizes", "test_sizes", "snapshot_steps"):
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


def _of_type(value: Any, default: Any) -> bool:
    if isinstance(default, tuple):
        return isinstance(value, tuple) and all(_of_type(v, 0) for v in value)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return type(value) is type(default)  # bool, int (not bool), str


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
