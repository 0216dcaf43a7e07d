"""Vectorised constructors for CLRS probe encodings.

The algorithm kernels record compact integer traces (a node index per step, a colour per
node); these helpers turn them into CLRS's one-hot encodings in one NumPy call instead of one
Python call per step. Masks and one-hots are int8, the dtype :mod:`dear.data.compact` stores
them in, so generating never writes them as floats first.
"""

from __future__ import annotations

import functools

import numpy as np


def mask_one(index: np.ndarray | int, n: int) -> np.ndarray:
    """One-hot over ``n`` nodes; ``index`` of shape ``[...]`` gives ``[..., n]`` int8."""
    if isinstance(index, (int, np.integer)):  # one node (an output): the common case, made cheap
        out = np.zeros(n, np.int8)
        out[index] = 1
        return out
    index = np.asarray(index)
    out = np.zeros(index.shape + (n,), np.int8)
    out.reshape(-1, n)[np.arange(index.size), index.ravel()] = 1
    return out


def categorical(values: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot over the last axis (CLRS ``array_cat``)."""
    return mask_one(values, num_classes)


def graph(A: np.ndarray) -> np.ndarray:
    """CLRS's ``adj`` probe: nonzero weights plus self-loops, as an int8 mask."""
    return ((A + np.eye(A.shape[-1])) != 0).astype(np.int8)


def read_only(array: np.ndarray) -> np.ndarray:
    """``array``, made read-only (in place) so that every sample can share it: a probe that is the
    same in every run (a layout, a constant hint) is built once, never written."""
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=1024)
def node_positions(n: int) -> np.ndarray:
    """CLRS's ``pos`` input: ``i / n``; one read-only array per ``n``, shared by every sample
    (samplers draw millions of them, and nothing writes into an input)."""
    return read_only(np.arange(n) / n)
