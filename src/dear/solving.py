"""Compatibility: ``dear.solving`` was split by job into the package :mod:`dear.solve`
(convert, run, check, repair, answer, io, drawing, pipeline); its names are re-exported here
so that older imports keep working. New code imports from :mod:`dear.solve`."""

from __future__ import annotations

from dear.solve.answer import readable_outputs
from dear.solve.check import checked_outputs
from dear.solve.convert import (
    EXACT_MAX_NODES,
    EXACT_MAX_NODES_EDGE_HINTS,
    TIE_BREAK,
    GraphEdges,
    array_inputs,
    exact_run,
    graph_edges,
    model_batch,
    tie_broken,
    validate_graph,
)
from dear.solve.io import read_graph_file, solve_file
from dear.solve.pipeline import NotConvergedWarning, solve
from dear.solve.repair import max_arborescence, repair
from dear.solve.run import pretrained_dir, run_model

__all__ = ["EXACT_MAX_NODES", "EXACT_MAX_NODES_EDGE_HINTS", "TIE_BREAK", "GraphEdges", "NotConvergedWarning",
           "array_inputs", "checked_outputs", "exact_run", "graph_edges", "max_arborescence", "model_batch",
           "pretrained_dir", "read_graph_file", "readable_outputs", "repair", "run_model", "solve", "solve_file",
           "tie_broken", "validate_graph"]
