-- The Alibaba replay (scenarios/alibaba_pipeline.py): moves and nodes freed by the day's defrag plans.
SELECT coalesce(sum(moves), 0), coalesce(sum(nodes_freed), 0) FROM defrag_plans WHERE day = $day;
