-- Insert the rows of node_fragmentation computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO node_fragmentation BY NAME SELECT * FROM staged_rows;
