-- 0004 is reserved for another branch of this release (busy-looking idle); this placeholder only keeps the
-- numbering without gaps on the tickets branch. At merge: delete this file and keep the other branch's 0004.
SELECT 1;
