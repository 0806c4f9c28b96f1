-- Insert the rows of defrag_plans computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO defrag_plans BY NAME SELECT * FROM staged_rows;
