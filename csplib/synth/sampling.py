"""Random streams, vectorised categorical sampling and identifiers for the generator.

Every random draw of the generator comes from a stream named by ``(seed, block, stream)``,
so a given seed always gives the same data, whatever else changes in the run (the span
generated, the order the parts are built in).
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["STREAMS", "stream", "SegmentSampler", "hex_ids", "mix64", "pseudonyms"]

#: Stream numbers: one per independent part of the generator.
STREAMS: dict[str, int] = {
    "city_vb": 1,
    "city_asb": 2,
    "poisson": 3,
    "no_location": 4,
    "rows": 5,
    "duplicates": 6,
    "low_month": 7,
    "partner": 8,
    "hate": 9,
    "victims": 10,
    "pools": 11,
    "indicators": 12,
    "crime_ids": 13,
    "lsoa_effects": 14,
    "places": 15,
}


def stream(seed: int, block: int, name: str) -> np.random.Generator:
    """The random generator of one part (``name``) of one block (a financial year, say).

    Parameters
    ----------
    seed : int
        The user's seed (>= 0).
    block : int
        Which block the draws are for (e.g. the first year of a financial year).
    name : str
        A key of :data:`STREAMS`.

    Examples
    --------
    >>> a = stream(1, 2019, "rows").integers(0, 1000, 3)
    >>> b = stream(1, 2019, "rows").integers(0, 1000, 3)
    >>> bool((a == b).all()), bool((a == stream(2, 2019, "rows").integers(0, 1000, 3)).all())
    (True, False)
    """
    return np.random.default_rng([int(seed), int(block), STREAMS[name]])


class SegmentSampler:
    """Draw one entry per request from weighted categorical distributions held side by side.

    The entries belong to segments (e.g. the locations of each LSOA x category); a request
    names a segment and gets one of its entries with probability proportional to its weight.
    All requests are answered at once with a single :func:`numpy.searchsorted`.

    Parameters
    ----------
    segment : array of int
        Segment of each entry, in ``0 .. n_segments - 1``.
    weight : array of float
        Non-negative weight of each entry; every segment that will be asked for needs a
        positive total.
    n_segments : int
        Number of segments.

    Examples
    --------
    >>> s = SegmentSampler(np.array([0, 0, 1]), np.array([1.0, 4.0, 2.0]), 2)
    >>> rng = np.random.default_rng(0)
    >>> draws = s.sample(rng, np.zeros(10_000, dtype=int))
    >>> round(float((draws == 1).mean()), 1)
    0.8
    >>> s.sample(rng, np.array([1, 1])).tolist()
    [2, 2]
    """

    def __init__(self, segment, weight, n_segments: int):
        segment = np.asarray(segment, dtype=np.int64)
        weight = np.asarray(weight, dtype=np.float64)
        order = np.argsort(segment, kind="stable")
        seg = segment[order]
        w = weight[order]
        counts = np.bincount(seg, minlength=n_segments)
        self.start = np.concatenate([[0], np.cumsum(counts)])
        self.total = np.bincount(seg, weights=w, minlength=n_segments)
        cum = np.cumsum(w)
        before = np.concatenate([[0.0], cum])[self.start[:-1]]  # cum. weight before each segment
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = (cum - before[seg]) / self.total[seg]
        frac = np.where(np.isfinite(frac), np.minimum(frac, 1.0), 1.0)
        self.key = seg + frac
        self.order = order
        self.n_segments = n_segments

    def sample(self, rng: np.random.Generator, segments) -> np.ndarray:
        """Indices (into the entries as given) of one draw for each requested segment."""
        segments = np.asarray(segments, dtype=np.int64)
        if segments.size and (self.total[segments] <= 0).any():
            bad = int(segments[self.total[segments] <= 0][0])
            raise ValueError(f"segment {bad} has no entry with a positive weight")
        u = rng.random(segments.size)
        idx = np.searchsorted(self.key, segments + u, side="right")
        idx = np.clip(idx, self.start[segments], self.start[segments + 1] - 1)
        return self.order[idx]


def hex_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random 64-character lower-case hex identifiers (like police.uk Crime IDs).

    Examples
    --------
    >>> ids = hex_ids(np.random.default_rng(0), 1000)
    >>> set(ids.str.len_chars()), ids.n_unique()
    ({64}, 1000)
    """
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return _hex_rows(raw.tobytes(), 64).rename("id")


def mix64(values) -> np.ndarray:
    """The SplitMix64 finaliser: a bijection of 64-bit integers that scrambles their bits.

    Distinct inputs give distinct outputs, so identifiers made from distinct indices never
    collide.

    Examples
    --------
    >>> out = mix64(np.arange(5, dtype=np.uint64))
    >>> len(set(out.tolist()))
    5
    """
    z = np.asarray(values, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def pseudonyms(seed: int, namespace: int, index, prefix: str) -> pl.Series:
    """Pseudonymous identifiers: ``prefix`` + 16 upper-case hex digits.

    The digits are a bijection of ``(namespace, index)`` keyed by the seed, so distinct
    ``(namespace, index)`` pairs never share an identifier and the same pair always gets the
    same one under a given seed.

    Examples
    --------
    >>> a = pseudonyms(1, 0, np.array([0, 1]), "V")
    >>> a.to_list() == pseudonyms(1, 0, np.array([0, 1]), "V").to_list(), len(a[0])
    (True, 17)
    >>> pseudonyms(1, 0, np.array([7]), "V")[0] != pseudonyms(2, 0, np.array([7]), "V")[0]
    True
    """
    index = np.asarray(index, dtype=np.uint64)
    key = mix64(np.array([seed], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        raw = (np.uint64(namespace) << np.uint64(40)) | index
        scrambled = mix64(raw ^ key)
    digits = _hex_rows(scrambled.astype(">u8").tobytes(), 16)
    return (prefix + digits.str.to_uppercase()).rename("id")


def _hex_rows(raw: bytes, width: int) -> pl.Series:
    """Hex-encode ``raw`` and cut it into strings of ``width`` characters."""
    text = np.frombuffer(raw.hex().encode("ascii"), dtype=f"S{width}")
    return pl.Series("hex", text.astype(f"U{width}"), dtype=pl.String)
