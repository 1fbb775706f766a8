-- API rate limits per team (src/lib/api-rate-limits.ts): what its admins lowered, and the
-- ceilings a platform admin raised for it; null keeps the operator's defaults.
ALTER TABLE `teams` ADD `rate_limits` text;--> statement-breakpoint
ALTER TABLE `teams` ADD `rate_limit_ceilings` text;
