-- The days of [$first_day, $last_day] aggregated for the rules, with the settings fingerprint of each.
SELECT day, fingerprint FROM rule_aggregate_days WHERE day BETWEEN $first_day AND $last_day ORDER BY day;
