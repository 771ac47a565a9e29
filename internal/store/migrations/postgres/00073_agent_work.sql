-- +goose Up
-- An agent's work settings beyond skills and teams (administration, issue
-- 15): site, channel capacities and own wrap-up time, as a JSON object
-- package admin reads and writes ('{}': the center's defaults).
ALTER TABLE agents ADD COLUMN work TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE agents DROP COLUMN work;
