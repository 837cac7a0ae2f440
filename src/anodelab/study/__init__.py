"""Studies: a folder of experiments read, recognised by kind, analysed and stored.

:func:`anodelab.study.pipeline.analyze` is ``anodelab analyze``; :mod:`anodelab.study.registry`
says which analysis runs on which kind; :mod:`anodelab.study.settings` reads ``study.toml``;
:mod:`anodelab.study.demo` writes and analyses the virtual study of the five papers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DemoResult", "analyze", "run_demo"]


def __getattr__(name: str) -> Any:
    """The entry points, imported when first asked for (the pipeline pulls in every analysis)."""
    if name in ("DemoResult", "run_demo"):
        from anodelab.study import demo

        return getattr(demo, name)
    if name == "analyze":
        from anodelab.study.pipeline import analyze

        return analyze
    raise AttributeError(f"module 'anodelab.study' has no attribute {name!r}")
