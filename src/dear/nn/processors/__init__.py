"""Processors behind one interface (:class:`Processor`), chosen by name."""

from __future__ import annotations

from dear.nn.processors.base import Processor
from dear.nn.processors.cgp import CayleyPropagation
from dear.nn.processors.mpnn import MPNN
from dear.nn.processors.triplet import TripletMPNN

PROCESSORS: dict[str, type[Processor]] = {"mpnn": MPNN, "triplet": TripletMPNN}


def build_processor(name: str, hidden: int, *, granola: bool = False, cgp: bool = False) -> Processor:
    """Processor ``name``; ``granola``: GRANOLA norm in its updates; ``cgp``: followed by Cayley
    Graph Propagation (it then runs on a graph from ``with_cayley_nodes``)."""
    if name not in PROCESSORS:
        raise ValueError(f"unknown processor {name!r}; choose one of: {', '.join(PROCESSORS)}")
    processor = PROCESSORS[name](hidden, granola=granola)
    return CayleyPropagation(processor, granola=granola) if cgp else processor


__all__ = ["MPNN", "PROCESSORS", "CayleyPropagation", "Processor", "TripletMPNN", "build_processor"]
