-- "title" becomes "headline". The Worker that ships with this change reads
-- headline in /notes, but /health still selects title: dev does not notice
-- (it only checks /live), staging does.
ALTER TABLE notes RENAME COLUMN title TO headline;
