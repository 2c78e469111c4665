"""Benchmarks: each `bench_*.py` module has `main() -> dict` and compares against a baseline
measured in the same run on the same machine. Run them all with `make bench`."""
