-- The (account_id, author_id) index costs every fan-out and is not needed: unfollows scan one
-- reader's feed through the primary key (see the SQLite twin of this migration).
DROP INDEX IF EXISTS home_feed_author;
