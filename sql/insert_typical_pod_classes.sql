-- Insert the rows of typical_pod_classes computed in Python (scoring/fragmentation*.py), staged as an Arrow table.
INSERT INTO typical_pod_classes BY NAME SELECT * FROM staged_rows;
