CREATE INDEX idx_notes_user ON notes(user_id, created_at);
