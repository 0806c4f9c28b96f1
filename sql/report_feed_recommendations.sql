-- Every finding stored by the evaluations dated up to $as_of, for a replay of the ticket feed: in date order and,
-- within one evaluation, in the order it stored them (its priority order, which the feed keeps).
SELECT evaluated_on, CAST(ticket AS VARCHAR) AS ticket
FROM recommendations
WHERE evaluated_on <= $as_of
ORDER BY evaluated_on, rowid;
