-- Remove one day partition of node_fragmentation before it is loaded again (same transaction as the insert).
DELETE FROM node_fragmentation WHERE day = $day;
