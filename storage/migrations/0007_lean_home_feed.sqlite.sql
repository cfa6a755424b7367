-- The home feed without a rowid and without the (account_id, author_id) index: the primary key
-- alone serves reads (range scan) and unfollows (prefix scan of one reader's feed); measured in
-- bench/README.md, it halves the cost of fan-out on write.
CREATE TABLE home_feed_lean (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL,
    PRIMARY KEY (account_id, status_id)
) WITHOUT ROWID;
INSERT INTO home_feed_lean (account_id, status_id, author_id) SELECT account_id, status_id, author_id FROM home_feed;
DROP TABLE home_feed;
ALTER TABLE home_feed_lean RENAME TO home_feed;
CREATE INDEX home_feed_status ON home_feed (status_id);
