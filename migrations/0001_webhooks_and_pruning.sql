CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`session_id` text,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`types` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhooks_tenant` ON `webhooks` (`tenant_id`,`session_id`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `pruned_events` integer DEFAULT 0 NOT NULL;