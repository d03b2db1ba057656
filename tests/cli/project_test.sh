#!/usr/bin/env bash
# attrib project: a store's projects and their API keys, as an operator meets them. Keys have
# their shapes, the read key's secret is printed once and is nowhere afterwards (not in `list`,
# not in the file), revoked keys show as revoked, mistakes exit non-zero with a message naming
# the project or key, and a project made here is the one `attrib import` opens with the same
# configuration.
# Usage: project_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"
db=$work/keys.db
compact() { tr -d ' \n' <<<"$1"; }
# The value of a JSON string field in the (pretty-printed) output.
json_field() { grep -o "\"$1\": \"[^\"]*\"" <<<"$2" | head -1 | cut -d'"' -f4; }

# create, text: three labelled lines and the warning.
run project create shop --db "$db"
check "create exits 0" test "$rc" = 0
check "create: the project line" test "$(sed -n 1p <<<"$out")" = "project:   shop"
check "create: a write key of 32 letters and digits" grep -Eqx 'write key: [A-Za-z0-9]{32}' <<<"$out"
check "create: a read key rk_ + 40 letters and digits" grep -Eqx 'read key:  rk_[A-Za-z0-9]{40}' <<<"$out"
check "create: the read key is shown once and secret" \
  grep -q 'read key is shown only this once: keep it secret' <<<"$out"
check "create: nothing on stderr" test -z "$err"
shop_write=$(sed -n 's/^write key: //p' <<<"$out")
shop_read=$(sed -n 's/^read key:  //p' <<<"$out")
check "create: the store file exists" test -f "$db"

# create twice: exit 1, naming the project; nothing printed, nothing added.
run project create shop --db "$db"
check "create twice: exit 1" test "$rc" = 1
check "create twice: the message names the project" \
  grep -q '^attrib: error: project "shop" already exists$' <<<"$err"
check "create twice: nothing on stdout" test -z "$out"
check "create twice: no keys added" test "$(sqlite3 "$db" 'SELECT count(*) FROM api_keys')" = 2

# create, json: exactly the three fields.
run project create blog --db "$db" --format json
check "create json exits 0" test "$rc" = 0
check "create json: the fields" grep -Eqx \
  '\{"project":"blog","write_key":"[A-Za-z0-9]{32}","read_key":"rk_[A-Za-z0-9]{40}"\}' \
  <<<"$(compact "$out")"
check "create json: the warning on stderr" grep -q 'shown only this once' <<<"$err"
blog_write=$(json_field write_key "$out")
blog_read=$(json_field read_key "$out")
check "create json: keys differ between projects" test "$blog_write" != "$shop_write"

# keys: new keys for an existing project; the old ones stay.
run project keys shop --db "$db" --format json
check "keys exits 0" test "$rc" = 0
check "keys json: the fields" grep -Eqx \
  '\{"project":"shop","write_key":"[A-Za-z0-9]{32}","read_key":"rk_[A-Za-z0-9]{40}"\}' \
  <<<"$(compact "$out")"
shop_read2=$(json_field read_key "$out")
check "keys: a new read key" test "$shop_read2" != "$shop_read"
run project keys shop --db "$db"
check "keys text: the labelled lines" grep -Eqx 'write key: [A-Za-z0-9]{32}' <<<"$out"
run project keys nowhere --db "$db"
check "keys for a missing project: exit 1" test "$rc" = 1
check "… naming it" grep -q '^attrib: error: no project "nowhere" in the store$' <<<"$err"

# list: every key by id, never a read key's secret.
run project list --db "$db"
check "list exits 0" test "$rc" = 0
check "list: a header" grep -Eq '^project +kind +key +created +revoked$' <<<"$out"
check "list: the write key" grep -Eq "^shop +write +$shop_write +[0-9]{4}-" <<<"$out"
check "list: the read key's id" grep -Eq "^shop +read +${shop_read:0:11} +[0-9]{4}-.* +-$" <<<"$out"
check "list: projects sorted, six keys for shop, two for blog" test \
  "$(awk 'NR > 1 {print $1}' <<<"$out" | uniq -c | tr -s ' ' | paste -sd,)" = " 2 blog, 6 shop"
for secret in "${shop_read:11}" "${shop_read2:11}" "${blog_read:11}"; do
  check "list: no read key's secret" bash -c '! grep -qF "$1" <<<"$2"' _ "$secret" "$out"
done
run project list --db "$db" --format json
check "list json exits 0" test "$rc" = 0
check "list json: the projects and keys" grep -Eq \
  "^\[\{\"project\":\"blog\",\"keys\":\[\{\"key_id\":\"$blog_write\",\"kind\":\"write\",\"created_at\":\"[0-9T:.Z-]+\",\"revoked_at\":null\},\{\"key_id\":\"${blog_read:0:11}\",\"kind\":\"read\"" \
  <<<"$(compact "$out")"
for secret in "${shop_read:11}" "${shop_read2:11}" "${blog_read:11}"; do
  check "list json: no read key's secret" bash -c '! grep -qF "$1" <<<"$2"' _ "$secret" "$out"
done

# The file: read keys hashed (32 bytes), write keys without a hash, no secret anywhere.
check "file: read keys stored as 32-byte hashes" test "$(sqlite3 "$db" \
  "SELECT group_concat(DISTINCT kind || ':' || coalesce(length(secret_hash), 'null')) FROM
   (SELECT * FROM api_keys ORDER BY kind)")" = "read:32,write:null"
for secret in "$shop_read" "${shop_read:11}" "${blog_read:11}"; do
  check "file: no read key's secret" bash -c '! cat "$1"* | grep -qaF "$2"' _ "$db" "$secret"
done
check "file: the write key is there (the search works)" bash -c 'cat "$1"* | grep -qaF "$2"' _ \
  "$db" "$shop_write"

# revoke: whole write key, read key by id, whole read key; twice is fine.
run project revoke "$shop_write" --db "$db"
check "revoke a write key: exit 0" test "$rc" = 0
check "revoke: says what" grep -Eqx \
  "revoked write key $shop_write of project \"shop\" at [0-9]{4}-[0-9T:.-]+Z" <<<"$out"
run project revoke "${shop_read:0:11}" --db "$db"
check "revoke a read key by id: exit 0" test "$rc" = 0
check "revoke by id: says what" grep -q "^revoked read key ${shop_read:0:11} of project \"shop\"" <<<"$out"
check "revoke by id: never a secret" bash -c '! grep -qF "$1" <<<"$2"' _ "${shop_read:11}" "$out"
run project revoke "$blog_read" --db "$db"
check "revoke a whole read key: exit 0" test "$rc" = 0
check "revoke whole: prints the id only" test "$out" = "$(grep -o "^revoked read key ${blog_read:0:11} of project \"blog\" at .*" <<<"$out")"
first_time=$(sqlite3 "$db" "SELECT revoked_at FROM api_keys WHERE key_id = '$shop_write'")
run project revoke "$shop_write" --db "$db"
check "revoke twice: exit 0" test "$rc" = 0
check "revoke twice: says already" grep -q "^already revoked: write key $shop_write" <<<"$out"
check "revoke twice: keeps the first time" test \
  "$(sqlite3 "$db" "SELECT revoked_at FROM api_keys WHERE key_id = '$shop_write'")" = "$first_time"
run project list --db "$db"
check "list: a revoked key shows when" grep -Eq \
  "^shop +write +$shop_write +[0-9]{4}-[^ ]+ +[0-9]{4}-[0-9T:.-]+Z$" <<<"$out"
check "list: three keys revoked" test "$(grep -Ec ' [0-9]{4}-[^ ]+ +[0-9]{4}-[^ ]+$' <<<"$out")" = 3
check "list: the others not" test "$(grep -Ec ' -$' <<<"$out")" = 5
run project list --db "$db" --format json
check "list json: revoked_at of a revoked key" grep -Eq \
  "\{\"key_id\":\"$shop_write\",\"kind\":\"write\",\"created_at\":\"[^\"]+\",\"revoked_at\":\"[0-9]{4}-[^\"]+Z\"\}" \
  <<<"$(compact "$out")"

# Unknown keys: exit 1; a forged read key (a real id, another secret) is not that key.
run project revoke nosuchkey --db "$db"
check "revoke unknown: exit 1" test "$rc" = 1
check "revoke unknown: names it" grep -q '^attrib: error: no key "nosuchkey" in the store$' <<<"$err"
forged=${shop_read2:0:11}$(printf 'x%.0s' {1..32})
run project revoke "$forged" --db "$db"
check "revoke a forged read key: exit 1" test "$rc" = 1
check "… without echoing its secret" bash -c '! grep -qF "$1" <<<"$2"' _ "${forged:11}" "$err"
check "… and the real key is not revoked" test "$(sqlite3 "$db" \
  "SELECT revoked_at IS NULL FROM api_keys WHERE key_id = '${shop_read2:0:11}'")" = 1

# Bad names: usage errors, naming the problem.
run project create "" --db "$db"
check "empty name: exit 2" test "$rc" = 2
check "empty name: says so" grep -q '^attrib: error: project name: empty$' <<<"$err"
run project create "$(printf 'a%.0s' {1..201})" --db "$db"
check "a 201-byte name: exit 2" test "$rc" = 2
check "a 201-byte name: says so" grep -q 'project name: 201 bytes, longer than the limit of 200' <<<"$err"
run project create "$(printf 'a%.0s' {1..200})" --db "$db"
check "a 200-byte name: fine" test "$rc" = 0
run project create "$(printf 'new\nline')" --db "$db"
check "a control character: exit 2" test "$rc" = 2
check "a control character: says so" grep -q 'project name: a control character (0x0a) at byte 4' <<<"$err"

# A missing store: an error, and no file made (only create makes one).
for cmd in "keys shop" "revoke $shop_write" "list"; do
  run project $cmd --db "$work/missing.db"
  check "$cmd on a missing store: exit 1" test "$rc" = 1
  check "$cmd on a missing store: says so" grep -q 'missing.db: no such file' <<<"$err"
done
check "… and no file made" test ! -e "$work/missing.db"
run project
check "project without a subcommand: exit 2" test "$rc" = 2

# A project made here is the one import opens with the same configuration, and only that.
printf '[sessions]\ntimeout_minutes = 45\n' >"$work/45.toml"
run project create tuned --db "$db" --config "$work/45.toml"
check "create with a configuration: exit 0" test "$rc" = 0
ev='{"type":"track","event":"Order Completed","anonymousId":"a1","messageId":"m1","timestamp":"2026-10-01T10:00:00Z","properties":{"revenue":10}}'
echo "$ev" >"$work/one.jsonl"
run import --db "$db" --project tuned --config "$work/45.toml" "$work/one.jsonl"
check "import into it with the same configuration: exit 0" test "$rc" = 0
run import --db "$db" --project tuned "$work/one.jsonl"
check "import into it with another configuration: exit 1" test "$rc" = 1
check "… naming the setting" grep -q 'sessions.timeout_minutes (stored 45.0, configured 30.0)' <<<"$err"

# A project made by import gets keys afterwards.
run import --db "$db" --project imported "$work/one.jsonl"
check "import into a new project: exit 0" test "$rc" = 0
run project list --db "$db"
check "list: a project without keys" grep -Eq '^imported +- +\(no keys\)' <<<"$out"
run project keys imported --db "$db"
check "keys for an imported project: exit 0" test "$rc" = 0
run project create imported --db "$db"
check "create an imported project: exit 1" test "$rc" = 1
check "… with a hint" grep -q '`attrib project keys imported` makes new keys for it' <<<"$err"
check "the store is sound" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
check "schema version 3" test "$(sqlite3 "$db" 'SELECT max(version) FROM schema_migrations')" = 3

echo "project_test: $passed passed, $failed failed"
test "$failed" = 0
