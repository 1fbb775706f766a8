-- Hand-written (issue 19): the audit log, one hash chain per team (docs/audit.md), its heads, and
-- the team's retention before entries move to R2.
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text,
	`actor_member_id` text,
	`ip` text,
	`user_agent` text,
	`request_id` text,
	`action` text NOT NULL,
	`target_type` text,
	`target_id` text,
	`changes` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_log_team_seq` ON `audit_log` (`team_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_log_team_at` ON `audit_log` (`team_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_log_team_action` ON `audit_log` (`team_id`,`action`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_log_team_actor` ON `audit_log` (`team_id`,`actor_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_log_team_member` ON `audit_log` (`team_id`,`actor_member_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_log_team_target` ON `audit_log` (`team_id`,`target_id`,`seq`);--> statement-breakpoint
CREATE TABLE `audit_heads` (
	`team_id` text PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`hash` text NOT NULL,
	`archived_through` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE `teams` ADD `audit_retention_days` integer DEFAULT 400 NOT NULL;
