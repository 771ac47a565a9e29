-- +goose Up
-- The outbound work list: the due time of a return visit still to be made.
ALTER TABLE tickets ADD COLUMN visit_due TIMESTAMP;
CREATE INDEX tickets_visit_due ON tickets (visit_due, id) WHERE visit_due IS NOT NULL;

-- +goose Down
DROP INDEX tickets_visit_due;
ALTER TABLE tickets DROP COLUMN visit_due;
