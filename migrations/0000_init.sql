CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`role` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_team` ON `api_keys` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`locked_until` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_expires` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `memberships_user` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `run_artifacts` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`team_id` text NOT NULL,
	`artifact_type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `run_artifacts_run` ON `run_artifacts` (`run_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `run_artifacts_team_type` ON `run_artifacts` (`team_id`,`artifact_type`,`run_id`);--> statement-breakpoint
CREATE TABLE `run_metadata` (
	`run_id` text NOT NULL,
	`team_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`run_id`, `key`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `run_metadata_lookup` ON `run_metadata` (`team_id`,`key`,`value`,`run_id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`scope` text NOT NULL,
	`creator_type` text NOT NULL,
	`creator_id` text NOT NULL,
	`title` text NOT NULL,
	`prompt` text NOT NULL,
	`mode` text,
	`state` text NOT NULL,
	`source` text NOT NULL,
	`execution_location` text DEFAULT 'REMOTE' NOT NULL,
	`config_name` text,
	`model_id` text,
	`environment_id` text,
	`skill_spec` text,
	`schedule_id` text,
	`worker_host` text,
	`agent_config` text,
	`metadata` text,
	`status_message` text,
	`conversation_id` text,
	`parent_run_id` text,
	`session_id` text,
	`host_id` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`summary_seq` integer DEFAULT 0 NOT NULL,
	`started_at` integer,
	`ended_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `runs_team_updated` ON `runs` (`team_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_team_created` ON `runs` (`team_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_team_title` ON `runs` (`team_id`,`title`,`id`);--> statement-breakpoint
CREATE INDEX `runs_team_state_updated` ON `runs` (`team_id`,`state`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_team_state_created` ON `runs` (`team_id`,`state`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_team_source` ON `runs` (`team_id`,`source`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_creator` ON `runs` (`team_id`,`creator_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_name` ON `runs` (`team_id`,`config_name`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_model` ON `runs` (`team_id`,`model_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_environment` ON `runs` (`team_id`,`environment_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_schedule` ON `runs` (`team_id`,`schedule_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_skill` ON `runs` (`team_id`,`skill_spec`,`updated_at`);--> statement-breakpoint
CREATE INDEX `runs_team_location` ON `runs` (`team_id`,`execution_location`,`updated_at`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`display_name` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email` ON `users` (`email`);