-- The raw lines are staged again in their stage's own shape: free them.
DROP TABLE IF EXISTS stage_export_lines;
