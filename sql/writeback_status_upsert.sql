-- Record the outcome of one (day, stage) write-back; a later attempt replaces it.
INSERT OR REPLACE INTO write_back_status (day, stage, status, series, samples, error, attempted_at, written_at)
VALUES ($day, $stage, $status, $series, $samples, $error, $attempted_at, $written_at);
