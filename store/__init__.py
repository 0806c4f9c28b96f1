"""The warehouse edge of the domain: what the pure scoring layer reads from DuckDB and what it writes back.

Every statement is a named sql/ file run through core.warehouse; every write is one transaction."""
