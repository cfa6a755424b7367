-- The enterprise side: moderation, audit, must-read announcements, adoption analytics.

CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,        -- reporter
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_ids TEXT NOT NULL DEFAULT '[]',
    comment TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT 'other',
    forward INTEGER NOT NULL DEFAULT 0,
    uri TEXT UNIQUE,
    action_taken_at BIGINT,
    action_taken_by_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX reports_open ON reports (action_taken_at, id);

-- Append-only: nothing in Atrium updates or deletes these rows.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    account_id BIGINT,                        -- the admin, NULL for the CLI
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);

CREATE TABLE announcements (
    id BIGINT PRIMARY KEY,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    content TEXT NOT NULL,
    must_read INTEGER NOT NULL DEFAULT 0,
    audience TEXT NOT NULL DEFAULT 'local',   -- local, company
    starts_at BIGINT,
    ends_at BIGINT,
    all_day INTEGER NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE announcement_reads (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, account_id)
);

-- Adoption: per employee, per UTC day, how many times they posted, read and reacted.
CREATE TABLE activity_days (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day INTEGER NOT NULL,                     -- YYYYMMDD
    posts INTEGER NOT NULL DEFAULT 0,
    reads INTEGER NOT NULL DEFAULT 0,
    reactions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
);
CREATE INDEX activity_days_day ON activity_days (day);
