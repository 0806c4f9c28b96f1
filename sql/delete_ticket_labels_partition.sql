-- Remove one day of ticket_labels before it is loaded again.
DELETE FROM ticket_labels WHERE day = $day;
