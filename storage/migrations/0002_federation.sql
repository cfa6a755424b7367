-- Federation state: durable inbox, two-stage outgoing fan-out, per-host health, the company allowlist.

-- Every accepted inbox POST, stored raw before we answer 202; processed later from this row.
CREATE TABLE inbox_items (
    id BIGINT PRIMARY KEY,
    activity_id TEXT NOT NULL UNIQUE,         -- deduplication: a redelivery does nothing twice
    activity_type TEXT NOT NULL,
    actor_uri TEXT NOT NULL,
    key_id TEXT NOT NULL,
    recipient_account_id BIGINT,              -- NULL when it came through the shared inbox
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',     -- queued, done, failed, ignored
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    received_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX inbox_items_due ON inbox_items (state, next_attempt_at);

-- Stage one of fan-out: one row per outgoing activity, expanded to deliveries by a worker.
CREATE TABLE outbox_activities (
    id BIGINT PRIMARY KEY,
    activity_id TEXT NOT NULL UNIQUE,
    activity_type TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    object_uri TEXT,
    body TEXT NOT NULL,
    audience TEXT NOT NULL,                   -- JSON: what to expand (followers, mentions, company, inboxes)
    state TEXT NOT NULL DEFAULT 'queued',     -- queued, expanded, cancelled
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_activities_state ON outbox_activities (state, id);
CREATE INDEX outbox_activities_object ON outbox_activities (object_uri);

-- Stage two: one delivery per distinct inbox (shared inboxes deduplicated).
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    outbox_activity_id BIGINT NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    host TEXT NOT NULL,
    object_uri TEXT,
    state TEXT NOT NULL DEFAULT 'queued',     -- queued, done, failed, cancelled, gone
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    UNIQUE (outbox_activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_object ON deliveries (object_uri, state);
CREATE INDEX deliveries_host ON deliveries (host, state);

-- Per-host health: the circuit breaker and what we learnt from NodeInfo.
CREATE TABLE hosts (
    domain TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    circuit_open_until BIGINT,
    last_success_at BIGINT,
    last_failure_at BIGINT,
    last_key_refetch_at BIGINT,
    software TEXT,
    gone INTEGER NOT NULL DEFAULT 0
);

-- The company federation: the instances this one talks to (closed mode talks to no one else).
CREATE TABLE peers (
    domain TEXT PRIMARY KEY,                  -- host[:port] as it appears in actor ids
    address TEXT,                             -- where to connect (ip[:port]) if DNS should not be used
    allowed_cidrs TEXT NOT NULL DEFAULT '[]', -- private ranges this peer may live in
    instance_key_pem TEXT,                    -- from the signed peer registry
    source TEXT NOT NULL DEFAULT 'manual',    -- manual, registry
    note TEXT NOT NULL DEFAULT '',
    suspended_at BIGINT,
    created_at BIGINT NOT NULL
);

-- Open mode: domains we refuse (suspend) or keep out of public timelines (silence).
CREATE TABLE domain_blocks (
    domain TEXT PRIMARY KEY,
    severity TEXT NOT NULL,                   -- silence, suspend
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
