import { describe, expect, it } from "vitest";
import { webhookEgress } from "../../src/core/config";
import { checkWebhookTarget, type TargetRefusal } from "../../src/core/webhook-target";

const closed = webhookEgress({});
const dev = webhookEgress({ WEBHOOK_ALLOW_LOOPBACK: "1" });

describe("webhook targets", () => {
  // Each forbidden class, with the numeric spellings the WHATWG parser folds into them.
  it.each<[string, TargetRefusal]>([
    ["http://127.0.0.1:8080/hook", "loopback"],
    ["https://127.0.0.1/hook", "loopback"],
    ["https://127.255.1.2/", "loopback"],
    ["https://2130706433/", "loopback"],
    ["https://0x7f.1/", "loopback"],
    ["https://0x7f000001/", "loopback"],
    ["https://0177.0.0.1/", "loopback"],
    ["https://017700000001/", "loopback"],
    ["https://127.1/", "loopback"],
    ["https://%31%32%37.0.0.1/", "loopback"],
    ["https://\uff11\uff12\uff17.0.0.1/", "loopback"],
    ["https://[::1]/", "loopback"],
    ["https://[::ffff:127.0.0.1]/", "loopback"],
    ["https://[0:0:0:0:0:ffff:7f00:1]/", "loopback"],
    ["https://localhost/", "loopback"],
    ["https://LOCALHOST./", "loopback"],
    ["https://api.localhost/", "loopback"],
    ["https://10.0.0.5/", "private"],
    ["https://172.16.0.1/", "private"],
    ["https://172.31.255.255/", "private"],
    ["https://192.168.1.1/", "private"],
    ["https://3232235777/", "private"],
    ["https://[fc00::1]/", "private"],
    ["https://[fd12:3456:789a::1]/", "private"],
    ["https://[::ffff:10.1.2.3]/", "private"],
    ["https://169.254.169.254/latest/meta-data/", "link_local"],
    ["https://169.254.0.1/", "link_local"],
    ["https://0xa9fea9fe/", "link_local"],
    ["https://[fe80::1]/", "link_local"],
    ["https://[::ffff:169.254.169.254]/", "link_local"],
    ["https://100.64.0.1/", "carrier_grade_nat"],
    ["https://100.127.255.254/", "carrier_grade_nat"],
    ["https://0.0.0.0/", "unspecified"],
    ["https://0/", "unspecified"],
    ["https://0.1.2.3/", "unspecified"],
    ["https://[::]/", "unspecified"],
    ["https://[::ffff:0.0.0.0]/", "unspecified"],
    ["https://224.0.0.1/", "multicast"],
    ["https://239.255.255.250/", "multicast"],
    ["https://[ff02::1]/", "multicast"],
    ["https://255.255.255.255/", "broadcast"],
    ["https://240.0.0.1/", "reserved"],
    ["https://192.0.2.10/", "reserved"],
    ["https://198.18.0.1/", "reserved"],
    ["https://[2001:db8::1]/", "reserved"],
    ["https://[::127.0.0.1]/", "reserved"],
    ["https://[64:ff9b::7f00:1]/", "reserved"],
    ["https://[2002:7f00:1::]/", "reserved"],
    ["https://metadata.google.internal/computeMetadata/v1/", "metadata_host"],
    ["https://metadata/", "metadata_host"],
    ["https://instance-data/", "metadata_host"],
    ["https://instance-data.ec2.internal/", "metadata_host"],
    ["https://db.internal/", "internal_host"],
    ["https://printer.local/", "internal_host"],
    ["https://intranet/", "internal_host"],
    ["https://user:pass@example.com/hook", "credentials"],
    ["https://user@example.com/hook", "credentials"],
    ["https://:pass@example.com/hook", "credentials"],
    ["ftp://example.com/hook", "scheme"],
    ["file:///etc/passwd", "scheme"],
    ["ws://example.com/hook", "scheme"],
    ["javascript:alert(1)", "scheme"],
    ["http://example.com/hook", "insecure_scheme"],
    ["not a url", "invalid_url"],
    ["https://1.2.3.4.5/", "invalid_url"],
  ])("refuses %s (%s)", (url, reason) => {
    const check = checkWebhookTarget(url, closed);
    expect(check).toMatchObject({ ok: false, reason });
  });

  it.each([
    ["https://example.com/hook", "https://example.com/hook"],
    ["https://Hooks.Example.COM:8443/a?b=c", "https://hooks.example.com:8443/a?b=c"],
    ["https://8.8.8.8/", "https://8.8.8.8/"],
    ["https://134744072/", "https://8.8.8.8/"],
    ["https://[2606:4700::1111]/", "https://[2606:4700::1111]/"],
    ["https://[::ffff:8.8.8.8]/", "https://[::ffff:808:808]/"],
    ["https://100.128.0.1/", "https://100.128.0.1/"],
  ])("allows %s, normalised to %s", (url, normalised) => {
    expect(checkWebhookTarget(url, closed)).toEqual({ ok: true, url: normalised });
  });

  it("allows loopback, over plain http too, only under the development setting", () => {
    for (const url of [
      "http://127.0.0.1:8787/hook",
      "http://localhost:3000/",
      "http://[::1]:9000/",
      "https://2130706433/",
      "http://[::ffff:127.0.0.1]/",
    ]) {
      expect(checkWebhookTarget(url, dev).ok, url).toBe(true);
      expect(checkWebhookTarget(url, closed), url).toMatchObject({ ok: false, reason: "loopback" });
    }
    // The setting opens loopback only: the rest stays closed, and plain http stays loopback-only.
    expect(checkWebhookTarget("http://10.0.0.1/", dev)).toMatchObject({ ok: false, reason: "private" });
    expect(checkWebhookTarget("https://169.254.169.254/", dev)).toMatchObject({ ok: false, reason: "link_local" });
    expect(checkWebhookTarget("http://example.com/", dev)).toMatchObject({ ok: false, reason: "insecure_scheme" });
    expect(checkWebhookTarget("http://u:p@127.0.0.1/", dev)).toMatchObject({ ok: false, reason: "credentials" });
  });

  it("reads the setting strictly: only 1 or true turn it on", () => {
    expect(webhookEgress({ WEBHOOK_ALLOW_LOOPBACK: "true" }).allowLoopback).toBe(true);
    for (const v of [undefined, "", "0", "false", "no", "yes please"])
      expect(webhookEgress({ WEBHOOK_ALLOW_LOOPBACK: v }).allowLoopback).toBe(false);
  });
});
