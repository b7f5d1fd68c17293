"""Side-by-side benchmarks of impact_rx against raw RxPY and signal peers.

Run ``python -m benchmarks`` (or ``make bench``) for the full table, ``--quick``
for a run of a few seconds, ``--only c`` for one scenario, ``--profile`` to
see where impact_rx spends its time. Scenarios and targets are issue 9's.
"""
