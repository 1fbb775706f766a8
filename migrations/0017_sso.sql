ALTER TABLE `web_sessions` ADD `via` text DEFAULT 'link' NOT NULL;--> statement-breakpoint
-- hand-written: sessions opened before this migration with a key say so (SSO required ends them)
UPDATE `web_sessions` SET `via` = 'key' WHERE `key_id` IS NOT NULL;--> statement-breakpoint
CREATE TABLE `team_sso` (
	`team_id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`issuer` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_sealed` text NOT NULL,
	`allowed_domains` text NOT NULL,
	`default_role` text NOT NULL,
	`required` integer NOT NULL,
	`updated_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sso_logins` (
	`state_hash` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`nonce` text NOT NULL,
	`code_verifier` text NOT NULL,
	`next` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `device_logins` (
	`device_code_hash` text PRIMARY KEY NOT NULL,
	`user_code` text NOT NULL,
	`client_name` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_polled_at` integer,
	`interval` integer NOT NULL,
	`team_id` text,
	`user_id` text,
	`key_id` text,
	`key_sealed` text,
	`approved_at` integer,
	`denied_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `device_logins_user_code` ON `device_logins` (`user_code`);
