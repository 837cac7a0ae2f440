"""study.toml: defaults, per-glob overrides in order, presets chosen (never applied by default), typos refused."""

from __future__ import annotations

import pytest

from anodelab.core.errors import MetadataError
from anodelab.core.experiment import ExperimentKind
from anodelab.study.settings import PRESETS, StudySettings, _matches

STUDY = """
[study]
name = "coatings"

[defaults.cell]
cell_type = "symmetric"

[defaults.options.drt]
windows = "si_zno"

[[files]]
glob = "bare/*.mpr"
group = "bare LLZTO"
cell = { working_electrode = { area_cm2 = 0.5 } }

[[files]]
glob = "bare/cell2.mpr"
sample = "bare #2"
kind = "eis"
preset = "li_llzto"
options = { drt = { windows = { R_int = [1e-5, 1e-3] } } }

[presets.mine.drt]
windows = "si_c_pulse"
"""


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(STUDY)
    return StudySettings.load(path)


def test_later_entries_override_earlier_ones_and_the_defaults(settings):
    first = settings.for_file("bare/cell1.mpr")
    assert (first.sample, first.group, first.kind) == ("cell1", "bare LLZTO", None)
    assert first.cell == {"cell_type": "symmetric", "working_electrode": {"area_cm2": 0.5}}
    assert first.options == {"drt": {"windows": "si_zno"}}
    second = settings.for_file("bare/cell2.mpr")
    assert (second.sample, second.group, second.kind) == ("bare #2", "bare LLZTO", ExperimentKind.EIS)
    assert second.options["drt"] == {"windows": {"R_int": [1e-5, 1e-3]}}  # the file's own option beats its preset
    assert second.options["circuit_fit"] == PRESETS["li_llzto"]["circuit_fit"]
    assert second.cell_info("x").working_electrode.area_cm2 == 0.5
    other = settings.for_file("coated/cell1.mpr")
    assert (other.group, other.options) == (None, {"drt": {"windows": "si_zno"}})
    assert "mine" in settings.presets


def test_no_study_file_means_no_options_and_no_cell():
    empty = StudySettings().for_file("a/b.mpr")
    assert (empty.sample, empty.group, empty.kind, dict(empty.cell), dict(empty.options)) == ("b", None, None, {}, {})
    assert empty.cell_info("x") is None


@pytest.mark.parametrize(("text", "field"), [
    ("[study]\nnmae = 'x'\n", "study.nmae"),
    ("[[files]]\nglob = '*'\nsampel = 'x'\n", "files[0].sampel"),
    ("[[files]]\nsample = 'x'\n", "files[0].glob"),
    ("[[files]]\nglob = '*'\nkind = 'cycle'\n", "files[0].kind"),
    ("[study]\npreset = 'nope'\n", "defaults.preset"),
    ("files = 3\n", "files"),
    ("[defaults]\noptions = { drt = 1 }\n", "defaults.options.drt"),
])
def test_typos_and_wrong_shapes_are_refused_with_the_key_named(tmp_path, text, field):
    path = tmp_path / "study.toml"
    path.write_text(text)
    with pytest.raises(MetadataError) as error:
        StudySettings.load(path)
    assert error.value.field == field and str(path) in str(error.value)


def test_not_toml_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text("[study\n")
    with pytest.raises(MetadataError, match="not valid TOML"):
        StudySettings.load(path)


@pytest.mark.parametrize(("relative", "pattern", "expected"), [
    ("a/b/c.mpr", "**/*.mpr", True), ("c.mpr", "**/*.mpr", True), ("a/c.mpr", "*.mpr", False),
    ("a/c.mpr", "a/*.mpr", True), ("a/x/c.mpr", "a/**", True), ("a/c1.mpr", "a/c[12].mpr", True),
    ("a/c3.mpr", "a/c[12].mpr", False), ("a/c.mpr", "a/?.mpr", True), ("a/c.mpr", "a/c.mp", False),
    ("a+b/c.mpr", "a+b/*", True), ("a[/c", "a[/*", True),
])
def test_globs_match_whole_posix_paths(relative, pattern, expected):
    assert _matches(relative, pattern) is expected


@pytest.mark.parametrize(("text", "field"), [
    ("[[files]]\nglob = '[z-a]*'\n", "files[0].glob"),
    ("[[files]]\nglob = '*'\nsample = ['a', 'b']\n", "files[0].sample"),
    ("[[files]]\nglob = '*'\ngroup = 3\n", "files[0].group"),
])
def test_unusable_globs_and_non_text_labels_are_refused(tmp_path, text, field):
    path = tmp_path / "study.toml"
    path.write_text(text)
    with pytest.raises(MetadataError) as error:
        StudySettings.load(path)
    assert error.value.field == field


def test_negated_classes_and_ranges_match_as_in_a_shell():
    assert _matches("a/x.mpr", "a/[!y]*") and not _matches("a/y.mpr", "a/[!y]*")
    assert _matches("a/b.mpr", "a/[a-c].mpr") and not _matches("a/d.mpr", "a/[a-c].mpr")
    assert not _matches("a/b/c", "a[!x]b/c")  # a class never matches the folder separator
