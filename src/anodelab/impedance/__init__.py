"""Impedance analysis: circuit strings, fitting, Kramers-Kronig, ASR, conductivity, Arrhenius.

Submodules (imported on use; scipy only inside functions):

- :mod:`~anodelab.impedance.circuit_strings`: ``parse_circuit("R0-p(R1,CPE1)-W1")`` / CDC ``"R(RQ)W"``
- :mod:`~anodelab.impedance.fit`: ``fit_circuit``, ``fit_series``, ``arc_quantities``
- :mod:`~anodelab.impedance.guess`: ``initial_guess``, the starting parameters read off the spectrum
- :mod:`~anodelab.impedance.problem`: the compiled circuit, its closed-form Jacobian and the weighted residual
  that ``fit_circuit`` minimises
- :mod:`~anodelab.impedance.select`: ``choose_circuit``, the circuit chosen from the data (BIC among candidates)
- :mod:`~anodelab.impedance.kk`: ``kramers_kronig_test`` (lin-KK with automatic number of RC elements)
- :mod:`~anodelab.impedance.derived`: intercept, ASR, conductivity, ``arrhenius_fit``
- :mod:`~anodelab.impedance.analyses`: what a study runs on EIS files (``kk``, ``fit_default``,
  ``interfacial_arrhenius``, ``conductivity_arrhenius``)

Every result is a :class:`~anodelab.core.result.Result` (``kind``, ``metrics()``, ``to_dict()``).
"""
