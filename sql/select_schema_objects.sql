-- The persistent tables and views of the open database's main schema (what a migration runner must judge).
SELECT table_name AS name, 'table' AS kind
FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
UNION ALL
SELECT view_name AS name, 'view' AS kind
FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary AND NOT internal
ORDER BY name;
