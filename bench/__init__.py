"""Benchmarks run by `make bench`. Each `bench/bench_*.py` module has `run() -> dict` whose result
is written as JSON to `bench/results/<name>.json`."""
