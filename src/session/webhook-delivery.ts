import type { Event } from "../core/event";
import { deliveryId, signDelivery } from "../core/webhook";
import { checkWebhookTarget, type WebhookEgress } from "../core/webhook-target";

export type Hook = { id: string; url: string; secret: string; types: string[] | null };

/** A failed attempt; `status` is the receiver's HTTP status, absent when none came back or nothing was sent. */
export class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "DeliveryFailure";
  }
}

/**
 * POSTs one batch to a webhook, signed per Standard Webhooks, and returns the receiver's status. Throws a
 * DeliveryFailure when the target is (now) forbidden — the egress rules are checked again here, since a stored
 * webhook predates any change to them — and for any answer but 2xx. Redirects are never followed: a 3xx is a
 * failure, so a receiver cannot bounce the request to an address the target check would have refused.
 */
export async function postToWebhook(
  hook: Hook,
  sessionId: string,
  events: Event[],
  egress: WebhookEgress,
  fetcher: (req: Request) => Promise<Response>,
): Promise<number> {
  const target = checkWebhookTarget(hook.url, egress);
  if (!target.ok) throw new DeliveryFailure(`target refused (${target.reason}): ${target.message}`);
  const body = JSON.stringify({ webhook_id: hook.id, session_id: sessionId, events });
  const id = deliveryId(hook.id, sessionId, events[0]!.sequence, events[events.length - 1]!.sequence);
  const res = await fetcher(
    new Request(target.url, {
      method: "POST",
      body,
      redirect: "manual",
      headers: { "content-type": "application/json", ...signDelivery(hook.secret, id, new Date(), body) },
    }),
  );
  await res.body?.cancel();
  if (res.status >= 300 && res.status < 400) {
    throw new DeliveryFailure(`webhook ${hook.id} answered ${res.status} (redirects are not followed)`, res.status);
  }
  if (!res.ok) throw new DeliveryFailure(`webhook ${hook.id} answered ${res.status}`, res.status);
  return res.status;
}
