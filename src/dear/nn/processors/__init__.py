"""Processors behind one interface (:class:`Processor`), chosen by name."""

from __future__ import annotations

from dear.nn.processors.base import Processor
from dear.nn.processors.mpnn import MPNN
from dear.nn.processors.triplet import TripletMPNN

PROCESSORS: dict[str, type[Processor]] = {"mpnn": MPNN, "triplet": TripletMPNN}


def build_processor(name: str, hidden: int) -> Processor:
    if name not in PROCESSORS:
        raise ValueError(f"unknown processor {name!r}; choose one of: {', '.join(PROCESSORS)}")
    return PROCESSORS[name](hidden)


__all__ = ["MPNN", "PROCESSORS", "Processor", "TripletMPNN", "build_processor"]
