"""Benchmarks of Posture, run from the repository root: ``python -m benchmarks.bench`` (the interactive path)
and ``python -m benchmarks.store`` (the client file at practice scale); ``make bench`` / ``make bench-store``.

They build their synthetic photos and documents with :mod:`tests.support.synthetic`; the product package
``posture`` imports neither.
"""
