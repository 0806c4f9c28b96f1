-- Insert the rows of defrag_moves computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO defrag_moves BY NAME SELECT * FROM staged_rows;
