CREATE TABLE `artifacts` (
	`key` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`session_id` text NOT NULL,
	`run_id` text,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`content_type` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `artifacts_session` ON `artifacts` (`session_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`session_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`run_id` text,
	`type` text NOT NULL,
	`timestamp` text NOT NULL,
	`provider` text,
	`correlation_id` text,
	`schema_version` integer NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`session_id`, `sequence`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_session_id` ON `events` (`session_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_tenant_type_time` ON `events` (`tenant_id`,`type`,`timestamp`);--> statement-breakpoint
CREATE INDEX `events_tenant_time` ON `events` (`tenant_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `events_run` ON `events` (`run_id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`status` text NOT NULL,
	`provider` text NOT NULL,
	`model` text,
	`input` text DEFAULT 'null' NOT NULL,
	`output` text,
	`error` text,
	`token_usage` text DEFAULT '{}' NOT NULL,
	`total_tokens` integer DEFAULT 0 NOT NULL,
	`cost_usd` real,
	`turn_count` integer DEFAULT 0 NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`idempotency_key` text,
	`queued_at` text NOT NULL,
	`started_at` text,
	`ended_at` text
);
--> statement-breakpoint
CREATE INDEX `runs_session` ON `runs` (`session_id`,`queued_at`);--> statement-breakpoint
CREATE INDEX `runs_tenant_queued` ON `runs` (`tenant_id`,`queued_at`,`id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`parent_session_id` text,
	`status` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`context` text DEFAULT '{}' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`max_concurrent_runs` integer DEFAULT 1 NOT NULL,
	`max_queued_runs` integer DEFAULT 100 NOT NULL,
	`token_usage` text DEFAULT '{}' NOT NULL,
	`total_tokens` integer DEFAULT 0 NOT NULL,
	`cost_usd` real,
	`last_sequence` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text
);
--> statement-breakpoint
CREATE INDEX `sessions_tenant_created` ON `sessions` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `sessions_tenant_updated` ON `sessions` (`tenant_id`,`updated_at`);