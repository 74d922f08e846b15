"""What bench_accuracy.py and bench_functions.py share: where results go,
their output options, and one timed run with a fixed number of BLAS threads.

The scripts run as ``python benchmarks/<script>.py``, which puts this folder
on ``sys.path``, so they import this module by its plain name.
"""

import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

RESULTS = Path(__file__).resolve().parent / "results"


def add_output_arguments(parser, outputs):
    """``--out-dir`` (where ``outputs`` go), ``--no-plot``, ``--blas-threads``."""
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=RESULTS,
        help=f"where to write {outputs}",
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads per process (default: %(default)s)",
    )


def timed_run(script, run, args, argv=None):
    """Run ``run(args)`` with ``args.blas_threads`` BLAS threads.

    Returns the command line that reproduces the run, what ``run`` returned,
    and the wall-clock seconds it took.
    """
    command = " ".join(
        [f"python benchmarks/{script}", *(sys.argv[1:] if argv is None else argv)]
    )
    start = time.perf_counter()
    # one BLAS thread by default: these matrices are small, and on a shared
    # machine OpenBLAS's thread pool makes each fit several times slower
    with threadpool_limits(limits=args.blas_threads):
        rows = run(args)
    return command, rows, time.perf_counter() - start
