"""``anodelab formats``: columns sized to their content, each format's reader options listed (also in --json)."""

from __future__ import annotations

import json

import anodelab
from anodelab.cli import main


def test_every_column_starts_at_the_same_place_on_every_row(capsys):
    assert main(["formats"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    starts = [header.index(name) for name in ("kind", "extensions", "options", "description")]
    formats = anodelab.list_formats()
    assert len(lines) == len(formats)
    for line, fmt in zip(lines, formats):
        cells = [fmt.kind, " ".join(fmt.extensions) or "(by content)", " ".join(fmt.options) or "-", fmt.description]
        assert line.startswith(fmt.name + " ")
        for start, cell in zip(starts, cells):
            assert line[start - 2:start] == "  " and (line[start:] + " ").startswith(cell + " "), (
                f"{fmt.name}: {cell!r} not at column {start}: {line!r}")


def test_reader_options_are_listed_in_the_table_and_in_json(capsys):
    takers = {fmt.name: fmt.options for fmt in anodelab.list_formats() if fmt.options}
    assert takers  # maccor-text takes time_unit
    assert main(["formats"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    for name, options in takers.items():
        assert all(f"  {option}  " in lines[name] for option in options)
    assert main(["formats", "--json"]) == 0
    listed = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert {name: tuple(row["options"]) for name, row in listed.items() if row["options"]} == takers
    assert set(listed) == {fmt.name for fmt in anodelab.list_formats()}
