/**
 * The Lua scripts of RedisSessionStore: each runs alone in Redis, so a quota is counted and taken,
 * and a session ended, in one step that no other node can interleave with. The layout (all keys
 * under `<base>` = `<prefix>:{sessions}`, one hash tag, so that a Redis Cluster would keep them in one slot):
 *   <base>:s:<id>        hash: v (version), r (the SessionRecord JSON), h (its holder); expires
 *                        after the idle time plus a grace, refreshed by every write
 *   <base>:all           sorted set of open session ids, scored by last use (epoch ms)
 *   <base>:holder:<h>    the same for one holder (`user:<sub>` or `address:<key>`), for its quota
 *   <base>:counters      hash: created, ended, expired (every node's)
 * The scripts touch the holder sets and session keys of the ids they claim by name (derived from
 * `<base>`), which the single hash tag keeps in the slot of the keys they declare.
 */

/**
 * Ends the sessions of `zset` last used at or before `deadline` (at most `limit`), appending their
 * records to `out`; an id whose key Redis already dropped (no node swept it in time) is removed
 * silently. Returns how many ids it looked at.
 */
const CLAIM = `
local function claim(base, zset, deadline, limit, out)
  local ids = redis.call('ZRANGEBYSCORE', zset, '-inf', deadline, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local key = base .. ':s:' .. id
    local fields = redis.call('HMGET', key, 'r', 'h')
    redis.call('ZREM', zset, id)
    redis.call('ZREM', base .. ':all', id)
    if fields[2] then redis.call('ZREM', base .. ':holder:' .. fields[2], id) end
    if fields[1] then
      redis.call('DEL', key)
      redis.call('HINCRBY', base .. ':counters', 'expired', 1)
      out[#out + 1] = fields[1]
    end
  end
  return #ids
end
`;

/**
 * A new session, if its holder and the cluster have room; at a full quota, the idle sessions in
 * the way end first. KEYS: all, holder set, session key, counters. ARGV: base, id, now, idle
 * deadline, holder quota (0: none), max sessions, record JSON, holder, key TTL ms, claim batch.
 * Returns {outcome ('created', 'holder' or 'all'), last use of the oldest session of the full quota,
 * open sessions, {records ended}}.
 */
export const CREATE_SCRIPT = `${CLAIM}
local out = {}
local quota = tonumber(ARGV[5])
local max = tonumber(ARGV[6])
local batch = tonumber(ARGV[10])
if quota > 0 and redis.call('ZCARD', KEYS[2]) >= quota then
  claim(ARGV[1], KEYS[2], ARGV[4], batch, out)
  if redis.call('ZCARD', KEYS[2]) >= quota then
    return {'holder', redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2], redis.call('ZCARD', KEYS[1]), out}
  end
end
if redis.call('ZCARD', KEYS[1]) >= max then
  claim(ARGV[1], KEYS[1], ARGV[4], batch, out)
  if redis.call('ZCARD', KEYS[1]) >= max then
    return {'all', redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2], redis.call('ZCARD', KEYS[1]), out}
  end
end
redis.call('HSET', KEYS[3], 'v', 1, 'r', ARGV[7], 'h', ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[9])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[9])
redis.call('HINCRBY', KEYS[4], 'created', 1)
return {'created', '0', redis.call('ZCARD', KEYS[1]), out}
`;

/**
 * Compare and set: writes the record only if the session is still at the version its writer read.
 * KEYS: session key, all, holder set. ARGV: version read, record JSON, last use (ms), key TTL ms, id.
 * Returns the new version, 0 when another write came first, -1 when the session ended.
 */
export const REPLACE_SCRIPT = `
local version = redis.call('HGET', KEYS[1], 'v')
if not version then return -1 end
if version ~= ARGV[1] then return 0 end
local next = tonumber(version) + 1
redis.call('HSET', KEYS[1], 'v', next, 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[3], 'XX', ARGV[3], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return next
`;

/** Ends one session. KEYS: session key, all, counters. ARGV: base, id. Returns its record, or nil when it had ended. */
export const REMOVE_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'r', 'h')
if not fields[1] then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if fields[2] then redis.call('ZREM', ARGV[1] .. ':holder:' .. fields[2], ARGV[2]) end
redis.call('HINCRBY', KEYS[3], 'ended', 1)
return fields[1]
`;

/** The idle sessions, each to one caller. KEYS: all. ARGV: base, deadline, batch. Returns {ids looked at, open sessions, {records}}. */
export const CLAIM_SCRIPT = `${CLAIM}
local out = {}
local looked = claim(ARGV[1], KEYS[1], ARGV[2], tonumber(ARGV[3]), out)
return {looked, redis.call('ZCARD', KEYS[1]), out}
`;
