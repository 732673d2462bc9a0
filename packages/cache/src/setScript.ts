/**
 * The versioned write, atomic per call inside Redis (a Lua script run with EVALSHA, falling back to EVAL on
 * NOSCRIPT). KEYS[i] gets ARGV[i + 1]; ARGV[1] is the TTL in seconds ('0' = none). A stored payload is
 * `<JSON version>\n<JSON value>`. Returns one integer per key: 1 written, 0 skipped (stored version newer),
 * -1 skipped (number vs string version). Strings compare byte-wise (UTF-8 = code point order), like
 * `compareVersions`, never with the locale-dependent Lua `<`.
 */
export const SET_SCRIPT = `
local function header(s)
  local nl = string.find(s, '\\n', 1, true)
  return cjson.decode(string.sub(s, 1, nl - 1))
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
  if current then
    local c = cmp(header(incoming), header(current))
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
export const SET_SCRIPT_SHA1 = '8ea0789dc6ce5bf190b4fefbf51bf4fd7f537fa2'
