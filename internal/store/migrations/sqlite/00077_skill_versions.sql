-- +goose Up
-- Skills get a version like every administered row (administration, issue
-- 15): PUT and DELETE /api/v1/admin/skills/{name} take If-Match, and a stale
-- one is refused. updated_at is when it last changed (NULL: before this).
ALTER TABLE skills ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE skills ADD COLUMN updated_at TIMESTAMP;

-- +goose Down
ALTER TABLE skills DROP COLUMN updated_at;
ALTER TABLE skills DROP COLUMN version;
