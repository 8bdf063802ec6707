-- Undo 0004: the column is called title again.
ALTER TABLE notes RENAME COLUMN headline TO title;
