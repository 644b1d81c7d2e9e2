ALTER TABLE "audit_log" ADD COLUMN "survey" text;--> statement-breakpoint
CREATE INDEX "audit_log_survey_idx" ON "audit_log" USING btree ("survey","id");--> statement-breakpoint
-- Rows written before the column: the survey named by the target (slug, or slug/userId) or by the delivery re-sent.
UPDATE "audit_log" SET "survey" = lower("target") WHERE "action" LIKE 'survey.%' OR "action" = 'respondent.export-auth-links';--> statement-breakpoint
UPDATE "audit_log" SET "survey" = lower(split_part("target", '/', 1)) WHERE "action" LIKE 'respondent.%' AND position('/' in "target") > 0;--> statement-breakpoint
UPDATE "audit_log" SET "survey" = (SELECT lower("surveys"."slug") FROM "webhook_deliveries" JOIN "surveys" ON "surveys"."id" = "webhook_deliveries"."survey_id" WHERE "webhook_deliveries"."id" = "audit_log"."target") WHERE "action" = 'delivery.resend';
