-- Replace one evaluation's recommendations as a whole: delete them first (same transaction as the inserts).
DELETE FROM recommendations WHERE evaluated_on = $evaluated_on;
