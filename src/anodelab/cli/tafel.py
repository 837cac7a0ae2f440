"""``anodelab tafel FILE``: Tafel slopes, transfer coefficients and the exchange current density of a
polarization curve, with the Butler-Volmer fit and the micro-polarization cross-check."""

from __future__ import annotations

import argparse

from anodelab.cli.record_command import add_record_arguments, print_result, read_record

HELP = "Tafel slopes, alpha and exchange current density (i0) of a polarization curve or LSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_record_arguments(parser, cell_type=True)
    parser.add_argument("--symmetric", action="store_true",
                        help="the voltage spans two identical electrodes (a symmetric cell)")
    parser.add_argument("--R-u-ohm", dest="R_u_ohm", type=float,
                        help="uncompensated resistance to correct by, ohm (default: fitted)")
    parser.add_argument("--E-eq-V", dest="E_eq_V", type=float,
                        help="equilibrium potential, V (default: the rest before the sweep, else the zero-current crossing)")


def run(args: argparse.Namespace) -> int:
    from anodelab.kinetics.tafel import tafel

    record, cell = read_record(args, "a polarization curve (voltage and current)")
    result = tafel(record, cell, E_eq_V=args.E_eq_V, R_u_ohm=args.R_u_ohm, symmetric=args.symmetric)
    print_result(result, args.json, args.file.name)
    return 0
