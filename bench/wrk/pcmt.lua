-- pcmt.lua: the wrk script of bench/api.sh (docs/performance.md, "API throughput"). One script for
-- every load so that each one authenticates, picks its targets and reports the same way; the load
-- is chosen by the environment, since wrk passes no arguments to a script before init():
--   PCMT_WRK_MODE   person | search | commune | drugfree | indicators | write | write-person | mixed
--   PCMT_TOKEN      the bearer token (pcmt user token)
--   PCMT_WRK_LIST   a file with one request target fragment a line (ids, search words, commune ids,
--                   org unit codes, "plan<TAB>orgunit"); a random line per request
--   PCMT_WRK_OU     for the writes: the commune id new persons live in
-- write is the records an officer enters, in the proportions the national data set holds them
-- (per person registered: 31 drug tests, 3 treatment episodes, 1 classification, 0.4 support
-- entries); write-person is person registrations alone, the costliest write (a sealed identity, its
-- blind indexes and a search token per name prefix); PCMT_WRK_LIST's persons are the ones written for
--   PCMT_WRK_WRITE_PCT  for mixed: the share of writes (default 10)
-- done() prints one line "RESULT mode reqs/s p50_ms p99_ms non2xx socket_errors" that api.sh
-- parses; wrk's own report stays above it for a human.

local mode = os.getenv("PCMT_WRK_MODE") or "person"
local token = os.getenv("PCMT_TOKEN") or ""
local list_file = os.getenv("PCMT_WRK_LIST")
local ou = os.getenv("PCMT_WRK_OU") or "0"
local write_pct = tonumber(os.getenv("PCMT_WRK_WRITE_PCT") or "10")
local list = {}
local counter = 0
local thread_no = 0

-- wrk's setup() runs in the main Lua state once per thread: number the threads so that writers in
-- different threads never make the same name
local threads = {}
function setup(thread)
	thread_no = thread_no + 1
	thread:set("tno", thread_no)
	table.insert(threads, thread)
end

local function urlenc(s)
	return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
	math.randomseed(os.time() + (tno or 0) * 7919)
	if list_file then
		for line in io.lines(list_file) do
			if #line > 0 then table.insert(list, line) end
		end
	end
	if #list == 0 then
		error("pcmt.lua: PCMT_WRK_LIST is empty for mode " .. mode)
	end
	wrk.headers["Authorization"] = "Bearer " .. token
	wrk.headers["Content-Type"] = "application/json"
end

local function pick()
	return list[math.random(#list)]
end

-- a Vietnamese name as people have them (family, middle, given): about 9 search tokens, where a
-- made-up unique name of digits would have twice as many
local family = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
	"Hồ", "Ngô", "Dương", "Lý"}
local middle = {"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Hoàng"}
local given = {"An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phong", "Quang", "Sơn", "Tâm",
	"Tuấn", "Việt", "Hoa", "Lan", "Mai", "Hương", "Thảo", "Trang"}

local function one(t)
	return t[math.random(#t)]
end

-- a date of this year up to the end of last month (never in the future)
local function day()
	local t = os.date("*t")
	return string.format("%04d-%02d-%02d", t.year, math.random(math.max(t.month - 1, 1)), math.random(28))
end

local function write_person()
	counter = counter + 1
	local body = string.format(
		'{"full_name": "%s %s %s", "sex": "%s", "dob": "19%02d-%02d-%02d", "residence_ou": %s}',
		one(family), one(middle), one(given), one({"male", "female"}), math.random(60, 99),
		math.random(12), math.random(28), ou)
	return wrk.format("POST", "/api/v1/persons", nil, body)
end

local writes = {
	{31.2, "tests", function(p)
		return string.format('{"person_id": %s, "test_date": "%s", "kind": "%s", "result": "%s"}', p, day(),
			one({"periodic", "sudden"}), math.random(10) == 1 and "positive" or "negative")
	end},
	{3.1, "treatments", function(p)
		return string.format('{"person_id": %s, "kind": "voluntary_community", "start_date": "%s", '
			.. '"outcome": "ongoing"}', p, day())
	end},
	{1.0, "classifications", function(p)
		return string.format('{"person_id": %s, "kind": "%s", "date_from": "%s"}', p,
			one({"addict", "illegal_user", "post_rehab"}), day())
	end},
	{0.36, "support", function(p)
		return string.format('{"person_id": %s, "kind": "counselling", "support_date": "%s"}', p, day())
	end},
}
local write_total = 1.0 -- the persons' own share
for _, w in ipairs(writes) do write_total = write_total + w[1] end

local function write_req()
	local x = math.random() * write_total
	for _, w in ipairs(writes) do
		if x < w[1] then
			return wrk.format("POST", "/api/v1/" .. w[2], nil, w[3](pick()))
		end
		x = x - w[1]
	end
	return write_person()
end

function request()
	if mode == "person" then
		return wrk.format("GET", "/api/v1/persons/" .. pick())
	elseif mode == "search" then
		return wrk.format("GET", "/api/v1/persons?limit=20&q=" .. urlenc(pick()))
	elseif mode == "commune" then
		return wrk.format("GET", "/api/v1/persons?limit=50&residence_ou=" .. pick())
	elseif mode == "drugfree" then
		return wrk.format("GET", "/api/v1/drug-free?details=1&orgunit=" .. pick())
	elseif mode == "indicators" then
		local plan, o = pick():match("([^\t]+)\t(.+)")
		return wrk.format("GET", "/api/v1/indicators?plan=" .. urlenc(plan) .. "&orgunit=" .. o)
	elseif mode == "write" then
		return write_req()
	elseif mode == "write-person" then
		return write_person()
	elseif mode == "mixed" then
		if math.random(100) <= write_pct then
			return write_req()
		end
		return wrk.format("GET", "/api/v1/persons/" .. pick())
	end
	error("pcmt.lua: unknown PCMT_WRK_MODE " .. mode)
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT %s %.1f %.3f %.3f %d %d\n", mode, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status,
		e.connect + e.read + e.write + e.timeout))
end
