"""The numbers in a detection's reason (anodelab.study.detect_words): each unit switches where its
docstring says, values written out by hand."""

from __future__ import annotations

import math

from anodelab.study import detect_words as words


def test_volts_switch_to_millivolts_below_a_tenth():
    assert [words.volts(v) for v in (0.05, -0.0123, 0.1, 3.8)] == ["50 mV", "-12.3 mV", "0.1 V", "3.8 V"]


def test_durations_in_the_unit_of_their_size():
    seconds = (90.0, 120.0, 1800.0, 3600.0, 7200.0, 3 * 86400.0)
    assert [words.duration(s) for s in seconds] == ["90 s", "2 min", "30 min", "1 h", "2 h", "3 d"]


def test_frequencies_from_megahertz_to_millihertz():
    assert [words.frequency(f) for f in (1e6, 2500.0, 1.0, 0.01)] == ["1 MHz", "2.5 kHz", "1 Hz", "10 mHz"]


def test_currents_with_and_without_an_area():
    assert words.current(-0.5, 2.0) == "-0.5 mA (-0.25 mA/cm2)"
    assert words.current(-0.5, None) == "-0.5 mA"
    assert words.current(-0.5, None, signed=False) == "0.5 mA"
    assert words.current(math.nan, 1.0) == "a current not recorded"
    assert words.current_range([1.0, 1.0]) == "1 mA"
    assert words.current_range([0.5, 2.0]) == "0.5 to 2 mA"


def test_numbers_charges_and_scan_rates():
    assert [words.number(x) for x in (12.345, 1500.4)] == ["12.3", "1500"]
    assert words.charge(2.5) == "2.5 mAh"
    assert words.scan_rate(0.1) == "0.1 mV/s"
