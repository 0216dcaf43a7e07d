"""Model zoo: build any reasoner from a :class:`~dear.config.TrainConfig`."""

from __future__ import annotations

from dear.config import TrainConfig
from dear.models.base import Prediction, Reasoner
from dear.models.nar import NAR, NARHints, NARLearntTermination


def model_class(name: str) -> type[Reasoner]:
    """The class behind a model name (what it needs, e.g. ``uses_hints``, before building it)."""
    from dear.models.dear import DEAR
    from dear.models.dem import DEM

    classes = {"nar": NAR, "nar-lt": NARLearntTermination, "nar-hints": NARHints, "dear": DEAR, "dem": DEM}
    if name not in classes:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(classes)}")
    return classes[name]


def build_model(config: TrainConfig) -> Reasoner:
    common = {
        "hidden": config.hidden, "processor": config.processor, "granola": config.granola, "cgp": config.cgp,
    }
    if config.model == "nar":
        return NAR(config.algorithm, **common)
    if config.model == "nar-lt":
        return NARLearntTermination(config.algorithm, max_steps=max(config.max_steps, 1), **common)
    if config.model == "nar-hints":
        return NARHints(config.algorithm, teacher_forcing=config.teacher_forcing, **common)
    if config.model == "dear":
        from dear.models.dear import DEAR

        return DEAR.from_config(config)
    if config.model == "dem":
        from dear.models.dem import DEM

        return DEM.from_config(config)
    raise ValueError(f"unknown model {config.model!r}")


__all__ = ["NAR", "NARHints", "NARLearntTermination", "Prediction", "Reasoner", "build_model", "model_class"]
