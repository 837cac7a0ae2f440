"""Manufactured solutions: the FEM converges at its element order's rate (L2 error ~ h^(p+1)).

Harmonic fields that meet every condition the interface problems use: a Butler-Volmer reaction on
the electrode (with the extra boundary current that makes the chosen field exact), insulating sides,
a given potential on the counter; in 2-D ``A e^(k y) cos(k x)`` on ``[0, pi / k]``, axisymmetric
``A J0(k r) e^(k z)`` with ``J1(k b) = 0`` (``k b = 3.8317...``, the first zero of J1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import j0, jn_zeros

from anodelab.sim.interface import Disk, Strips
from anodelab.sim.interface.fem import Dirichlet, Flux, Reaction, solve_fields
from anodelab.sim.interface.kinetics import Kinetics

skfem = pytest.importorskip("skfem")

KAPPA_S_CM = 1e-2
AMPLITUDE_V = 0.05  # about two thermal voltages: the Butler-Volmer law is well nonlinear
BV = Kinetics("bv", i0_mA_cm2=1000.0, alpha_a=0.3, alpha_c=0.7)


def _l2_error(solution, exact, axisymmetric):
    @skfem.Functional
    def squared(w):
        weight = 2 * math.pi * w.x[0] if axisymmetric else 1.0
        return (w["u"] - exact(w.x)) ** 2 * weight

    basis = solution.basis
    return math.sqrt(squared.assemble(basis, u=basis.interpolate(solution.potential_V["ion"])))


def _errors(case, order, sizes):
    mesh_of, exact, normal_flux, axisymmetric = case
    errors = []
    for n in sizes:
        grid = mesh_of(2 * n * n)
        assert grid.elements == 2 * n * n  # a uniform n x n grid: h halves with each size

        def boundary_current(x):  # kappa du/dn = i(eta) + q on the electrode, eta = -u
            return KAPPA_S_CM * normal_flux(x) - BV.current_A_cm2(-exact(x))

        solution = solve_fields(
            grid, order=order, conductivity_S_cm={"ion": (KAPPA_S_CM, 0.0)},
            dirichlet=[Dirichlet("ion", "counter", exact)],
            reactions=[Reaction("contact", BV)],
            fluxes=[Flux("ion", "contact", boundary_current)],
        )
        assert solution.newton_iterations >= 3  # the reaction was nonlinear
        errors.append(_l2_error(solution, exact, axisymmetric))
    return np.array(errors)


def _planar():
    width_cm = 10e-4
    k = math.pi / width_cm

    def exact(x):
        return AMPLITUDE_V * np.exp(k * x[1]) * np.cos(k * x[0])

    def normal_flux(x):  # outward normal -y on the electrode
        return -k * exact(x)

    return (lambda n: Strips(1.0, 2 * width_cm / 1e-4, width_cm / 1e-4).mesh(n)), exact, normal_flux, False


def _axisymmetric():
    radius_cm = 10e-4
    k = jn_zeros(1, 1)[0] / radius_cm

    def exact(x):
        return AMPLITUDE_V * j0(k * x[0]) * np.exp(k * x[1])

    def normal_flux(x):
        return -k * exact(x)

    return (lambda n: Disk(radius_cm / 1e-4, radius_cm / 1e-4, 0.5 * radius_cm / 1e-4).mesh(n)), exact, normal_flux, True


@pytest.mark.parametrize("case", [_planar, _axisymmetric], ids=["planar", "axisymmetric"])
@pytest.mark.parametrize(("order", "sizes"), [(1, (8, 16, 32)), (2, (6, 12, 24))], ids=["P1", "P2"])
def test_l2_error_falls_at_the_element_orders_rate(case, order, sizes):
    errors = _errors(case(), order, sizes)
    rates = np.log2(errors[:-1] / errors[1:])
    assert np.all(rates > order + 1 - 0.15), rates
    assert np.all(rates < order + 1 + 0.3), rates


def test_continuation_reaches_what_newton_reaches_directly():
    from anodelab.sim.interface.fem import Floating

    grid = Strips(0.3, 10.0, 20.0).mesh(2000)
    law = Kinetics("bv", i0_mA_cm2=0.01)
    kwargs = {"order": 1, "conductivity_S_cm": {"ion": (1e-3, 0.0)}, "reactions": [Reaction("contact", law)],
              "floating": Floating("counter", 1.0 * grid.projected_area_cm2)}  # 1 A/cm2: 10^5 i0
    direct = solve_fields(grid, **kwargs)
    stepped = solve_fields(grid, max_iterations=5, **kwargs)  # too few for one jump: steps in the load
    assert direct.continuation_steps == 1 and stepped.continuation_steps > 2
    np.testing.assert_allclose(stepped.potential_V["ion"], direct.potential_V["ion"], rtol=1e-9, atol=1e-12)
