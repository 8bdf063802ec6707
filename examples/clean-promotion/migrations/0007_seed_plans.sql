-- Seed the reference data every environment needs (the same rows everywhere).
INSERT INTO plans (code, name, price_cents) VALUES
  ('free', 'Free', 0),
  ('team', 'Team', 1200),
  ('business', 'Business; billed yearly', 4900);
