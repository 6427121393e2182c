"""The reference line engine: the pure-Python engine pseudolog ran on before the native core (src/), kept as the
oracle of the differential tests (tests/test_native_*.py and others). The product never imports it
(tests/test_product_path.py checks that).

- `scrub`, `detect/`: the detectors and the scrubber (free text -> tokens);
- `core/`: the processor chain (format step, time, retention, pseudonymise), the fast paths and field caches;
- `framing`: byte chunks -> lines and segments of over-long lines;
- `timeparse`: the line-time parsers with their memo, and `cache` their bounded cache;
- `formats`: each format's Python parse, event time and render, on top of the package's format declarations.
"""
