-- Reference data: the plans an account can be on.
CREATE TABLE plans (
  code        TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
ALTER TABLE accounts ADD COLUMN plan_code TEXT REFERENCES plans(code);
