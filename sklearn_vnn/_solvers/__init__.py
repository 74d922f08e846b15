"""Solvers behind a registry keyed by the public ``solver`` string.

See :class:`~sklearn_vnn._solvers._base.Solver` for the contract. A new
solver is one class plus one line here.
"""

from sklearn_vnn._solvers._base import Solver
from sklearn_vnn._solvers._lbfgs import LBFGSSolver
from sklearn_vnn._solvers._lm import LMSolver
from sklearn_vnn._solvers._stochastic import AdamSolver, SGDSolver

SOLVERS = {
    "lbfgs": LBFGSSolver,
    "sgd": SGDSolver,
    "adam": AdamSolver,
    "lm": LMSolver,
}

__all__ = ["SOLVERS", "Solver"]
