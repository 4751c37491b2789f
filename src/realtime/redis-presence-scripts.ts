/**
 * The keys and Lua scripts of the shared presence and quotas (redis-presence.ts, redis-quotas.ts).
 * Every node owns two hashes and one member of a sorted set, all under the `{presence}` hash tag
 * (one slot of a Redis Cluster):
 *   <prefix>:{presence}:nodes             sorted set: node id, scored by the time (Redis's clock, ms)
 *                                         its entries expire, pushed forward by each heartbeat;
 *   <prefix>:{presence}:listening:<node>  hash: `listeners` (connections playing), `load` (event loop
 *                                         busy share), `t:<track id>` (connections playing it);
 *   <prefix>:{presence}:holds:<node>      hash: `u:<user id>` and `a:<address key>` (connections open),
 *                                         `.` (written with the whole hash: it is complete).
 * Both hashes also expire (PEXPIRE) with the node, so a dead node leaves nothing behind; the scores
 * use Redis's clock (TIME), so the nodes' clocks need not agree. Scripts read other nodes' hashes by
 * names built from the set's members: fine on one Redis, and in one slot of a Cluster.
 */
export interface PresenceKeys {
  nodes: string;
  /** Prefixes: the node id follows. */
  listening: string;
  holds: string;
}

export function presenceKeys(prefix: string): PresenceKeys {
  const base = `${prefix}:{presence}`;
  return { nodes: `${base}:nodes`, listening: `${base}:listening:`, holds: `${base}:holds:` };
}

/** Redis's clock in ms, and HSET of a long field list in chunks (Lua's unpack has a stack limit). */
const HELPERS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function hset_all(key, fields)
  for i = 1, #fields, 1000 do
    redis.call('HSET', key, unpack(fields, i, math.min(i + 999, #fields)))
  end
end
`;

/**
 * A heartbeat: this node is alive for another TTL, its listening hash is rewritten whole (so it is
 * right again at once after Redis lost it), its holds hash's expiry pushed forward, expired nodes
 * dropped from the set, and every other live node's listening hash read.
 *
 * KEYS: nodes, this node's listening hash, this node's holds hash. ARGV: listening prefix, node id,
 * TTL in ms, listeners, load, then (track id, count) for each track played here.
 * Returns { holds complete (1/0), { node, HGETALL, node, HGETALL, … } }.
 */
export const HEARTBEAT_SCRIPT = `${HELPERS}
local now = now_ms()
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('DEL', KEYS[2])
local fields = { 'listeners', ARGV[4], 'load', ARGV[5] }
for i = 6, #ARGV, 2 do
  fields[#fields + 1] = 't:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
hset_all(KEYS[2], fields)
redis.call('PEXPIRE', KEYS[2], ttl)
local complete = 0
if redis.call('PEXPIRE', KEYS[3], ttl) == 1 and redis.call('HEXISTS', KEYS[3], '.') == 1 then complete = 1 end
local others = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  if node ~= ARGV[2] then
    others[#others + 1] = node
    others[#others + 1] = redis.call('HGETALL', ARGV[1] .. node)
  end
end
return { complete, others }
`;

/**
 * One more connection for each (field, limit) asked, all or none: the field's count summed over the
 * live nodes' holds hashes (this node's always included) must be below its limit.
 *
 * KEYS: nodes, this node's holds hash. ARGV: holds prefix, node id, TTL in ms, then (field, limit).
 * Returns 0 when taken, else the 1-based index of the first pair whose quota is full.
 */
export const RESERVE_SCRIPT = `${HELPERS}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now_ms(), '+inf')
local mine = false
for _, node in ipairs(live) do
  if node == ARGV[2] then mine = true end
end
if not mine then live[#live + 1] = ARGV[2] end
for i = 4, #ARGV, 2 do
  local held = 0
  for _, node in ipairs(live) do
    held = held + tonumber(redis.call('HGET', ARGV[1] .. node, ARGV[i]) or '0')
  end
  if held >= tonumber(ARGV[i + 1]) then return (i - 2) / 2 end
end
for i = 4, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], 1)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 0
`;

/** KEYS: this node's holds hash. ARGV: the fields of one closed connection. A field at 0 is removed. */
export const RELEASE_SCRIPT = `
for i = 1, #ARGV do
  if redis.call('HINCRBY', KEYS[1], ARGV[i], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 0
`;

/**
 * This node's holds hash rewritten from what it counts itself (after Redis lost it, or after a
 * reservation or release that did not reach Redis).
 * KEYS: this node's holds hash. ARGV: TTL in ms, then (field, count).
 */
export const RESYNC_SCRIPT = `${HELPERS}
redis.call('DEL', KEYS[1])
local fields = { '.', '1' }
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
hset_all(KEYS[1], fields)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
`;
