"""Impedance analysis: circuit strings, fitting, Kramers-Kronig, ASR, conductivity, Arrhenius.

Submodules (imported on use; scipy only inside functions):

- :mod:`~anodelab.impedance.circuit_strings`: ``parse_circuit("R0-p(R1,CPE1)-W1")`` / CDC ``"R(RQ)W"``
- :mod:`~anodelab.impedance.fit`: ``fit_circuit``, ``fit_series``, ``arc_quantities``
- :mod:`~anodelab.impedance.guess`: ``initial_guess``, the starting parameters read off the spectrum
- :mod:`~anodelab.impedance.problem`: the compiled circuit, its closed-form Jacobian and the weighted residual
  that ``fit_circuit`` minimises
- :mod:`~anodelab.impedance.kk`: ``kramers_kronig_test`` (lin-KK with automatic number of RC elements)
- :mod:`~anodelab.impedance.derived`: intercept, ASR, conductivity, ``arrhenius_fit``
"""
