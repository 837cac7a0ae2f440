"""``study.toml``: what a study folder says about its files (cells, samples, groups, kinds, presets).

Every key is optional; a folder without a ``study.toml`` is analysed from the data and the
``cell.toml`` files beside it::

    [study]
    name = "Si-ZnO vs bare Si"
    preset = "si_zno"                 # analysis options for every file (see PRESETS)

    [defaults.cell]                   # merged under each file's cell (a cell.toml beside a file wins)
    cell_type = "anode-half"

    [defaults.options.drt]            # options of one analysis, for every file
    windows = "si_zno"

    [[files]]                         # per-glob overrides, applied in order (later wins)
    glob = "coated/*.mpr"             # POSIX glob relative to the study folder (** allowed)
    sample = "ZnI2@LLZTO #1"          # default: the file's stem
    group = "ZnI2@LLZTO"              # replicates share a group; the study table averages over it
    kind = "symmetric"                # overrides detection (the reason then says so)
    preset = "li_llzto"
    cell = { cell_type = "symmetric", working_electrode = { area_cm2 = 0.5 } }
    options = { circuit_fit = { circuit = "R0-p(R1,CPE1)" } }

    [presets.my_windows.drt]          # a study's own preset
    windows = { R_SEI = [1e-4, 1e-3], R_ct = [1e-3, 1e-1] }

Unknown keys are refused with the key named, as in ``cell.toml``: a typo must not silently drop a
setting.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from anodelab.core.cell import CellInfo, read_toml
from anodelab.core.errors import MetadataError
from anodelab.core.experiment import ExperimentKind
from anodelab.core.model_spec import SUFFIX as MODEL_SUFFIX

#: analysis options of the five papers, chosen by a study (``preset = ...``), never applied by default
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # paper 000: Si-ZnO in sulfide cells; in-situ GEIS read through its DRT windows and three arcs
    "si_zno": {"drt": {"windows": "si_zno"},
               "circuit_fit": {"circuit": "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4"}},
    # paper 003: Si/C with a pulse-formed SEI; DRT windows of its Fig. S20
    "si_c_pulse": {"drt": {"windows": "si_c_pulse"}},
    # paper 001: Li | LLZTO | Li symmetric cells: one interfacial arc
    "li_llzto": {"circuit_fit": {"circuit": "R0-p(R1,CPE1)"}},
}

_TOP = {"study", "defaults", "files", "presets"}
_STUDY = {"name", "preset"}
_DEFAULTS = {"cell", "options", "preset"}
_FILE = {"glob", "sample", "group", "kind", "preset", "cell", "options"}


@dataclass(frozen=True)
class FileSettings:
    """What the study says about one file (before its own ``cell.toml`` is looked for)."""

    sample: str
    group: str | None = None
    kind: ExperimentKind | None = None
    cell: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def cell_info(self, source: str) -> CellInfo | None:
        """The study's cell for this file, or None when the study gives none."""
        return CellInfo.from_dict(self.cell, source=source) if self.cell else None


@dataclass(frozen=True)
class StudySettings:
    """A parsed ``study.toml`` (see the module docstring); ``StudySettings()`` when there is none."""

    name: str | None = None
    source: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[Mapping[str, Any], ...] = ()
    presets: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> StudySettings:
        path = Path(path)
        return cls.from_dict(read_toml(path, "study.toml"), source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> StudySettings:
        where = f"{source}: " if source else ""
        _known(data, _TOP, "", where)
        study = _table(data.get("study", {}), "study", where)
        _known(study, _STUDY, "study.", where)
        defaults = dict(_table(data.get("defaults", {}), "defaults", where))
        _known(defaults, _DEFAULTS, "defaults.", where)
        if "preset" in study:
            defaults.setdefault("preset", study["preset"])
        files = data.get("files", [])
        if not isinstance(files, list):
            raise MetadataError("files", f"{where}must be an array of tables ([[files]])")
        for k, entry in enumerate(files):
            entry = _table(entry, f"files[{k}]", where)
            _known(entry, _FILE, f"files[{k}].", where)
            if not isinstance(entry.get("glob"), str):
                raise MetadataError(f"files[{k}].glob", f"{where}each [[files]] needs a glob (text)")
            try:
                _glob_regex(entry["glob"])
            except ValueError as error:
                raise MetadataError(f"files[{k}].glob", f"{where}not a usable glob {entry['glob']!r} ({error})") from None
            for name in ("sample", "group"):
                if name in entry and not isinstance(entry[name], str):
                    raise MetadataError(f"files[{k}].{name}", f"{where}must be text, got {entry[name]!r:.60}")
        presets = _table(data.get("presets", {}), "presets", where)
        settings = cls(study.get("name"), source, defaults, tuple(files), {**PRESETS, **presets})
        for k, entry in enumerate((defaults, *files)):
            name = "defaults" if k == 0 else f"files[{k - 1}]"
            if "preset" in entry and entry["preset"] not in settings.presets:
                raise MetadataError(f"{name}.preset", f"{where}unknown preset {entry['preset']!r}; presets: "
                                    f"{', '.join(settings.presets)}")
            if "kind" in entry:
                _kind(entry["kind"], f"{name}.kind", where)
            for analysis, options in _table(entry.get("options", {}), f"{name}.options", where).items():
                _table(options, f"{name}.options.{analysis}", where)
        return settings

    def for_file(self, relative: str) -> FileSettings:
        """The settings of the file at ``relative`` (POSIX path in the study): defaults, then every
        matching ``[[files]]`` entry in order."""
        path = PurePosixPath(relative)
        cell: dict[str, Any] = dict(self.defaults.get("cell", {}))
        options = self._options(self.defaults)
        stem = path.name[:-len(MODEL_SUFFIX)] if path.name.lower().endswith(MODEL_SUFFIX) else path.stem
        sample, group, kind = stem, None, None
        for entry in self.files:
            if not _matches(relative, entry["glob"]):
                continue
            cell = _merge(cell, entry.get("cell", {}))
            options = _merge(options, self._options(entry))
            sample = entry.get("sample", sample)
            group = entry.get("group", group)
            kind = _kind(entry["kind"], "kind", "") if "kind" in entry else kind
        return FileSettings(sample, group, kind, cell, options)

    def _options(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        preset = self.presets.get(entry["preset"], {}) if "preset" in entry else {}
        return _merge(dict(preset), entry.get("options", {}))


def _matches(relative: str, pattern: str) -> bool:
    """A POSIX glob on the whole relative path: ``**/`` spans any folders, ``*`` and ``?`` stay
    inside one name, ``[abc]``, ``[a-z]`` and ``[!abc]`` are character classes."""
    return _glob_regex(pattern).fullmatch(relative) is not None


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a glob (see :func:`_matches`); ValueError for a class like ``[z-a]``."""
    parts = []
    for token in re.findall(r"\*\*/|\*\*|\*|\?|\[[^\]/]+\]|[^*?\[]+|\[", pattern):
        if token.startswith("[") and len(token) > 1:
            inner = token[1:-1]
            negated = inner.startswith("!")
            body = re.escape(inner[1:] if negated else inner).replace("\\-", "-")
            parts.append(f"[{'^/' if negated else ''}{body}]")
        else:
            parts.append(_GLOB_PARTS.get(token, re.escape(token)))
    try:
        return re.compile("".join(parts))
    except re.error as error:
        raise ValueError(str(error)) from None


_GLOB_PARTS = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) else value
    return out


def _table(value: Any, name: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MetadataError(name, f"{where}must be a table of keys, got {value!r:.60}")
    return value


def _known(table: Mapping[str, Any], known: set[str], prefix: str, where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise MetadataError(f"{prefix}{unknown[0]}", f"{where}unknown key; expected one of {', '.join(sorted(known))}")


def _kind(value: Any, name: str, where: str) -> ExperimentKind:
    try:
        return ExperimentKind(value)
    except ValueError:
        raise MetadataError(name, f"{where}unknown experiment kind {value!r}; expected one of "
                            f"{', '.join(k.value for k in ExperimentKind)}") from None
