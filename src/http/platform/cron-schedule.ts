import { CronExpressionParser } from 'cron-parser';

/**
 * Cron schedules are parsed by `cron-parser` (not by hand): a widely used, maintained
 * library that reads the five-field crontab syntax the Platform documents, an optional
 * leading seconds field (`*\/5 * * * * *`), ranges, steps, names and `@daily`-style aliases,
 * and computes the next time in an IANA time zone across DST changes (through luxon) —
 * the parts a hand-written parser gets wrong.
 */
export function nextRunDate(schedule: string, options: { after?: Date; timezone?: string | null; endTime?: Date | null } = {}): Date | null {
  const expression = CronExpressionParser.parse(schedule, {
    currentDate: options.after ?? new Date(),
    ...(options.timezone && { tz: options.timezone }),
  });
  const next = expression.next().toDate();
  return options.endTime && next > options.endTime ? null : next;
}

/** Why a schedule or time zone is refused, or undefined when both are usable. */
export function scheduleProblem(schedule: string, timezone?: string | null): { field: string; message: string } | undefined {
  if (timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      return { field: 'timezone', message: `timezone: "${timezone}" is not an IANA time zone` };
    }
  }
  if (schedule.trim().split(/\s+/).length > 6) return { field: 'schedule', message: 'schedule: at most six fields (seconds, minutes, hours, day of month, month, day of week)' };
  try {
    nextRunDate(schedule, { timezone });
    return undefined;
  } catch (err) {
    return { field: 'schedule', message: `schedule: not a cron expression (${(err as Error).message})` };
  }
}
