-- wrk script for bench/site: every request is a random path from the file named by $PATHS
-- (one path per line), so the requests spread over the whole archive instead of one hot page.
local paths = {}

function init(args)
  for line in io.lines(os.getenv("PATHS")) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  -- Each wrk thread has its own Lua state: seed each differently.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
