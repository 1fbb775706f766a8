-- hand-written (issue 20): how many times a run whose host was lost resumes elsewhere
ALTER TABLE `teams` ADD `resume_attempts` integer DEFAULT 2 NOT NULL;
