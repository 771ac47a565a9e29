-- +goose Up
-- The node that published each event, and reading the log by type within a
-- time range (a KPI window rebuilt after a restart).
ALTER TABLE events ADD COLUMN node TEXT;
CREATE INDEX events_type_at ON events (type, at);
