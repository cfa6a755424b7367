-- Home-feed fan-out after the post's commit (storage/fanout.py): the post's transaction writes one
-- job row; batches of followers then enter their feeds in short transactions of their own, so a
-- post by an author with 10,000 followers no longer holds the write lock for the whole fan-out.
-- A job left by a crash is claimed again once its lock expires (storage.claims).
CREATE TABLE fanout_jobs (
    id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,   -- the status fanned out
    author_id BIGINT NOT NULL,
    in_reply_to_account_id BIGINT,            -- a reply reaches followers who also follow this account
    is_reblog INTEGER NOT NULL DEFAULT 0,     -- a boost skips followers who hid that author's boosts
    done_through BIGINT NOT NULL DEFAULT 0,   -- followers with account_id <= this one are done
    locked_until BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX fanout_jobs_due ON fanout_jobs (locked_until);
-- Followers in account order, for batches that resume where the last one stopped (an index seek
-- per batch rather than a scan and sort of every follower).
CREATE INDEX follows_target_follower ON follows (target_account_id, state, account_id);
DROP INDEX IF EXISTS follows_target;   -- a prefix of the index above, which now serves its queries
