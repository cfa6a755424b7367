-- One index serves both questions about an object's deliveries: "cancel what is queued for this
-- object" (a Delete) and the claim's "is an earlier activity about this object still queued for this
-- inbox". With two indexes, PostgreSQL planned the claim's check on (object_uri, state) before fresh
-- statistics existed, and one post queued to 10,000 inboxes made each claim read 10,000 rows per
-- candidate (5-8 s a claim). With the object and the inbox leading, either way is a short range.
DROP INDEX deliveries_object;
DROP INDEX deliveries_inbox_object;
CREATE INDEX deliveries_object_inbox ON deliveries (object_uri, inbox_url, state, outbox_activity_id);
-- The claim takes the oldest due deliveries in (next_attempt_at, id) order: with `id` in the index,
-- ties (a fan-out queues thousands at the same instant) come out in order without a sort of them all.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, id);
