DROP INDEX idx_notes_user;
DROP TABLE notes;
