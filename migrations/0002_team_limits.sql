ALTER TABLE `teams` ADD `max_concurrent_runs` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE `teams` ADD `max_run_time_seconds` integer DEFAULT 14400 NOT NULL;