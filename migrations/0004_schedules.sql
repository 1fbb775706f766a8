CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`scope` text NOT NULL,
	`name` text NOT NULL,
	`cron_schedule` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`overlap_policy` text DEFAULT 'skip' NOT NULL,
	`enabled` integer NOT NULL,
	`prompt` text NOT NULL,
	`mode` text,
	`agent_config` text,
	`metadata` text,
	`owner_type` text NOT NULL,
	`owner_id` text NOT NULL,
	`updated_by_type` text NOT NULL,
	`updated_by_id` text NOT NULL,
	`next_run` integer,
	`last_ran` integer,
	`last_run_id` text,
	`last_spawn_error` text,
	`last_skipped_at` integer,
	`last_skip_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `schedules_due` ON `schedules` (`enabled`,`next_run`);--> statement-breakpoint
CREATE INDEX `schedules_team_name` ON `schedules` (`team_id`,`name`,`id`);--> statement-breakpoint
ALTER TABLE `runs` ADD `schedule_info` text;