"""What every part of the generator shares: the calendar of the dataset (the law's dates from the
shipped regulations' one declaration), the random generators of each purpose and the weighted picks."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import date

from zeren import law

# --------------------------------------------------------------------------- time

FIRST_TENURE = date(2007, 1, 1).toordinal()  # earliest start of a first holder
LAST_INITIAL = date(2015, 12, 31).toordinal()  # every post is held from 2016-01-01 on
START = date(2016, 1, 1).toordinal()  # matters are received from this day ...
END = date(2024, 12, 31).toordinal()  # ... to this one, the snapshot date
OPEN = 10**7  # end of an open interval (an ordinal beyond any date written)
TAX_LINE_FROM = "1994-01-01"  # vertical management of the tax system
YEARS = range(2016, 2025)
YEAR_STARTS = tuple(date(y, 1, 1).toordinal() for y in YEARS)


def in_force(document: str) -> int:
    """The day a shipped regulation came into force (an ordinal), from the one declaration of the documents."""
    declared = law.in_force()
    if document not in declared:
        raise KeyError(f"no shipped regulation {document!r}")
    return declared[document].on.toordinal()


CQ_IN_FORCE = in_force("CQ-2017")  # the Chongqing rules

_ISO: dict[int, str] = {}


def iso(day: int) -> str:
    """ISO date of a proleptic ordinal (cached: the range of days is bounded)."""
    s = _ISO.get(day)
    if s is None:
        s = _ISO[day] = date.fromordinal(day).isoformat()
    return s


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator of its own for one purpose in one territory."""
    return random.Random("|".join([str(seed), *map(str, parts)]))


def _weight(seed: int, code: str) -> float:
    """A territory's share of its level's matters, in [0.5, 1.5): stable by seed and code."""
    h = hashlib.blake2b(f"{seed}|w|{code}".encode(), digest_size=8).digest()
    return 0.5 + int.from_bytes(h, "big") / 2**64


def _pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _year(day: int) -> int:
    y = 2016
    for start in YEAR_STARTS[1:]:
        if day < start:
            break
        y += 1
    return y
