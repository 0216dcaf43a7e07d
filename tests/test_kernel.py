"""``@kernel``: numba compiles a kernel at the first kernel call, not at import, and kernels that
call each other by module-global name still compile (numba must see dispatchers there)."""

from __future__ import annotations

import subprocess
import sys

from dear.kernel import Kernel, kernel


@kernel
def _double(x: int) -> int:
    return 2 * x


@kernel
def _quadruple(x: int) -> int:
    return _double(_double(x))


#: The stand-ins themselves: any kernel call in this process (another test's, earlier) rebinds
#: the module globals above to dispatchers, not the values of this dict.
STAND_INS = {"quadruple": _quadruple}


def test_kernels_calling_kernels_compile_and_the_stand_ins_forward() -> None:
    stand_in = STAND_INS["quadruple"]
    assert isinstance(stand_in, Kernel) and stand_in.__name__ == "_quadruple"
    assert stand_in(3) == 12
    assert not isinstance(globals()["_double"], Kernel)  # rebound to its numba dispatcher
    assert globals()["_double"].py_func(5) == 10 and stand_in(5) == 20


def test_reading_the_algorithm_records_imports_no_numba_until_a_kernel_runs() -> None:
    code = ("import sys, numpy as np; from dear.algorithms import get; print('numba' in sys.modules); "
            "get('bfs').kernel(np.array([[0., 1.], [1., 0.]]), 0); print('numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
