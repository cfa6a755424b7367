-- Federation, second part: indexes behind the workers' claim queries and the inbox handlers' lookups.

-- Inbox items of one actor are first processed in arrival order (a Create before its Update).
CREATE INDEX inbox_items_actor ON inbox_items (actor_uri, state, id);

-- Deliveries of one object to one inbox go out in order (Create, then Update, then Delete).
CREATE INDEX deliveries_inbox_object ON deliveries (inbox_url, object_uri, state, outbox_activity_id);
CREATE INDEX deliveries_outbox ON deliveries (outbox_activity_id, state);

-- Undo(Block) finds the block by the Block activity's id.
CREATE INDEX blocks_uri ON blocks (uri);

-- A report received twice (the same Flag id) is stored once; reports about an account, newest first.
CREATE INDEX reports_target ON reports (target_account_id, id);
