"""The suite's scoreboard: every hostile attempt is recorded here, and the totals are printed at the end.

`attempt(case, status, rows_written, accepted=...)` is called by the harness each time a hostile
request or activity is tried. The session fixture in conftest.py fails the run if any attempt was
accepted, answered 5xx or wrote a row, and prints the counts (SECURITY-CASES, issue 6).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Attempt:
    case: str
    what: str
    status: int | None          # HTTP status answered, or None for a refusal that is not an HTTP answer
    rows_written: int
    accepted: bool


@dataclass
class Tally:
    attempts: list[Attempt] = field(default_factory=list)
    matrix_cells: int = 0

    def attempt(self, case: str, what: str, status: int | None, rows_written: int, *, accepted: bool | None = None) -> None:
        if accepted is None:
            accepted = status is not None and 200 <= status < 300
        self.attempts.append(Attempt(case, what, status, rows_written, accepted))

    @property
    def tried(self) -> int:
        return len(self.attempts)

    @property
    def accepted(self) -> int:
        return sum(a.accepted for a in self.attempts)

    @property
    def server_errors(self) -> int:
        return sum(a.status is not None and a.status >= 500 for a in self.attempts)

    @property
    def rows_written(self) -> int:
        return sum(a.rows_written for a in self.attempts)

    def cases(self) -> int:
        return len({a.case for a in self.attempts})

    def bad(self) -> list[Attempt]:
        return [a for a in self.attempts if a.accepted or a.rows_written or (a.status is not None and a.status >= 500)]

    def summary(self) -> str:
        per_case = Counter(a.case for a in self.attempts)
        numbered = sorted(c for c in per_case if c.isdigit())
        lines = [
            f"security suite: SECURITY-CASES tried {len(numbered)}/33 ({', '.join(numbered)}); "
            f"hostile attempts tried {self.tried}; accepted {self.accepted}; 5xx {self.server_errors}; "
            f"rows written by refused requests {self.rows_written}; leak-matrix cells checked {self.matrix_cells}",
            "  attempts per case: " + ", ".join(f"{case}={n}" for case, n in sorted(per_case.items())),
        ]
        for bad in self.bad():
            lines.append(f"  FAILED ATTEMPT {bad.case}: {bad.what} status={bad.status} rows={bad.rows_written}")
        return "\n".join(lines)


TALLY = Tally()
