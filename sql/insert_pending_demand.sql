-- Insert the rows of pending_demand computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO pending_demand BY NAME SELECT * FROM staged_rows;
