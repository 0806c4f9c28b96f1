-- Remove one day partition of machine_group_fragmentation before it is loaded again (same transaction as the insert).
DELETE FROM machine_group_fragmentation WHERE day = $day;
