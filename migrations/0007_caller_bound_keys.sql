-- Idempotency records answer only their caller (the scope now names the API key) and remember the
-- caller's role, so a replay to a weaker role is refused.
ALTER TABLE `idempotency_keys` ADD `caller_role` text;
