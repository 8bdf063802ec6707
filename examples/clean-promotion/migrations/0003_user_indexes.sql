-- Look-ups by e-mail must be unique and fast; users by account too.
CREATE UNIQUE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_account ON users(account_id);
