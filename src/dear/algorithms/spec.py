"""CLRS-30's probe vocabulary: every probe is ``(stage, location, type)``.

It sits at the bottom of the package (below the algorithm records that use it) so that
encoders, decoders, losses and metrics can be driven by the records' specs without any
per-algorithm code.
"""

from __future__ import annotations

from typing import Final


class Stage:
    INPUT: Final = "input"
    HINT: Final = "hint"
    OUTPUT: Final = "output"


class Location:
    NODE: Final = "node"
    EDGE: Final = "edge"
    GRAPH: Final = "graph"


class Type:
    SCALAR: Final = "scalar"
    MASK: Final = "mask"
    MASK_ONE: Final = "mask_one"
    CATEGORICAL: Final = "categorical"
    POINTER: Final = "pointer"
    SHOULD_BE_PERMUTATION: Final = "should_be_permutation"


#: Types whose values are node ids (pointers into the graph).
POINTER_TYPES: Final = (Type.POINTER, Type.SHOULD_BE_PERMUTATION)

ProbeSpec = tuple[str, str, str]
AlgorithmSpec = dict[str, ProbeSpec]

I, H, O = Stage.INPUT, Stage.HINT, Stage.OUTPUT
N, E, G = Location.NODE, Location.EDGE, Location.GRAPH
SC, MK, M1, CAT, PTR = Type.SCALAR, Type.MASK, Type.MASK_ONE, Type.CATEGORICAL, Type.POINTER

GRAPH_INPUTS: Final[AlgorithmSpec] = {"pos": (I, N, SC), "A": (I, E, SC), "adj": (I, E, MK)}
SOURCE: Final[AlgorithmSpec] = {"s": (I, N, M1)}
ARRAY_INPUTS: Final[AlgorithmSpec] = {"pos": (I, N, SC), "key": (I, N, SC)}

#: Number of classes of each categorical probe (the same in every algorithm that has it).
CATEGORICAL_CLASSES: Final = {"color": 3, "phase": 3}
