"""Thin I/O shells around the pure core: framing, streams, progress."""
