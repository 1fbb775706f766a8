-- Hand-written (issue 16): GET /stats/runs reads every run a team created in a range. This index
-- holds every column those queries read but the failure message, so counts, groupings and the
-- run/queue time percentiles come from the index alone, never the wide rows (prompt,
-- agent_config): at 100,000 runs that is several times less to read. Its state, started_at and
-- ended_at change with a run's state, like the other state indexes.
CREATE INDEX `runs_team_stats` ON `runs` (`team_id`,`created_at`,`state`,`started_at`,`ended_at`,`scope`,`creator_id`,`share_team`,`source`,`model_id`,`environment_id`);
