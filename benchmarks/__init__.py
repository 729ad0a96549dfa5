"""Benchmarks: a deterministic portfolio generator and ratio-based measurements."""
