"""A bearer token with its user's role and its account, in one round trip.

The API checks a token on every request: `storage.oauth.get_token` then `storage.accounts.get` cost
two statements (two thread hops on SQLite); this answers both from one join, read fresh each time,
so a revoked token, a disabled login or a suspended account is refused on the very next request.
"""

from __future__ import annotations

from typing import Any

from .accounts import ACCOUNT_COLUMNS
from .db import Executor, Row, row_values
from .oauth import TOKEN_COLUMNS

_ACCOUNT_NAMES = tuple(name.strip() for name in ACCOUNT_COLUMNS.split(","))
_SQL = (
    f"SELECT {TOKEN_COLUMNS}, u.role, u.disabled, "
    # Whether the account has saved filters at all: most have none, and then the lists a request
    # answers need no statement to load them (server/api/filtering.py).
    "EXISTS (SELECT 1 FROM custom_filters f WHERE f.account_id = t.account_id) AS has_filters, "
    + ", ".join(f"a.{name} AS acct__{name}" for name in _ACCOUNT_NAMES)
    + " FROM oauth_tokens t LEFT JOIN users u ON u.account_id = t.account_id"
    " LEFT JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = ?"
)


async def token_and_account(db: Executor, token_hash: str) -> tuple[Row | None, dict[str, Any] | None]:
    """(the token row as `storage.oauth.get_token` reads it, plus `has_filters` and its account's
    columns prefixed `acct__`; the account's columns as `storage.accounts.get` reads them, or None when there is none)."""
    row = await db.fetchone(_SQL, (token_hash,))
    if row is None:
        return None, None
    account = row_values(row)[-len(_ACCOUNT_NAMES):]   # the account's columns come last, in ACCOUNT_COLUMNS order
    if account[0] is None:   # an app's own token, or an account that is gone
        return row, None
    # By position: sqlite3.Row finds a name by comparing it with every column before it.
    return row, dict(zip(_ACCOUNT_NAMES, account, strict=True))
