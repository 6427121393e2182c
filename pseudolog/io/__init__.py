"""Thin I/O shells around the native core: streams, progress (the core frames the lines)."""
