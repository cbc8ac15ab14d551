"""Making Data Count icons: drawn from the SPC classification, named, escaped."""

import re

import numpy as np
import pandas as pd
import pytest

from csplib.methods.models import SPCChart
from csplib.methods.models.spc_rules import ASSURANCE_LABELS, VARIATION_LABELS
from csplib.present.signals import ICON_COLOURS, signal_line, signals

IDX = pd.date_range("2022-01-01", periods=25, freq="MS")


def spc(last, polarity="down", target=None):
    y = pd.Series([20.0, 22.0, 19.0, 21.0] * 6 + [last], index=IDX)
    return SPCChart(y, baseline=24, polarity=polarity, target=target).fit()


def icons(line):
    """(colour, letter, accessible name) of each icon in a line."""
    return re.findall(r'aria-label="([^"]*)".*?fill="(#\w+)".*?>([^<]+)</text>', line)


@pytest.mark.parametrize(
    ("last", "polarity", "kind", "letter"),
    [
        (40.0, "down", "concern", "H"),  # more crime: concern
        (40.0, "up", "improvement", "H"),
        (2.0, "down", "improvement", "L"),
        (40.0, "neutral", "neither", "H"),
        (20.0, "down", "common", "~"),
    ],
)
def test_the_variation_icon_is_the_charts_classification(last, polarity, kind, letter):
    res = spc(last, polarity)
    line = signal_line("Burglary", res.classification())
    [(name, colour, drawn)] = icons(line)
    assert name == VARIATION_LABELS[res.variation]
    assert (colour, drawn) == (ICON_COLOURS[kind], letter)
    # the words say what the icon says, with the month
    assert f"{VARIATION_LABELS[res.variation]} in Jan 2024." in line


@pytest.mark.parametrize(
    ("target", "kind", "letter"),
    [(60.0, "improvement", "P"), (5.0, "concern", "F"), (21.0, "common", "?")],
)
def test_the_assurance_icon_follows_the_target_against_the_limits(target, kind, letter):
    res = spc(20.0, "down", target=target)
    line = signal_line("ASB", res.classification())
    variation, assurance = icons(line)
    assert assurance == (ASSURANCE_LABELS[res.assurance], ICON_COLOURS[kind], letter)
    assert ASSURANCE_LABELS[res.assurance] in line.split("</svg>")[-1]


def test_text_from_data_is_escaped_and_a_missing_chart_says_why():
    page = signals(
        [("<b>Ward</b>", {"variation": None, "note": "too few months <15>"})], heading="A & B"
    ).data
    assert "&lt;b&gt;Ward&lt;/b&gt;" in page and "<b>" not in page
    assert "too few months &lt;15&gt;" in page and "<p>A &amp; B</p>" in page
    assert page.count("<li") == 1


def test_icon_colours_carry_white_letters_legibly():
    def luminance(hex_colour):
        rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        lin = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(lin @ [0.2126, 0.7152, 0.0722])

    for colour in ICON_COLOURS.values():
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5, colour
