-- Client API, third part: filters, private notes on accounts, followed hashtags, scheduled posts.

-- Filters (Mastodon's v2 filters; v1 filters are a view of their keywords).
CREATE TABLE custom_filters (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    context TEXT NOT NULL,                    -- JSON list: home, notifications, public, thread, account
    filter_action TEXT NOT NULL DEFAULT 'warn', -- warn, hide
    expires_at BIGINT,                        -- NULL: never expires
    created_at BIGINT NOT NULL
);
CREATE INDEX custom_filters_account ON custom_filters (account_id, id);

CREATE TABLE custom_filter_keywords (
    id BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES custom_filters (id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    whole_word INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX custom_filter_keywords_filter ON custom_filter_keywords (filter_id, id);

CREATE TABLE custom_filter_statuses (
    id BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES custom_filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    UNIQUE (filter_id, status_id)
);
CREATE INDEX custom_filter_statuses_status ON custom_filter_statuses (status_id);

-- A private note one account keeps about another (Relationship.note).
CREATE TABLE account_notes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_account_id)
);
CREATE INDEX account_notes_target ON account_notes (target_account_id);

-- Followed hashtags: posts carrying one reach the follower's home feed.
CREATE TABLE tag_follows (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, tag_id)
);
CREATE INDEX tag_follows_tag ON tag_follows (tag_id, account_id);

-- Scheduled posts: the request's parameters kept until a worker claims and publishes them.
CREATE TABLE scheduled_statuses (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at BIGINT NOT NULL,
    params TEXT NOT NULL,                     -- JSON: text, visibility, spoiler_text, poll, …
    media_ids TEXT NOT NULL DEFAULT '[]',     -- JSON list of media attachment ids
    locked_until BIGINT,                      -- a publisher's claim (see storage.claims)
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);
