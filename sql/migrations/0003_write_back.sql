-- 0003: the write-back's bookkeeping (core/writeback.py). One row per (day, stage) of series imported into
-- VictoriaMetrics: 'written' with its counts, or 'failed' with the error, so a failed write-back is retried by
-- the next run.
CREATE TABLE write_back_status (
    day DATE NOT NULL,
    stage VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    series BIGINT NOT NULL,
    samples BIGINT NOT NULL,
    error VARCHAR,
    attempted_at TIMESTAMP NOT NULL,
    written_at TIMESTAMP,
    PRIMARY KEY (day, stage)
);
