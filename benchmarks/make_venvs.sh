#!/usr/bin/env bash
# Virtual environment for the anchor tools whose pins conflict with ours (pyimpspec pins its own
# NumPy/SciPy/lmfit stack; pyDRTtools 0.2 drags in its GUI), kept apart from the project's venv.
#
#     bash benchmarks/make_venvs.sh            # creates benchmarks/.venv-anchors (ignored by git)
#     PYTHON=python3.11 bash benchmarks/make_venvs.sh
#
# bench_impedance.py uses benchmarks/.venv-anchors/bin/python by default (--pyimpspec-python to override);
# bench_drt.py takes it as DRT_ANCHOR_PYTHON=benchmarks/.venv-anchors/bin/python.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-anchors"
# pyimpspec 5.1.3 is the last release that runs on Python 3.10/3.11 (5.2 needs 3.12)
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "pyimpspec==5.1.3"
# pyDRTtools' own requirements name no versions; pinned here to what its 0.2 release was run with
"$venv/bin/python" -m pip install --quiet "pyDRTtools==0.2" || echo "pyDRTtools not installed: bench_drt.py prints only our numbers"
"$venv/bin/python" -c "import pyimpspec, numpy, scipy; print('pyimpspec', pyimpspec.__version__ if hasattr(pyimpspec, '__version__') else '', 'numpy', numpy.__version__, 'scipy', scipy.__version__)"
