-- +goose Up
-- The 15-minute interval rows of the KPI engine (metrics), per queue and
-- channel: written as each interval closes (again when after-contact work
-- lands in it later) and at shutdown, read by the interval reports and the
-- e-mailed day report. Sums, not ratios: the ratios are derived on read.
-- Times are nanoseconds.
CREATE TABLE kpi_intervals (
    start_at        TIMESTAMP NOT NULL,
    queue           TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('voice', 'chat')),
    requests        INTEGER NOT NULL DEFAULT 0,
    answered        INTEGER NOT NULL DEFAULT 0,
    answered_in_sl  INTEGER NOT NULL DEFAULT 0,
    abandoned       INTEGER NOT NULL DEFAULT 0,
    short_abandons  INTEGER NOT NULL DEFAULT 0,
    system_lost     INTEGER NOT NULL DEFAULT 0,
    handled         INTEGER NOT NULL DEFAULT 0,
    answer_wait_ns  INTEGER NOT NULL DEFAULT 0,
    talk_ns         INTEGER NOT NULL DEFAULT 0,
    hold_ns         INTEGER NOT NULL DEFAULT 0,
    acw_ns          INTEGER NOT NULL DEFAULT 0,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (start_at, queue, channel)
);

-- +goose Down
DROP TABLE kpi_intervals;
