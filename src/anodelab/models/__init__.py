"""Closed-form physics shared by the simulators (:mod:`anodelab.sim`) and the analyses.

Pure functions of numpy arrays with units in their names: element impedances and circuits,
Butler-Volmer kinetics, diffusion solutions. Depends on :mod:`anodelab.core` only.
"""
