-- Append one exported file of VictoriaMetrics JSON lines at $path (checked for framing by the client) to
-- stage_export_lines. DuckDB's JSON reader refuses a line that is not JSON with the file and the line.
INSERT INTO stage_export_lines
SELECT metric, "values", timestamps
FROM read_json(
    $path,
    format = 'newline_delimited',
    columns = {'metric': 'MAP(VARCHAR, VARCHAR)', 'values': 'DOUBLE[]', 'timestamps': 'BIGINT[]'}
);
