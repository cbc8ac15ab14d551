"""Deterministic synthetic data for the assessment: police.uk files, partner extract, indicators.

The default assessment must run on a fresh machine with no downloads and exercise every
method (ten years of trends, seasonality, the Covid-19 shock, emerging problems, repeat
victims, survey and treatment indicators), while the real police.uk files the project ships
cover a few months and victim-level data are never public. :func:`generate` writes a
dataset calibrated to Nottingham's real data and the partnership's published figures, in
the real formats, with known effects planted in it and a ``truth.json`` recording them; for
any other partnership (``area=``) a dataset of the same layout whose volumes come from a
model of crime per resident by deprivation.

Modules: :mod:`~csplib.synth.calibration` (targets, paths, profiles),
:mod:`~csplib.synth.realdata` (the real inputs), :mod:`~csplib.synth.rates` (the rate model
for other areas), :mod:`~csplib.synth.area` (another area's inputs),
:mod:`~csplib.synth.levels` (expected counts), :mod:`~csplib.synth.effects` (planted
effects), :mod:`~csplib.synth.police` (street files), :mod:`~csplib.synth.victims`
(partner extract), :mod:`~csplib.synth.indicators` (indicators table),
:mod:`~csplib.synth.truth` (the truth file), :mod:`~csplib.synth.generator`
(:func:`generate`). See ``docs/synthetic_data.md``.
"""

from csplib.synth.generator import (
    GENERATOR_VERSION,
    OUTPUTS,
    SynthResult,
    ensure_generated,
    generate,
)

__all__ = ["GENERATOR_VERSION", "OUTPUTS", "SynthResult", "ensure_generated", "generate"]
