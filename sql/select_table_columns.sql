-- Every column of every persistent table (views excluded) of the open database's main schema, in table order.
SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
FROM duckdb_columns() AS c
JOIN duckdb_tables() AS t
    ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name
WHERE c.database_name = current_database() AND c.schema_name = 'main' AND NOT t.temporary
ORDER BY c.table_name, c.column_index;
