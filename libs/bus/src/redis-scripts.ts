/**
 * Appends events to a run's stream in one call, and publishes what it appended to the run's
 * live channel — XADD before PUBLISH, so a reader that subscribes first and then replays
 * misses nothing. Stream ids are the run's own seqs (`<seq>-0`); an event at or below the
 * stream's last seq is skipped, so writing an event twice (the admission's `metadata` and a
 * claiming replica's) is harmless. Seq 0 means "next": events of a run nobody executes.
 *
 * Fencing: with an attempt, the write is refused (-1) when a later attempt has written the
 * run's fence key: a replica that lost its lease cannot add to the log after the new owner
 * read its tail. Trimming keeps what the writer's own log keeps (count and bytes caps).
 *
 * KEYS: stream, fence. ARGV: attempt (0: unfenced), keep ms (-1: leave expiry as it is),
 * oldest seq to keep (0: all), live channel, then pairs of (seq, event JSON without seq).
 * Returns the stream's last seq, or -1 when fenced.
 */
export const APPEND_EVENTS = `
local mine = tonumber(ARGV[1])
if mine > 0 then
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  if current > mine then return -1 end
  if current < mine then redis.call('SET', KEYS[2], mine) end
end
local last = 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top[1] then last = tonumber(string.match(top[1][1], '^(%d+)')) end
local added = {}
for i = 5, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq == 0 then seq = last + 1 end
  if seq > last then
    local event = '{"seq":' .. seq .. ',' .. string.sub(ARGV[i + 1], 2)
    redis.call('XADD', KEYS[1], seq .. '-0', 'e', event)
    last = seq
    added[#added + 1] = event
  end
end
local oldest = tonumber(ARGV[3])
if oldest > 1 and last > 0 then redis.call('XTRIM', KEYS[1], 'MINID', oldest .. '-0') end
local keep = tonumber(ARGV[2])
if keep >= 0 then
  if last > 0 then redis.call('PEXPIRE', KEYS[1], keep) end
  if mine > 0 then redis.call('PEXPIRE', KEYS[2], keep) end
end
if #added > 0 then redis.call('PUBLISH', ARGV[4], '[' .. table.concat(added, ',') .. ']') end
return last
`;

/** Leaves a replica's presence on a run; answers how many replicas still have subscribers. */
export const LEAVE_RUN = `
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return redis.call('HLEN', KEYS[1])`;
