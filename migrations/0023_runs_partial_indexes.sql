-- Generated, with this comment by hand (issue 20): D1 bills each index entry a run's INSERT writes
-- as a row written, 17 in all. The indexes of the fields most runs leave empty (its configuration's
-- name, model, schedule and skill, its public link) now hold only the runs that have one, so a run
-- made without them writes 5 rows fewer. A list filtered by one (`x = ?`) still uses its index:
-- SQLite takes `x = ?` to imply the index's `x IS NOT NULL`. The environment's index stays whole:
-- a list asks for the runs without one. On a deployment with many runs this rebuilds five indexes
-- inside the migration's transaction: one read of the table, one row written per run that has the
-- field.
DROP INDEX `runs_team_name`;--> statement-breakpoint
DROP INDEX `runs_team_model`;--> statement-breakpoint
DROP INDEX `runs_team_schedule`;--> statement-breakpoint
DROP INDEX `runs_team_skill`;--> statement-breakpoint
DROP INDEX `runs_share_public`;--> statement-breakpoint
CREATE INDEX `runs_team_name` ON `runs` (`team_id`,`config_name`,`created_at`) WHERE config_name IS NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_team_model` ON `runs` (`team_id`,`model_id`,`created_at`) WHERE model_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_team_schedule` ON `runs` (`team_id`,`schedule_id`,`created_at`) WHERE schedule_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_team_skill` ON `runs` (`team_id`,`skill_spec`,`created_at`) WHERE skill_spec IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `runs_share_public` ON `runs` (`share_public_id`) WHERE share_public_id IS NOT NULL;