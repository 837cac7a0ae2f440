"""Studies: a folder of experiments, read, recognised by kind, analysed. Today: the demo study."""

from anodelab.study.demo import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
