"""Progress: a bar redrawn in place on a terminal, sparse plain lines in a log, nothing in --json."""

from __future__ import annotations

import io
import json

from anodelab.cli import main
from anodelab.cli.progress import LINE_EVERY_S, Progress


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_the_first_line_then_one_per_interval_and_the_last():
    stream, clock = io.StringIO(), _Clock()
    progress = Progress("analysing", stream, clock=clock)
    for done in range(1, 101):
        clock.now = done * LINE_EVERY_S / 20  # 20 items per interval
        progress(done, 100, f"f{done}.mpr")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "anodelab: analysing 1/100 (1 %) f1.mpr" and lines[-1].startswith("anodelab: analysing 100/100")
    assert len(lines) == 1 + 100 // 20 and "\r" not in stream.getvalue()


def test_a_terminal_gets_one_bar_redrawn_in_place_ending_with_a_newline():
    stream, clock = _Terminal(), _Clock()
    progress = Progress("analysing", stream, clock=clock)
    for done in range(1, 4):
        clock.now += 1.0
        progress(done, 3, "x")
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "[" + "#" * 24 + "] 3/3" in text


def test_json_output_is_never_mixed_with_progress(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("not,a\ncycler,file\n")
    assert main(["analyze", str(tmp_path), "--json", "--no-figures"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["files"][0]["path"] == "a.csv" and captured.err == ""
