-- Idempotency records answer only their caller (the scope now names the API key) and remember the
-- caller's role, so a replay to a weaker role is refused.
ALTER TABLE `idempotency_keys` ADD `caller_role` text;

-- A key minted for someone else (an admin's key for a member) no longer reaches its principal's
-- personal resources; nor do the runs and schedules such a key made.
ALTER TABLE `api_keys` ADD `personal_access` integer DEFAULT true NOT NULL;
ALTER TABLE `runs` ADD `personal_access` integer DEFAULT true NOT NULL;
ALTER TABLE `schedules` ADD `personal_access` integer DEFAULT true NOT NULL;
-- keys that exist already: a user's key minted by anyone else is delegated from now on (its holder
-- mints their own personal key with it, once: see services/api-keys.ts)
UPDATE `api_keys` SET `personal_access` = false
  WHERE `principal_type` = 'user' AND (`created_by` IS NULL OR `created_by` <> `principal_id`);
-- when each member took their personal key (signup, or once with a key minted for them)
ALTER TABLE `memberships` ADD `personal_key_at` integer;
UPDATE `memberships` SET `personal_key_at` = (
  SELECT MIN(`created_at`) FROM `api_keys`
  WHERE `api_keys`.`team_id` = `memberships`.`team_id` AND `api_keys`.`principal_id` = `memberships`.`user_id` AND `api_keys`.`personal_access` = true
);
