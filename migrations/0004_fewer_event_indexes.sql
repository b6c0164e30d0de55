DROP INDEX `events_session_id`;--> statement-breakpoint
DROP INDEX `events_run`;--> statement-breakpoint
CREATE INDEX `events_run_partial` ON `events` (`run_id`) WHERE "events"."run_id" IS NOT NULL;