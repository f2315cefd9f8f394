-- wrk script for cold transforms: every request asks for a different output (width and
-- quality change together), so no cache can answer it. TEMPLATE has {w} and {q} in it, e.g.
--   /img/big.jpg?w={w}&q={q}&fm=webp
-- The sequence is the same for every server (and for bench/images/floor.py).
local counter = 0
local template = os.getenv("TEMPLATE")

request = function()
  local w = 560 + counter % 100
  local q = 70 + math.floor(counter / 100) % 20
  counter = counter + 1
  local path = template:gsub("{w}", tostring(w)):gsub("{q}", tostring(q))
  return wrk.format("GET", path)
end
