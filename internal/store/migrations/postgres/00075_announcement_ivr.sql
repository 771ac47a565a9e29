-- +goose Up
-- An announcement can carry an IVR notice (administration, issue 15): the
-- callers and chat customers it is for, as JSON {"areas":[…],"products":[…]}
-- ('' = no IVR notice, the desk only).
ALTER TABLE announcements ADD COLUMN ivr TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE announcements DROP COLUMN ivr;
