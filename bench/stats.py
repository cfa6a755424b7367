"""Percentiles, bounded timing loops and the tables every scenario prints."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of unsorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Latency:
    """A latency distribution in milliseconds."""

    count: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Latency:
        if not samples_ms:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return cls(
            len(samples_ms), percentile(samples_ms, 0.50), percentile(samples_ms, 0.90),
            percentile(samples_ms, 0.99), max(samples_ms), sum(samples_ms) / len(samples_ms),
        )


async def time_async(
    call: Callable[[], Awaitable[Any]], *, count: int, budget_s: float, warmup: int = 20
) -> Latency:
    """Run `call` sequentially up to `count` times or `budget_s` seconds; its latency in ms."""
    for _ in range(warmup):
        await call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < count and time.perf_counter() < deadline:
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return Latency.of(samples)


def ratio(ours: float, baseline: float) -> str:
    if not baseline or math.isnan(ours) or math.isnan(baseline):
        return "-"
    return f"{ours / baseline:.1f}×"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal too), numbers formatted to 3 significant digits."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return "-"
            if value >= 100:
                return f"{value:,.0f}"
            return f"{value:.3g}" if value < 10 else f"{value:.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    text_rows = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in text_rows:
        cells = (v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
