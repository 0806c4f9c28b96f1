-- The latest evaluation run dated in [$window_start, $window_end): the run dated a day evaluates the window
-- ending with it. Every ticket query of the report pages reads this one run; NULL when none ran.
SELECT max(evaluated_on) AS evaluated_on
FROM recommendations
WHERE evaluated_on >= $window_start AND evaluated_on < $window_end;
