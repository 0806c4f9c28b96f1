-- Insert the rows of machine_group_fragmentation computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO machine_group_fragmentation BY NAME SELECT * FROM staged_rows;
