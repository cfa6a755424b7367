-- Client API, second part: per-account preferences Mastodon apps read and write, and the indexes
-- behind the API's own lists (bookmarks, favourites, tokens of an app, tag prefix search).

CREATE TABLE account_preferences (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL,                        -- posting:default:visibility, reading:expand:media, …
    value TEXT NOT NULL,                      -- JSON
    PRIMARY KEY (account_id, key)
);

-- GET /api/v1/bookmarks and /api/v1/favourites page by the bookmark's and the favourite's own id.
CREATE INDEX bookmarks_account ON bookmarks (account_id, id);
CREATE INDEX favourites_account ON favourites (account_id, id);

-- Revoking an app, or an account's apps, finds its tokens without a scan.
CREATE INDEX oauth_tokens_app ON oauth_tokens (app_id);
CREATE INDEX oauth_apps_owner ON oauth_apps (owner_account_id);

-- Blocks and mutes lists page by the row id of one account's rows.
CREATE INDEX blocks_account ON blocks (account_id, id);
CREATE INDEX mutes_account ON mutes (account_id, id);


-- GET /media/… finds the attachment row (and its content type) from the path.
CREATE INDEX media_attachments_file ON media_attachments (file_path);
CREATE INDEX media_attachments_thumbnail ON media_attachments (thumbnail_path);
-- Unattached uploads of an account (cleanup, and the owner check when posting).
CREATE INDEX media_attachments_account ON media_attachments (account_id, id);
