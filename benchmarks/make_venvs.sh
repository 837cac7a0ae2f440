#!/usr/bin/env bash
# Virtual environments for the anchor tools whose pins conflict with ours, kept apart from the
# project's venv (all under benchmarks/, ignored by git):
#   .venv-anchors  pyimpspec (pins its own NumPy/SciPy/lmfit stack) and pyDRTtools 0.2 (+ cvxopt)
#   .venv-navani   navani (pins an old NumPy)
#   .venv-cellpy   cellpy
#
#     bash benchmarks/make_venvs.sh            # all three
#     bash benchmarks/make_venvs.sh anchors    # or any of: anchors navani cellpy
#     PYTHON=python3.11 bash benchmarks/make_venvs.sh
#
# bench_impedance.py and bench_drt.py use .venv-anchors by default (--pyimpspec-python /
# DRT_ANCHOR_PYTHON override), bench_cycling.py .venv-navani and .venv-cellpy (NAVANI_PYTHON /
# CELLPY_PYTHON override).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

make_venv() {  # make_venv NAME PACKAGE...: a fresh venv benchmarks/.venv-NAME with PACKAGEs installed
    local venv="$here/.venv-$1"
    shift
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$@"
    echo "$venv: $("$venv/bin/python" -m pip freeze | tr '\n' ' ' | cut -c1-300)"
}

for which in "${@:-anchors navani cellpy}"; do
    for name in $which; do
        case "$name" in
            # pyimpspec 5.1.3 is the last release that runs on Python 3.10/3.11 (5.2 needs 3.12);
            # pyDRTtools 0.2 names no versions of its requirements and needs cvxopt for its QP solver
            anchors) make_venv anchors "pyimpspec==5.1.3" "pyDRTtools==0.2" "cvxopt==1.3.3" ;;
            navani) make_venv navani "navani==0.1.22" ;;
            cellpy) make_venv cellpy "cellpy==1.0.3" ;;  # the last cellpy for Python < 3.13
            *) echo "unknown venv $name (anchors, navani, cellpy)" >&2; exit 2 ;;
        esac
    done
done
