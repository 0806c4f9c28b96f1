-- Remove one stage's data-quality counts for a day before the stage loads that day again.
DELETE FROM data_quality WHERE day = $day AND stage = $stage;
