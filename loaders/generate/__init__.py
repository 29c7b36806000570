"""Synthetic national dataset in the loader's input format (``zeren generate``).

One CSV per loadable kind of :mod:`zeren.graph.model`, written as a stream:
the country is walked depth first (nation > province > prefecture > county >
township) and every territory writes its institutions, teams, posts, people,
tenures, divisions and matters as soon as it is built, then is dropped. Only
the territory being written and its ancestors (at most five) are held in
memory, so memory does not grow with the scale factor.

Every id is derived arithmetically from the territory code and a position
(``I500101-17`` is slot 17 of county 500101; ``P500101-17-02`` its second
post), so references are produced without look-up tables. Every territory
draws from its own ``random.Random`` seeded from (seed, territory code,
purpose): the same seed and scale give byte-identical files.

Scale factor 1 is national size (34 province-level units, 333 prefecture-level,
2,843 county-level, 38,602 townships, about 440,000 institutions, 2.2 million
posts and persons, 10 million matters); every count is linear in the factor,
with at least one territory per level. See docs/generator.md.

By concern: ``common`` (the calendar, the law's dates, the random generators), ``world`` (the
territories), ``layout`` (their institutions), ``organisation`` (posts, holders and divisions),
``matters`` and ``measures`` (petition matters and what follows them), ``chapter3`` (the yearly
records of chapters 2-3), ``sink`` (the CSV files, in the model's columns) and ``run`` (the walk).
"""

from .layout import LAYOUT, TOWNSHIP_LAYOUT, covering
from .organisation import Unit
from .run import cli_generate, generate
from .sink import COLUMNS, Sink, header
from .world import Plan, places

__all__ = ["COLUMNS", "LAYOUT", "TOWNSHIP_LAYOUT", "Plan", "Sink", "Unit", "cli_generate", "covering", "generate", "header",
           "places"]
