/**
 * Adds a batch of one node's publications to the stream, atomically and in order (a Lua script runs
 * alone in Redis). A batch whose answer was lost is sent again after reconnection; the node's last
 * sequence number, kept beside the stream, makes that harmless: entries at or below it are skipped.
 * Each added entry gets the next number of the stream's counter (`n`, see redis-stream.ts).
 *
 * KEYS: stream, counter, this node's last sequence. ARGV: max length, node id, memory in ms, then
 * (sequence, field `d` or `x`, value) for each publication. Returns how many entries were added.
 */
export const PUBLISH_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local added = 0
for i = 4, #ARGV, 3 do
  local seq = tonumber(ARGV[i])
  if seq > last then
    local n = redis.call('INCR', KEYS[2])
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'n', n, 'o', ARGV[2], 's', ARGV[i], ARGV[i + 1], ARGV[i + 2])
    last = seq
    added = added + 1
  end
end
redis.call('SET', KEYS[3], last, 'PX', ARGV[3])
return added
`;
