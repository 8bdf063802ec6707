-- Migration number: 0003 	 2026-11-21T00:00:00.000Z
-- Keep updated_at current; the trigger body holds semicolons, which is why
-- statement splitting must understand BEGIN ... END.
ALTER TABLE notes ADD COLUMN updated_at TEXT;
CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes
BEGIN
  UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id;
END;
