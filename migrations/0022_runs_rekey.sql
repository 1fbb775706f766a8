-- Hand-written (issue 20): D1 bills every index entry an UPDATE rewrites as a row written, and a
-- run's state changes (3.4 UPDATEs per run) set `state` and `updated_at`. The eight filter
-- indexes ended in `updated_at`, so each change rewrote them all: 13 rows written per UPDATE.
-- They now end in `created_at`, which never changes: an UPDATE writes the row, the default
-- list's `(team_id, updated_at, id)` index, the two state indexes and the stats index (5). A
-- filtered list reads a filter's few matches by its index and sorts them (docs/scaling.md,
-- "Which list plans"). On a deployment with many runs this rebuilds eight indexes inside the
-- migration's transaction: one read of the table and one row written per run and index.
DROP INDEX `runs_team_source`;--> statement-breakpoint
DROP INDEX `runs_team_creator`;--> statement-breakpoint
DROP INDEX `runs_team_name`;--> statement-breakpoint
DROP INDEX `runs_team_model`;--> statement-breakpoint
DROP INDEX `runs_team_environment`;--> statement-breakpoint
DROP INDEX `runs_team_schedule`;--> statement-breakpoint
DROP INDEX `runs_team_skill`;--> statement-breakpoint
DROP INDEX `runs_team_location`;--> statement-breakpoint
CREATE INDEX `runs_team_source` ON `runs` (`team_id`,`source`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_creator` ON `runs` (`team_id`,`creator_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_name` ON `runs` (`team_id`,`config_name`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_model` ON `runs` (`team_id`,`model_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_environment` ON `runs` (`team_id`,`environment_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_schedule` ON `runs` (`team_id`,`schedule_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_skill` ON `runs` (`team_id`,`skill_spec`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_team_location` ON `runs` (`team_id`,`execution_location`,`created_at`);
