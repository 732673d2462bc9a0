/**
 * The versioned write, atomic per call inside Redis (a Lua script run with EVALSHA, falling back to EVAL on
 * NOSCRIPT). KEYS[i] gets ARGV[i + 1]; ARGV[1] is the TTL in seconds ('0' = none). A stored payload is
 * `<JSON version>\n<JSON value>`. Returns one integer per key: 1 written, 0 skipped (stored version newer),
 * -1 skipped (number vs string version). A stored value without a readable version (corrupt, or not written by this
 * adapter) is overwritten, as the reads treat it as a miss. Strings compare byte-wise (UTF-8 = code point order), like
 * `compareVersions`, never with the locale-dependent Lua `<`.
 */
export const SET_SCRIPT = `
local function header(s)
  local nl = string.find(s, '\\n', 1, true)
  if not nl then return nil end
  local ok, v = pcall(cjson.decode, string.sub(s, 1, nl - 1))
  if ok and (type(v) == 'number' or type(v) == 'string') then return v end
  return nil
end
local function cmp(a, b)
  if type(a) ~= type(b) then return nil end
  if type(a) == 'number' then
    if a < b then return -1 elseif a > b then return 1 else return 0 end
  end
  local la, lb = #a, #b
  for j = 1, math.min(la, lb) do
    local x, y = string.byte(a, j), string.byte(b, j)
    if x ~= y then if x < y then return -1 else return 1 end end
  end
  if la < lb then return -1 elseif la > lb then return 1 else return 0 end
end
local ttl = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local incoming = ARGV[i + 1]
  local current = redis.call('GET', KEYS[i])
  local result = 1
  local stored = nil
  if current then stored = header(current) end
  if stored ~= nil then
    local c = cmp(header(incoming), stored)
    if c == nil then result = -1 elseif c < 0 then result = 0 end
  end
  if result == 1 then
    if ttl > 0 then redis.call('SET', KEYS[i], incoming, 'EX', ttl) else redis.call('SET', KEYS[i], incoming) end
  end
  out[i] = result
end
return out
`

/**
 * SHA-1 of `SET_SCRIPT` for EVALSHA, a constant so the package needs no `node:crypto` (it is imported in browsers
 * too). test/setScript.test.ts fails if the script changes without this.
 */
export const SET_SCRIPT_SHA1 = 'fbcbaa9bc8c3fd634c65e058db2349835436cd72'
