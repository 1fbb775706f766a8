CREATE TABLE `host_pools` (
	`team_id` text NOT NULL,
	`pool` text NOT NULL,
	`first_connected_at` integer NOT NULL,
	PRIMARY KEY(`team_id`, `pool`),
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
