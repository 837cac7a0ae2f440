"""Package-level promises: a light import, the import contracts, and the version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anodelab
import anodelab.core
from anodelab.core.cycles import CycleTable

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "polars", "pyarrow", "matplotlib", "fastnda", "galvani", "access_parser",
         "python_calamine", "torch", "pybamm", "skfem", "ase", "dask", "duckdb", "jinja2", "plotly")


def test_import_loads_no_heavy_stack():
    code = "import sys, json, anodelab; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    heavy = sorted({name.split(".")[0] for name in loaded} & set(HEAVY))
    assert heavy == [], f"import anodelab pulled in {heavy}"


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_public_names():
    assert anodelab.__version__
    names = {"read", "list_formats", "Record", "SpectrumSeries", "CycleTable", "CellInfo", "AnodelabError"}
    assert names <= set(anodelab.__all__)
    assert all(hasattr(anodelab, name) for name in anodelab.__all__)
    assert anodelab.CycleTable is anodelab.core.CycleTable is CycleTable
    assert all(hasattr(anodelab.core, name) for name in anodelab.core.__all__)


def test_library_code_has_no_assert():
    # `python -O` strips asserts: library checks must raise (or be type narrowing)
    import ast

    found = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in sorted((ROOT / "src").rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Assert)]
    assert found == []
