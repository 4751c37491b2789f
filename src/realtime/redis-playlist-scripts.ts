/**
 * The Lua scripts of the playlists in Redis (redis-playlists.ts has the key layout). A script runs
 * alone in Redis, so each change reads, checks its quotas, writes and counts as one step, whichever
 * node sends it: two nodes creating a playlist at once cannot both pass a quota with one place left.
 * A refusal returns `{kind, ...}` before anything is written; success returns `{action, position,
 * track_count}`.
 *
 * Keys of every script: the playlist's hash (owner, address, updated_at_ms), its track list, the
 * counters hash (`all`, `u:<user>`, `a:<address>`).
 */

/** Counters fall to nothing, never below: a user or address with no playlist leaves no field behind. */
const DECREMENT = `
local function decrement(field)
  if redis.call('HINCRBY', KEYS[3], field, -1) <= 0 then redis.call('HDEL', KEYS[3], field) end
end
`;

/**
 * AddToPlaylist. ARGV: track, position ('' for the end), user, address ('' for a verified user),
 * maxTracks, maxCount, maxPerUser, maxPerAddress (0 disables those two), now in ms. The checks come
 * in the SQLite store's order, so both refuse the same command with the same error.
 */
export const ADD_SCRIPT = `
local track, user, address = ARGV[1], ARGV[3], ARGV[4]
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner then
  if owner ~= user then return {'forbidden'} end
else
  local maxPerUser, maxPerAddress = tonumber(ARGV[7]), tonumber(ARGV[8])
  if tonumber(redis.call('HGET', KEYS[3], 'all') or '0') >= tonumber(ARGV[6]) then return {'serverFull'} end
  if maxPerUser > 0 and tonumber(redis.call('HGET', KEYS[3], 'u:' .. user) or '0') >= maxPerUser then return {'userQuota'} end
  if maxPerAddress > 0 and address ~= '' and tonumber(redis.call('HGET', KEYS[3], 'a:' .. address) or '0') >= maxPerAddress then return {'addressQuota'} end
end
local existing = redis.call('LPOS', KEYS[2], track)
local length = redis.call('LLEN', KEYS[2])
if existing then length = length - 1 elseif length >= tonumber(ARGV[5]) then return {'full'} end
local at = length
if ARGV[2] ~= '' then at = tonumber(ARGV[2]) end
if at > length then return {'pastEnd', at, length} end
if existing then redis.call('LREM', KEYS[2], 1, track) end
if at == length then
  redis.call('RPUSH', KEYS[2], track)
else
  redis.call('LINSERT', KEYS[2], 'BEFORE', redis.call('LINDEX', KEYS[2], at), track)
end
if not owner then
  redis.call('HSET', KEYS[1], 'owner', user, 'address', address)
  redis.call('HINCRBY', KEYS[3], 'all', 1)
  redis.call('HINCRBY', KEYS[3], 'u:' .. user, 1)
  if address ~= '' then redis.call('HINCRBY', KEYS[3], 'a:' .. address, 1) end
end
redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[9])
if existing then return {'Reordered', at, length + 1} end
return {'Added', at, length + 1}
`;

/** RemoveFromPlaylist. ARGV: track, user, now in ms. A playlist left empty is deleted and uncounted. */
export const REMOVE_SCRIPT = `${DECREMENT}
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return {'unknown'} end
if owner ~= ARGV[2] then return {'forbidden'} end
local at = redis.call('LPOS', KEYS[2], ARGV[1])
if not at then return {'notIn'} end
redis.call('LREM', KEYS[2], 1, ARGV[1])
local length = redis.call('LLEN', KEYS[2])
if length == 0 then
  local address = redis.call('HGET', KEYS[1], 'address')
  redis.call('DEL', KEYS[1])
  decrement('all')
  decrement('u:' .. owner)
  if address and address ~= '' then decrement('a:' .. address) end
else
  redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[3])
end
return {'Removed', at, length}
`;

/** One playlist, read at one instant: `{owner, updated_at_ms, track, track, …}`, or an empty array. */
export const GET_SCRIPT = `
local meta = redis.call('HMGET', KEYS[1], 'owner', 'updated_at_ms')
if not meta[1] then return {} end
local result = {meta[1], meta[2]}
for _, track in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do result[#result + 1] = track end
return result
`;

/**
 * Moves one playlist of a data folder's file in (the import of `serve --redis`), unless one with its
 * id exists: it is counted, never refused by a quota (it existed before). ARGV: owner, address ('' for
 * none), updated_at_ms, then the tracks. Returns 1 when moved, 0 when the id was taken.
 */
export const IMPORT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'address', ARGV[2], 'updated_at_ms', ARGV[3])
-- unpack() is bounded by Lua's stack (8,000 values): pushed in slices.
for first = 4, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
redis.call('HINCRBY', KEYS[3], 'all', 1)
redis.call('HINCRBY', KEYS[3], 'u:' .. ARGV[1], 1)
if ARGV[2] ~= '' then redis.call('HINCRBY', KEYS[3], 'a:' .. ARGV[2], 1) end
return 1
`;
