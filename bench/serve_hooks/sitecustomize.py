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

# The inboxes' per-peer limit (3,000 deliveries a minute per instance) would answer 429 to the
# inbox scenarios' single sending host within seconds. ATRIUM_INBOX_PEER_RATE_PER_MINUTE, when the
# settings know it, does the same; until then the default budget is lifted here.
try:
    from server import inbox_throttle
except ImportError:
    pass
else:
    inbox_throttle.DEFAULT_BUDGET = inbox_throttle.Budget(10**9, 60)
    if inbox_throttle.InboxThrottle.__init__.__defaults__:
        inbox_throttle.InboxThrottle.__init__.__defaults__ = (inbox_throttle.DEFAULT_BUDGET,)


def _freeze(signum: int, frame: object) -> None:
    gc.collect()
    gc.freeze()


if os.environ.get("BENCH_GC_FREEZE_ON_USR1"):
    signal.signal(signal.SIGUSR1, _freeze)
