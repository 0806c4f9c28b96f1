-- Helpers every connection defines (temporary, per connection).
-- first_label(labels, keys): the first non-empty value among `keys` in a series' label map.
CREATE OR REPLACE TEMP MACRO first_label(labels, keys) AS
    list_filter(list_transform(keys, lambda k: labels[k]), lambda v: v IS NOT NULL AND v <> '')[1];
-- step_start(ms, step_seconds): the start of the analysis step holding a millisecond timestamp.
CREATE OR REPLACE TEMP MACRO step_start(ms, step_seconds) AS
    epoch_ms((ms // (step_seconds * 1000)) * (step_seconds * 1000));
-- exact_sum / exact_avg: order-independent aggregates. DuckDB sums DOUBLEs in parallel, in no fixed order, so a
-- re-run could differ in the last bits; summing as DECIMAL(38, 10) is exact, so a re-run gives identical tables.
CREATE OR REPLACE TEMP MACRO exact_sum(x) AS CAST(sum(CAST(x AS DECIMAL(38, 10))) AS DOUBLE);
CREATE OR REPLACE TEMP MACRO exact_avg(x) AS CAST(sum(CAST(x AS DECIMAL(38, 10))) AS DOUBLE) / count(x);
