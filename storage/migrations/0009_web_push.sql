-- Web Push (Mastodon's /api/v1/push/subscription): one subscription per access token, and the
-- instance's VAPID key pair with the pusher's progress through the notifications.

CREATE TABLE push_subscriptions (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_id BIGINT NOT NULL UNIQUE REFERENCES oauth_tokens (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    key_p256dh TEXT NOT NULL,                 -- the browser's public key, base64url
    key_auth TEXT NOT NULL,                   -- the shared auth secret, base64url
    alerts TEXT NOT NULL,                     -- JSON {"mention": true, "follow": false, …}
    policy TEXT NOT NULL DEFAULT 'all',       -- all, followed, follower, none
    standard INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);

CREATE TABLE web_push_state (
    id INTEGER PRIMARY KEY,                   -- always 1
    vapid_private_pem TEXT NOT NULL,
    vapid_public_key TEXT NOT NULL,           -- uncompressed P-256 point, base64url (the instance's key)
    last_notification_id BIGINT NOT NULL,     -- notifications up to here were pushed (or skipped)
    created_at BIGINT NOT NULL
);
