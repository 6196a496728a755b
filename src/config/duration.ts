const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A duration as people write one: `90` (seconds), `90s`, `15m`, `24h`, `7d`; in seconds,
 * or undefined when it is none of those. Shared by the env schema and the token CLI, so
 * `--ttl` and JWT_MAX_TTL read the same way.
 */
export function durationSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}
