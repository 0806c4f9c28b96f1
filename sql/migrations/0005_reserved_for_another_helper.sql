-- Placeholder: migration number 0005 is reserved for another helper's branch of this session (numbers must run
-- without gaps, and this branch's own migration is 0006). At merge the other branch's 0005 replaces this file.
SELECT 1;
