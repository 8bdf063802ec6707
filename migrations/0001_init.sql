-- Migration number: 0001 	 2026-11-21T00:00:00.000Z
-- Accounts of the example app.
CREATE TABLE users (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  email      TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
