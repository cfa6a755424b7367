"""From the headline's measured throughputs to users per core, under a usage model stated here.

The model (peak hour of a working day, every figure an assumption to argue with, not a measurement):
- 25 % of employees are active at the same time at peak (a 20,000-employee subsidiary: 5,000).
- An active user makes, per minute: 6 reads, each costed as one home timeline page (the heaviest
  read measured: notifications, threads and profiles are cheaper), and 0.2 writes, each costed as
  one post creation (a like or a follow costs less than a post with 100 followers' fan-out).
- Federation: each write is delivered to 10 other instances of the company (10 deliveries); the
  inbox receives 1 activity per active user per minute (the rest of the company is larger than one
  subsidiary and posts to it).
- Capacity of one core: the better of what one process did (it cannot use more than one core)
  and what two processes did divided by the 2 cores. The database server, the load generator and,
  while these runs were taken, other people's jobs shared those cores, so this is a floor: on a
  machine of its own a core does more. Inbox and post throughputs were measured with one process.
  Deliveries likewise, from the 1 and 2 worker runs.
- Plan for 60 % CPU at peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PEAK_ACTIVE = 0.25
READS_PER_MIN = 6.0
WRITES_PER_MIN = 0.2
DELIVERIES_PER_WRITE = 10.0
INBOX_PER_MIN = 1.0
TARGET_CPU = 0.6
CORES = 2


@dataclass(frozen=True)
class Capacity:
    """Measured throughputs of one engine (per second, on the whole machine)."""

    reads_1: float       # home timeline, 1 web process, closed loop
    reads_2: float       # the same, 2 web processes
    posts_1: float       # POST /api/v1/statuses, 1 web process
    inbox_1: float       # signed inbox POSTs accepted, 1 web process
    deliveries_1: float  # fan-out deliveries/s, 1 worker process
    deliveries_2: float  # the same, 2 worker processes


@dataclass(frozen=True)
class Sizing:
    core_ms_per_active_user_s: float   # CPU milliseconds per second that one active user costs
    active_users_per_core: float
    employees_per_core: float
    cores_for: dict[int, float]        # employees -> cores at TARGET_CPU


def size(cap: Capacity, employees: tuple[int, ...] = (20_000,)) -> Sizing:
    per_core = {
        "read": max(cap.reads_1, cap.reads_2 / CORES),
        "post": cap.posts_1,
        "inbox": cap.inbox_1,
        "delivery": max(cap.deliveries_1, cap.deliveries_2 / CORES),
    }
    rates = {   # per active user per second
        "read": READS_PER_MIN / 60,
        "post": WRITES_PER_MIN / 60,
        "inbox": INBOX_PER_MIN / 60,
        "delivery": WRITES_PER_MIN * DELIVERIES_PER_WRITE / 60,
    }
    if any(not v or math.isnan(v) for v in per_core.values()):
        nan = float("nan")
        return Sizing(nan, nan, nan, {e: nan for e in employees})
    core_s = sum(rates[k] / per_core[k] for k in rates)   # core-seconds per second per active user
    active_per_core = 1 / core_s
    return Sizing(
        core_ms_per_active_user_s=core_s * 1000, active_users_per_core=active_per_core,
        employees_per_core=active_per_core / PEAK_ACTIVE,
        cores_for={e: e * PEAK_ACTIVE * core_s / TARGET_CPU for e in employees},
    )


def model_text() -> str:
    return (f"{PEAK_ACTIVE:.0%} of employees active at once at peak; per active user and minute {READS_PER_MIN:g}"
            f" reads (each costed as a home timeline page), {WRITES_PER_MIN:g} writes (each costed as a post),"
            f" {WRITES_PER_MIN * DELIVERIES_PER_WRITE:g} outgoing deliveries and {INBOX_PER_MIN:g} incoming"
            f" activity; a core's capacity = the better of one process's throughput and two processes' ÷ 2"
            f"; {TARGET_CPU:.0%} CPU at peak")
