-- The inbox claim (storage.inbox.claim_due) without a quadratic scan: a backlog of 50,000 items
-- from one actor made every claim probe all of the actor's older queued items, one per candidate
-- (3.8 s per claim at 5,000 items). Now the candidates come in claim order straight from an index
-- (no sort of every due row), and "is an older item of this actor locked?" looks only at the few
-- items that hold a lock.
DROP INDEX IF EXISTS inbox_items_due;
CREATE INDEX inbox_items_due ON inbox_items (state, next_attempt_at, id);
DROP INDEX IF EXISTS inbox_items_actor;   -- served only that probe, which the partial index below answers
CREATE INDEX inbox_items_locked ON inbox_items (actor_uri, id) WHERE state = 'queued' AND locked_until IS NOT NULL;
