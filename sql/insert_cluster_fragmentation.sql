-- Insert the rows of cluster_fragmentation computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO cluster_fragmentation BY NAME SELECT * FROM staged_rows;
