"""Put on PYTHONPATH of the `atrium serve` the HTTP benchmark starts (and of nothing else).

It lifts the API's rate-limit budgets: Mastodon's 300 calls per 5 minutes per token and 7,500 per
IP would answer 429 within the first seconds, every benchmark client sharing one loopback address.
With BENCH_GC_FREEZE_ON_USR1 set (`python -m bench --gc-freeze`), SIGUSR1 moves every object alive
at that moment out of the collector's reach (`gc.freeze()`), an experiment on the latency tail.
Everything else about the server is what `atrium serve` runs.
"""

import gc
import os
import signal

try:
    from server.api import ratelimit
except ImportError:   # no API in this checkout: nothing to lift
    pass
else:
    for _name, _budget in list(ratelimit.DEFAULT_BUDGETS.items()):
        ratelimit.DEFAULT_BUDGETS[_name] = ratelimit.Budget(10**9, _budget.period)


def _freeze(signum: int, frame: object) -> None:
    gc.collect()
    gc.freeze()


if os.environ.get("BENCH_GC_FREEZE_ON_USR1"):
    signal.signal(signal.SIGUSR1, _freeze)
