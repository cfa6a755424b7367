-- Atrium's initial schema. Written once for SQLite and PostgreSQL: BIGINT ids (time-sortable
-- snowflakes made by storage.ids), INTEGER flags (0/1), BIGINT timestamps in milliseconds since the
-- epoch (UTC), TEXT for JSON. Audiences are part of every status row from day one.

CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,                 -- ActivityPub actor id
    username TEXT NOT NULL,
    domain TEXT,                              -- NULL for accounts of this instance
    actor_type TEXT NOT NULL DEFAULT 'Person',-- Person, Group (FEP-1b12), Application, Service
    display_name TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',            -- bio, sanitized HTML
    note_source TEXT NOT NULL DEFAULT '',     -- bio as typed (local accounts)
    url TEXT,                                 -- profile page
    inbox_url TEXT,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    following_url TEXT,
    featured_url TEXT,
    public_key_id TEXT,
    public_key_pem TEXT,
    private_key_pem TEXT,                     -- local accounts only
    avatar_path TEXT,                         -- local file under the media folder
    avatar_remote_url TEXT,
    header_path TEXT,
    header_remote_url TEXT,
    locked INTEGER NOT NULL DEFAULT 0,
    discoverable INTEGER NOT NULL DEFAULT 1,
    bot INTEGER NOT NULL DEFAULT 0,
    fields TEXT NOT NULL DEFAULT '[]',        -- [{"name":…, "value":…}] free profile fields
    department TEXT,                          -- employee fields: directory, org chart, adoption per team
    title TEXT,
    manager_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    manager_uri TEXT,                         -- kept when the manager is not known here yet
    location TEXT,
    pronouns TEXT,
    also_known_as TEXT NOT NULL DEFAULT '[]',
    moved_to_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    suspended_at BIGINT,
    silenced_at BIGINT,
    followers_count INTEGER NOT NULL DEFAULT 0,
    following_count INTEGER NOT NULL DEFAULT 0,
    statuses_count INTEGER NOT NULL DEFAULT 0,
    last_status_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    fetched_at BIGINT                         -- last refresh from the origin (remote accounts)
);
CREATE UNIQUE INDEX accounts_handle ON accounts (lower(username), COALESCE(domain, ''));
CREATE INDEX accounts_public_key_id ON accounts (public_key_id);
CREATE INDEX accounts_manager ON accounts (manager_id);
CREATE INDEX accounts_domain ON accounts (domain);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL DEFAULT 'user',        -- user, moderator, admin
    locale TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    invite_id BIGINT,
    created_at BIGINT NOT NULL,
    last_sign_in_at BIGINT
);

CREATE TABLE invites (
    id BIGINT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    created_by_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    max_uses INTEGER,                         -- NULL: unlimited
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE web_sessions (
    id BIGINT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,          -- SHA-256 of the cookie's session token
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_agent TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);

CREATE TABLE statuses (
    id BIGINT PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    url TEXT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    local INTEGER NOT NULL,
    -- public, unlisted, followers, direct, company (every company instance), local (this instance)
    visibility TEXT NOT NULL,
    in_reply_to_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    in_reply_to_uri TEXT,
    in_reply_to_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    thread_root_id BIGINT,                    -- the first post of the thread, for context views
    reblog_of_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,  -- FEP-1b12 audience
    content TEXT NOT NULL DEFAULT '',         -- sanitized HTML
    source_text TEXT,                         -- as typed (local statuses)
    spoiler_text TEXT NOT NULL DEFAULT '',
    sensitive INTEGER NOT NULL DEFAULT 0,
    language TEXT,
    poll_id BIGINT,
    must_read INTEGER NOT NULL DEFAULT 0,     -- must-read announcements
    replies_count INTEGER NOT NULL DEFAULT 0,
    reblogs_count INTEGER NOT NULL DEFAULT 0,
    favourites_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    remote_updated_at BIGINT                  -- `updated` of the last applied remote Update
);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_reply ON statuses (in_reply_to_id);
CREATE INDEX statuses_thread ON statuses (thread_root_id);
CREATE INDEX statuses_reblog ON statuses (reblog_of_id);
CREATE INDEX statuses_visibility ON statuses (visibility, local, id);
CREATE UNIQUE INDEX statuses_one_boost ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;

-- Ids of deleted objects: a late Create or Update of a deleted status must not bring it back.
CREATE TABLE tombstones (
    uri TEXT PRIMARY KEY,
    account_id BIGINT,
    deleted_at BIGINT NOT NULL
);

CREATE TABLE status_edits (
    id BIGINT PRIMARY KEY,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    content TEXT NOT NULL,
    spoiler_text TEXT NOT NULL DEFAULT '',
    sensitive INTEGER NOT NULL DEFAULT 0,
    poll_options TEXT,
    media TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE mentions (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    silent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (status_id, account_id)
);
CREATE INDEX mentions_account ON mentions (account_id, status_id);

CREATE TABLE tags (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,                -- normalised (NFKC, casefolded)
    display_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_status_at BIGINT
);

CREATE TABLE status_tags (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (status_id, tag_id)
);
CREATE INDEX status_tags_tag ON status_tags (tag_id, status_id);

CREATE TABLE favourites (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    uri TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, status_id)
);
CREATE INDEX favourites_status ON favourites (status_id);

CREATE TABLE bookmarks (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, status_id)
);

CREATE TABLE pins (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, status_id)
);

CREATE TABLE follows (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,        -- who follows
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, -- whom
    uri TEXT UNIQUE,                          -- the Follow activity's id
    state TEXT NOT NULL,                      -- pending, accepted
    show_reblogs INTEGER NOT NULL DEFAULT 1,
    notify INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX follows_target ON follows (target_account_id, state);

CREATE TABLE blocks (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, target_account_id)
);
CREATE INDEX blocks_target ON blocks (target_account_id);

CREATE TABLE mutes (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hide_notifications INTEGER NOT NULL DEFAULT 1,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, target_account_id)
);

-- Home timelines, materialised on write (bench/README.md says why): one row per reader and status.
CREATE TABLE home_feed (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL,                -- so an unfollow removes rows without a join
    PRIMARY KEY (account_id, status_id)
);
CREATE INDEX home_feed_author ON home_feed (account_id, author_id);  -- dropped again in 0007
CREATE INDEX home_feed_status ON home_feed (status_id);

CREATE TABLE notifications (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,       -- recipient
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type TEXT NOT NULL,          -- mention, status, reblog, follow, follow_request, favourite, poll, update, admin.report, admin.sign_up
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    report_id BIGINT,
    dedup_key TEXT NOT NULL UNIQUE,           -- one notification per (recipient, type, actor, object)
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);

CREATE TABLE media_attachments (
    id BIGINT PRIMARY KEY,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    type TEXT NOT NULL,                       -- image, video, gifv, audio, unknown
    file_path TEXT,                           -- relative to the media folder (local files)
    thumbnail_path TEXT,
    remote_url TEXT,
    mime_type TEXT,
    file_size BIGINT,
    width INTEGER,
    height INTEGER,
    blurhash TEXT,
    description TEXT,
    focus_x REAL,
    focus_y REAL,
    position INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id);

CREATE TABLE polls (
    id BIGINT PRIMARY KEY,
    status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    options TEXT NOT NULL,                    -- ["title", …]
    cached_counts TEXT,                       -- remote polls: [n, …] as the origin reported
    multiple INTEGER NOT NULL DEFAULT 0,
    hide_totals INTEGER NOT NULL DEFAULT 0,
    anonymous INTEGER NOT NULL DEFAULT 0,     -- surveys: results without names
    expires_at BIGINT,
    votes_count INTEGER NOT NULL DEFAULT 0,
    voters_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE poll_votes (
    id BIGINT PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice INTEGER NOT NULL,
    uri TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (poll_id, account_id, choice)
);

CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    status_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
