-- Sample data for dev only (seeds/dev/): one user and two notes, so /notes has something to show.
-- Applied once, after dev's migrations; staging and production get no seeds (there is no seeds/all/).
INSERT OR IGNORE INTO users (email) VALUES ('dev@example.com');
INSERT INTO notes (user_id, body)
  SELECT id, 'Welcome: this note is dev''s seed data (seeds/dev/0001_sample_notes.sql)' FROM users WHERE email = 'dev@example.com';
INSERT INTO notes (user_id, body)
  SELECT id, 'Seeds run once per environment, after its migrations; rerunning applies nothing twice' FROM users WHERE email = 'dev@example.com';
