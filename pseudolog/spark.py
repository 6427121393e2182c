"""Scale-out on Apache Spark: the same line processing as `run`, partition by partition.

Each input is read as bytes. Partition 0 of an input starts with a fresh `auto` engine, exactly as `run`
starts a file; the other partitions use the format `auto` settles on for that input's first lines, which
the driver works out before the job. Every line goes through the same framer as `run`, so over-long lines
are segmented identically. The key travels as a broadcast variable (never on a command line or in a log),
and retention drops and per-kind counts come back through an accumulator.

Hadoop's text input splits lines at \\n, \\r\\n and \\r and drops the terminator; part files end lines with
\\n. Line contents are byte for byte those of `run`; line endings are normalised.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from pseudolog.config import FilterOptions
from pseudolog.errors import ConfigError
from pseudolog.pipeline import Engine, build_engine, render_lines
from pseudolog.stats import Counts, add_counts, counts_summary

AUTO_LOCK_LINES = 20  # `auto` settles within this many lines (src/layout.rs AutoDetect::LOCK_LINES)

try:  # pragma: no cover - exercised only with the spark extra
    from pyspark import AccumulatorParam
except ImportError:  # pragma: no cover
    AccumulatorParam = object  # type: ignore[assignment,misc]


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError("the spark command needs PySpark: pip install 'pseudolog[spark]'") from None


class CountsParam(AccumulatorParam):  # type: ignore[misc,valid-type]
    """The engines' counts from every task, added on the driver."""

    def zero(self, value: Counts) -> Counts:
        return {}

    def addInPlace(self, a: Counts, b: Counts) -> Counts:
        return add_counts(a, b)


def settled_format(options: FilterOptions, first_lines: list[bytes], key: bytes, now: float) -> FilterOptions:
    """The options a partition after the first uses: `auto` replaced by what it settles on for these lines."""
    if options.log_format or options.format != "auto":
        return options
    engine = build_engine(options, key)
    engine.start_input()
    render_lines(engine, first_lines, now)
    return replace(options, format=engine.detected or "text")


SPARK_BATCH_BYTES = 1 << 20


def process_lines(lines: Iterable[bytes], engine: Engine, now: float) -> Iterator[bytes]:
    """Lines in, lines out (without terminators), through the same engine as `run`, about a megabyte of lines
    per call. Hadoop's reader has split at every line ending, so each output line ends at exactly one
    newline."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line) + 1
        if size >= SPARK_BATCH_BYTES:
            yield from render_lines(engine, batch, now)
            batch, size = [], 0
    if batch:
        yield from render_lines(engine, batch, now)


def process_value(value: bytes, engine: Engine, now: float) -> bytes | None:
    """One DataFrame value, which may itself hold line breaks: its output without the final newline, or
    None when retention drops it."""
    out = engine.feed(value + b"\n", now)
    if not out:
        return None
    return out[:-1] if out.endswith(b"\n") else out


def _partition_function(first: FilterOptions, rest: FilterOptions, key_broadcast: Any, now: float, counts: Any):
    def run_partition(index: int, lines: Iterator[bytes]) -> Iterator[bytes]:
        engine = build_engine(first if index == 0 else rest, key_broadcast.value)
        yield from process_lines(lines, engine, now)
        counts.add(engine.counts())

    return run_partition


def run_job(
    spark: Any, inputs: list[str], output_dir: str, options: FilterOptions, key: bytes, now: float
) -> dict[str, Any]:
    """Pseudonymise text files into part files under output_dir; returns the summary counts."""
    context = spark.sparkContext
    key_broadcast = context.broadcast(key)
    counts = context.accumulator({}, CountsParam())
    rdds = []
    for path in inputs:
        rdd = context.textFile(path, use_unicode=False)
        rest = settled_format(options, rdd.take(AUTO_LOCK_LINES), key, now)
        rdds.append(rdd.mapPartitionsWithIndex(_partition_function(options, rest, key_broadcast, now, counts)))
    result = rdds[0] if len(rdds) == 1 else context.union(rdds)
    result.saveAsTextFile(output_dir)
    key_broadcast.destroy()
    return counts_summary(counts.value, options.format)


_udf_engines: dict[tuple[FilterOptions, bytes, float], Engine] = {}


def pseudonymize(
    df: Any, column: str, *, key: bytes, options: FilterOptions | None = None, now: float | None = None
) -> Any:
    """A DataFrame with `column` pseudonymised line by line; rows that retention drops are removed.

    For teams that already hold logs in DataFrames (Parquet, JSON). Each value is one log line, processed
    with `format` as given (default auto, settled per executor on the first values it sees).
    """
    import time

    from pyspark.sql import functions as F
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    options = options or FilterOptions()
    fixed_now = time.time() if now is None else now
    key_broadcast = df.sparkSession.sparkContext.broadcast(key)
    schema = StructType([StructField("keep", BooleanType()), StructField("value", StringType())])

    def one(value):  # type: ignore[no-untyped-def] - annotations would make PySpark try a pandas UDF
        if value is None:
            return True, None
        cache_key = (options, key_broadcast.value, fixed_now)
        engine = _udf_engines.get(cache_key)
        if engine is None:
            engine = _udf_engines.setdefault(cache_key, build_engine(options, key_broadcast.value))
        out = process_value(value.encode("utf-8", "surrogateescape"), engine, fixed_now)
        if out is None:
            return False, None
        return True, out.decode("utf-8", "surrogateescape")

    result = F.udf(one, schema)(F.col(column))
    tmp = f"__pseudolog_{os.getpid()}"
    return df.withColumn(tmp, result).where(F.col(f"{tmp}.keep")).withColumn(column, F.col(f"{tmp}.value")).drop(tmp)
