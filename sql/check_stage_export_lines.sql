-- What the client no longer checks line by line, checked on the parsed lines: the series lines, their samples,
-- and the lines without both arrays or whose values and timestamps differ in length (a server or proxy that
-- mangled the body; unnest would pad the shorter list with NULLs and lose samples without a word), with the first
-- such series' name.
WITH checked AS (
    SELECT
        metric,
        timestamps,
        "values" IS NULL OR timestamps IS NULL OR len("values") <> len(timestamps) AS malformed
    FROM stage_export_lines
)
SELECT
    count(*) AS series_lines,
    coalesce(sum(len(timestamps)), 0) AS samples,
    count(*) FILTER (WHERE malformed) AS mismatched,
    min(metric['__name__']) FILTER (WHERE malformed) AS first_mismatched
FROM checked;
