CREATE TABLE `webhook_deliveries` (
	`webhook_id` text NOT NULL,
	`session_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`last_attempt_at` text,
	`last_success_at` text,
	`last_status` integer,
	`last_error` text,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text,
	PRIMARY KEY(`webhook_id`, `session_id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_tenant` ON `webhook_deliveries` (`tenant_id`,`webhook_id`,`last_attempt_at`);