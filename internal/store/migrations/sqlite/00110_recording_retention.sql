-- +goose Up
-- Recording retention (phones.record_retention): the purge job finds the
-- recordings older than the retention period by their start.
CREATE INDEX call_recordings_started ON call_recordings (started_at);

-- +goose Down
DROP INDEX call_recordings_started;
