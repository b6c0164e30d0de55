import type { CreateScheduleRequest } from "../client";
import type { Schedule } from "../../src/core/schedule-record";
import { flagInt, flagStr, need, print, runBodyFromArgs, type Command } from "./commands";
import { EXIT, UsageError } from "./io";
import { table } from "./table";

const when = (s: Schedule): string => (s.kind === "cron" ? `cron ${s.cron}` : s.kind === "at" ? `at ${s.at}` : `every ${s.every_ms} ms`);

function listTable(items: Schedule[]): string {
  if (items.length === 0) return "No schedules.\n";
  return table(
    ["ID", "STATUS", "WHEN", "NEXT RUN", "FIRED", "SKIPPED", "LAST RUN"],
    items.map((s) => [s.id, s.status, when(s), s.next_run_at ?? "—", String(s.fire_count), String(s.skip_count), s.last_run_id ?? "—"]),
  );
}

/** Exactly one of --cron, --at, --every-ms (the server checks the cron expression and the bounds). */
function timing(flags: Parameters<Command>[3]): Pick<CreateScheduleRequest, "cron" | "at" | "every_ms"> {
  const cron = flagStr(flags, "cron");
  const at = flagStr(flags, "at");
  const everyMs = flagInt(flags, "every-ms");
  const given = [cron, at, everyMs].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError("give exactly one of --cron EXPR, --at ISO, --every-ms N");
  return cron !== undefined ? { cron } : at !== undefined ? { at } : { every_ms: everyMs };
}

/** `asm schedules list|create|delete SESSION …`. */
export const schedulesCommand: Command = async (client, io, positionals, flags) => {
  const sub = positionals[0];
  switch (sub) {
    case "list": {
      const items = await client.listSchedules(need(positionals, 1, "session"), io.signal);
      if (flags.json) print(io, { items });
      else io.stdout.write(listTable(items));
      return EXIT.ok;
    }
    case "create": {
      const sessionId = need(positionals, 1, "session");
      const body: CreateScheduleRequest = { ...timing(flags), run: await runBodyFromArgs(io, positionals.slice(2), flags) };
      const schedule = await client.createSchedule(sessionId, body, io.signal);
      if (flags.json) print(io, schedule);
      else io.stdout.write(`${schedule.id} ${when(schedule)} · next run ${schedule.next_run_at ?? "—"}\n`);
      return EXIT.ok;
    }
    case "delete": {
      const schedule = await client.deleteSchedule(need(positionals, 1, "session"), need(positionals, 2, "schedule"), io.signal);
      if (flags.json) print(io, schedule);
      else io.stdout.write(`deleted ${schedule.id} (fired ${schedule.fire_count} times; runs it submitted are left alone)\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError("usage: asm schedules list|create|delete <session> …");
  }
};
