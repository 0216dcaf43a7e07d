"""Training loop: deterministic data order, best-validation weights, atomic resumable checkpoints.

A run directory holds ``config.json``, ``metrics.jsonl`` (one JSON object per logged step),
``model.safetensors`` (best validation weights) and ``checkpoint/`` (weights, optimiser and
RNG state of the last checkpoint). ``resume=True`` continues from ``checkpoint/`` and ends
with the same weights as an uninterrupted run on the same machine.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from dear.checkpoint import (
    atomic_write,
    load_tensors,
    load_weights,
    optimizer_tensors,
    restore_optimizer,
    restore_rng,
    rng_state,
    save_tensors,
    write_json,
)
from dear.config import TrainConfig, same_recipe
from dear.data.splits import TRAIN, VAL, load_split
from dear.data.batching import collate
from dear.distributed import barrier, count_per_process, default_device, setup, teardown
from dear.errors import DearError
from dear.evaluate import evaluate_model
from dear.models import build_model, model_class
from dear.nn.normalise import counts_over_processes
from dear.models.nar import termination_cap
from dear.run import load_alignment_target

class TrainingDiverged(DearError):
    """Loss or gradient became NaN/Inf; the last good checkpoint is kept."""


def batch_order(num_samples: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Indices of the training batch at ``step``: a fresh permutation per epoch, a function of
    ``(seed, epoch)`` only, so a resumed run sees the same stream."""
    per_epoch = max(num_samples // batch_size, 1)
    epoch, position = divmod(step, per_epoch)
    order = np.random.default_rng((seed, epoch)).permutation(num_samples)
    return order[position * batch_size : (position + 1) * batch_size]


class Trainer:
    def __init__(self, config: TrainConfig, out_dir: Path, *, resume: bool = False, progress: bool = True,
                 device: torch.device | None = None) -> None:
        self.config = config.validate()
        self.out = Path(out_dir)
        self.resume = resume
        self.progress = progress
        self.context = setup(device or default_device())
        self.device = self.context.device
        if self.context.is_main:
            self._check_out_dir()
        barrier(self.context)
        self.resumed = resume and self._last_checkpoint() is not None
        # a resumed run continues from its checkpoint and no longer needs the run it started from
        self.init_weights = initial_weights(Path(config.init_from)) if config.init_from and not self.resumed else None

    def _check_out_dir(self) -> None:
        config_path = self.out / "config.json"
        if self.resume:
            if not config_path.exists():
                raise ValueError(f"--resume: {self.out} holds no run (no config.json)")
            saved = TrainConfig.load(config_path)
            if not same_recipe(asdict(saved), asdict(self.config), ignoring=("steps", "max_steps")):
                raise ValueError(f"--resume: the options differ from the run in {self.out}; resume with the same options")
            folder, old = self.out / "checkpoint", self.out / "checkpoint.old"
            if not folder.exists() and old.exists():  # killed between the two renames of _checkpoint
                old.rename(folder)  # back in place, or the next checkpoint would delete it first
        elif self.out.exists() and any(self.out.iterdir()):
            raise ValueError(f"{self.out} already holds files; choose another --out or pass --resume")

    def run(self, on_log: Callable[[dict], None] | None = None) -> dict:
        cfg = self.config
        hints = model_class(cfg.model).uses_hints
        # The data streams are fixed per split; the run's seed drives the model.
        train = load_split(cfg.algorithm, TRAIN, cfg.train_samples, tuple(cfg.train_sizes), hints=hints,
                           random_pos=cfg.random_pos, edge_p=cfg.edge_p)
        val = load_split(cfg.algorithm, VAL, cfg.val_samples, (cfg.val_size, cfg.val_size), hints=hints,
                         random_pos=cfg.random_pos, edge_p=cfg.val_edge_p or cfg.edge_p)
        if cfg.max_steps == 0:
            cfg.max_steps = termination_cap(max(t.length for t in train))
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed)
        model = build_model(cfg).to(self.device)
        if cfg.align:
            model.align_to(load_alignment_target(cfg.align, cfg.algorithm, cfg.hidden))
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        start, best = 0, {"score": -math.inf, "step": -1}
        main = self.context.is_main
        if self.resumed:
            start, best = self._restore(model, optimizer)
        elif self.init_weights is not None:
            load_weights(model, self.init_weights)
        if main:  # a run resumed to another step count records the count it now trains to
            self.out.mkdir(parents=True, exist_ok=True)
            write_json(self.out / "config.json", asdict(cfg))
            if not self.resumed:
                (self.out / "metrics.jsonl").write_text("")
        elapsed = 0.0  # training seconds before this process: a resumed run keeps counting
        if main:
            elapsed = self._truncate_metrics(start)
        forward = torch.nn.parallel.DistributedDataParallel(model) if self.context.distributed else model
        bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not (self.progress and main),
                   desc=f"{cfg.model} {cfg.algorithm}", unit="step")
        # Under DDP every loss divides by the whole batch's counts (see dear.nn.normalise).
        reduce = count_per_process(self.context) if self.context.distributed else None
        clock = time.perf_counter()
        for step in bar:
            model.train()
            order = batch_order(len(train), cfg.batch_size, cfg.seed, step)[self.context.rank :: self.context.world]
            batch = collate([train[i] for i in order], hints=model.uses_hints)
            with counts_over_processes(reduce):
                prediction = forward(batch.to(self.device))
                loss, parts = model.loss(batch, prediction)
            done = step + 1
            # Under DDP a rank raising alone would leave the others waiting in the all-reduce, so
            # there the (synced) gradient norm is what stops every rank on a NaN/Inf loss.
            if not self.context.distributed:
                self._check_finite("loss", loss, done)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            self._check_finite("gradient norm", grad_norm, done)  # before the step spoils the weights
            optimizer.step()
            record = None
            if done % cfg.log_every == 0 or done == cfg.steps:
                record = {"step": done, "loss": float(loss.detach()), **{f"loss_{k}": v for k, v in parts.items()},
                          "grad_norm": float(grad_norm), **prediction.diagnostics,
                          "seconds": elapsed + time.perf_counter() - clock}
            if not main:
                continue
            if done % cfg.eval_every == 0 or done == cfg.steps or done in cfg.snapshot_steps:
                val_result = evaluate_model(model, val, cfg.batch_size, self.device)
                record = (record or {"step": done, "loss": float(loss.detach())}) | {
                    "val_score": val_result["score"], "val_loss": val_result["loss"]}
                if _better(val_result, best, cfg.select_by):
                    best = {"score": val_result["score"], "loss": val_result["loss"], "step": done}
                    save_tensors(self.out / "model.safetensors", model.state_dict())
            if done in cfg.snapshot_steps:  # what a run of ``done`` steps would have kept
                self._snapshot(done, best)
            if record is not None:
                with open(self.out / "metrics.jsonl", "a") as log:
                    log.write(json.dumps(record) + "\n")
                bar.set_postfix(loss=f"{record['loss']:.3f}", val=f"{best['score']:.3f}")
                if on_log:
                    on_log(record)
            if done % cfg.checkpoint_every == 0 or done == cfg.steps:
                self._checkpoint(model, optimizer, done, best)
        bar.close()
        summary = {"best_val_score": best["score"], "best_val_loss": best.get("loss"), "best_step": best["step"], "steps": cfg.steps,
                   "processes": self.context.world}
        if main:
            write_json(self.out / "train_summary.json", summary)
        barrier(self.context)
        teardown(self.context)
        return summary

    def _check_finite(self, name: str, value: torch.Tensor, step: int) -> None:
        """Stop on NaN/Inf, saying where the last checkpoint (never a diverged state) is."""
        if torch.isfinite(value):
            return
        kept = "no checkpoint was written yet"
        if (folder := self._last_checkpoint()) is not None:
            saved = json.loads((folder / "state.json").read_text())["step"]
            kept = f"the last good checkpoint (step {saved}) is in {folder}"
        raise TrainingDiverged(f"{name} became {float(value.detach())} at step {step}; {kept}")

    def _checkpoint(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int, best: dict) -> None:
        """Write ``checkpoint.tmp/`` completely, then swap it in with renames."""
        staging, final = self.out / "checkpoint.tmp", self.out / "checkpoint"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        opt_tensors, opt_scalars = optimizer_tensors(optimizer)
        rng_tensors, rng_scalars = rng_state()
        save_tensors(staging / "model.safetensors", model.state_dict())
        save_tensors(staging / "state.safetensors", {**opt_tensors, **rng_tensors})
        write_json(staging / "state.json", {"step": step, "best": best, "optimizer": opt_scalars, "rng": rng_scalars})
        old = self.out / "checkpoint.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    def _snapshot(self, step: int, best: dict) -> None:
        """``snapshots/step<step>.safetensors``: the kept (best validation) weights as of ``step``.
        With a constant learning rate and a data order that depends on the step only, they are
        the weights a run of ``step`` steps ends with, so one long run gives a learning curve."""
        folder = self.out / "snapshots"
        folder.mkdir(exist_ok=True)
        shutil.copy2(self.out / "model.safetensors", folder / f"step{step}.safetensors")
        write_json(folder / f"step{step}.json", {"step": step, "best": best})

    def _last_checkpoint(self) -> Path | None:
        folder = self.out / "checkpoint"
        return folder if folder.exists() else None

    def _restore(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[int, dict]:
        folder = self.out / "checkpoint"
        try:
            state = json.loads((folder / "state.json").read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"corrupt checkpoint in {folder}: {error}") from None
        load_weights(model, folder / "model.safetensors")
        tensors = load_tensors(folder / "state.safetensors")
        restore_optimizer(optimizer, tensors, state["optimizer"])
        restore_rng(tensors, state["rng"])
        return int(state["step"]), state["best"]

    def _truncate_metrics(self, step: int) -> float:
        """Drop log lines written after the checkpoint we resume from (and a line a kill cut short);
        returns the training seconds the kept lines had reached."""
        path = self.out / "metrics.jsonl"
        text = path.read_text() if path.exists() else ""
        lines = text.splitlines(keepends=True)
        kept = [line for line in lines if line.endswith("\n") and json.loads(line)["step"] <= step]
        atomic_write(path, lambda tmp: tmp.write_text("".join(kept)))
        return max((json.loads(line).get("seconds", 0.0) for line in kept), default=0.0)


def initial_weights(source: Path) -> Path:
    """The weights file ``--init-from`` names: a run directory's kept weights or the file itself."""
    path = source / "model.safetensors" if source.is_dir() else source
    if not path.is_file():
        raise ValueError(f"--init-from: no weights at {path}; name a run directory or its model.safetensors")
    return path


def _better(result: dict, best: dict, select_by: str) -> bool:
    """Whether a validation ``result`` beats the kept weights' (``best``; none kept: step -1)."""
    if best["step"] < 0:
        return True
    if select_by == "val_loss":
        return result["loss"] < best.get("loss", math.inf)
    return result["score"] > best["score"]


def train(config: TrainConfig, out_dir: Path, *, resume: bool = False, progress: bool = True) -> dict:
    return Trainer(config, out_dir, resume=resume, progress=progress).run()
