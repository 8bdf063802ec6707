-- Record every account rename and keep 90 days of history. The trigger body holds semicolons of its own:
-- statement splitting has to understand BEGIN ... END.
CREATE TRIGGER accounts_audit_rename AFTER UPDATE OF name ON accounts
BEGIN
  INSERT INTO audit_log (entity, entity_id, action) VALUES ('account', NEW.id, 'rename');
  DELETE FROM audit_log WHERE at < datetime('now', '-90 days');  -- keep 90 days
END;
