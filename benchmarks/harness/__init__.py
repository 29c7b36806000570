"""The benchmark harness of ``benchmarks/run.py``, by concern: the stores
under test (``stores``), the generated data (``data``), the processes'
memory and CPU (``processes``), the live service and its HTTP client
(``service``), one module per measure (``p1_load``, ``p2_trace``,
``p4_throughput``, ``p6_peer``), one scale end to end (``scale``) and the
report (``report``). ``benchmarks/`` is no package: ``run.py`` loads this
folder as the package ``zeren_benchmarks``."""
