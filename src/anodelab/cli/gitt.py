"""``anodelab gitt FILE``: diffusion coefficient per GITT pulse (Weppner-Huggins, film or sphere) with
its validity flag, against state of charge."""

from __future__ import annotations

import argparse

from anodelab.cli.record_command import add_record_arguments, print_result, read_record

HELP = "GITT: diffusion coefficient per pulse (Weppner-Huggins) with a validity flag"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_record_arguments(parser, cell_type=True, mass=True, thickness=True)
    parser.add_argument("--geometry", choices=("film", "sphere"), default="film",
                        help="film: L = thickness; sphere: L = particle radius / 3 (default film)")
    parser.add_argument("--method", choices=("sqrt", "endpoint"), default="sqrt",
                        help="transient voltage change from the sqrt(t) fit (default) or the pulse end points")
    parser.add_argument("--particle-radius-um", dest="particle_radius_um", type=float, help="with --geometry sphere")
    parser.add_argument("--molar-volume-cm3-mol", dest="molar_volume_cm3_mol", type=float,
                        help="molar volume of the host, cm3/mol")
    parser.add_argument("--capacity-mAh", dest="capacity_mAh", type=float,
                        help="the host's full capacity, mAh (adds the state of charge per pulse)")


def run(args: argparse.Namespace) -> int:
    from anodelab.kinetics.gitt import gitt

    record, cell = read_record(args, "a GITT record (pulses and rests of voltage and current)")
    result = gitt(record, cell, geometry=args.geometry, method=args.method, particle_radius_um=args.particle_radius_um,
                  molar_volume_cm3_mol=args.molar_volume_cm3_mol, capacity_mAh=args.capacity_mAh)
    print_result(result, args.json, args.file.name)
    return 0
