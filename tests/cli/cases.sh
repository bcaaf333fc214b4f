#!/usr/bin/env bash
# The kfk CLI's cases, run by tests/cli/run against one cluster
# (KFK_TEST_BOOTSTRAP; KFK_TEST_RUN labels it, KFK_TEST_MOCK=1 for the
# mock). Each case is a function test_NAME run in a subshell under set -e;
# arguments select cases by name. Every topic and group name is unique to
# the run. Waits poll a condition with a deadline; nothing sleeps for a
# fixed time as synchronisation.
set -uo pipefail
B=$KFK_TEST_BOOTSTRAP
RUN=${KFK_TEST_RUN:-cli}
U="cli-$RUN-$$-$(date +%s%N)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
failed_names=()
# Under SAN=1 or TSAN=1 a sanitizer report fails the case even where the
# command's status is not looked at (inside $(...)): reports go to files.
mkdir -p "$tmp/san"
for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
  export "$v=${!v:+${!v}:}log_path=$tmp/san/report"
done

k() { timeout 120 "$KFK" "$@"; }
kb() { timeout 120 "$KFK" "$@" -b "$B"; }
kc() { timeout 120 kcat -b "$B" "$@"; }

# expect_eq GOT WANT [WHAT]
expect_eq() {
  [[ "$1" == "$2" ]] && return 0
  printf '  %s\n  want: %q\n  got:  %q\n' "${3:-mismatch}" "$2" "$1" >&2
  return 1
}
# expect_rc WANT CMD...: runs CMD, checks its exit status, keeps stderr in $tmp/err.
expect_rc() {
  local want=$1 rc=0
  shift
  "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
  [[ $rc == "$want" ]] && return 0
  echo "  exit status $rc, wanted $want: $*" >&2
  sed 's/^/  | /' "$tmp/err" >&2
  return 1
}
# wait_for 'CONDITION' [SECONDS]: polls until CONDITION holds.
wait_for() {
  local deadline=$((SECONDS + ${2:-60}))
  until eval "$1"; do
    ((SECONDS < deadline)) || { echo "  timed out waiting for: $1" >&2; return 1; }
    sleep 0.1
  done
}
# mktopic NAME PARTITIONS: creates it and waits until every partition has a leader.
mktopic() {
  kb topics create "$1" --partitions "$2" > /dev/null
  wait_for "[[ \$(kb -L -t '$1' | grep -c 'leader [0-9]') == $2 ]]"
}
# Produces "1".."N" to partition 0 of TOPIC with kcat: N TOPIC
seed() { seq 1 "$1" | kc -P -t "$2" -p 0; }

# --- kcat compatibility ------------------------------------------------------

test_produce_consume_roundtrip() {
  local t=$U-rt; mktopic "$t" 1
  printf 'one\ntwo\nthree\n' | kb -P -t "$t"
  expect_eq "$(kb -C -t "$t" -e -q)" $'one\ntwo\nthree'
}

test_kcat_format_tokens_match() {
  local t=$U-fmt; mktopic "$t" 1
  printf 'k1:v1\nk2:\n:v3\nnokey\n' | kc -P -t "$t" -K: -H h1=a -H h2=b
  local f='%t|%p|%o|%k|%K|%s|%S|%h|%T\n'
  expect_eq "$(kb -C -t "$t" -e -q -f "$f")" "$(kc -C -t "$t" -e -q -f "$f")" "-f"
  expect_eq "$(kb -C -t "$t" -e -q -f '%R%s' | od -An -tx1)" "$(kc -C -t "$t" -e -q -f '%R%s' | od -An -tx1)" "%R"
  expect_eq "$(kb -C -t "$t" -e -q -f 'x\ty\x41%s\n')" "$(kc -C -t "$t" -e -q -f 'x\ty\x41%s\n')" "escapes"
}

test_kcat_json_envelope_matches() {
  local t=$U-json; mktopic "$t" 1
  printf 'k1:v"1\nk2:v\\2\n' | kc -P -t "$t" -K: -H h=x
  printf 'plain\n' | kc -P -t "$t"
  expect_eq "$(kb -C -t "$t" -e -q -J)" "$(kc -C -t "$t" -e -q -J)" "-J"
}

test_kcat_key_delim_offset_null_match() {
  local t=$U-kd; mktopic "$t" 1
  printf 'a=1\nb=2\n' | kb -P -t "$t" -K=
  printf 'nokey\n' | kb -P -t "$t"
  for args in "-K ::" "-K : -O" "-K : -Z" "-D |" "-O"; do
    # shellcheck disable=SC2086
    expect_eq "$(kb -C -t "$t" -e -q $args)" "$(kc -C -t "$t" -e -q $args)" "$args"
  done
}

test_kfk_produces_what_kcat_reads() {
  local t=$U-p2k; mktopic "$t" 1
  printf 'x1;a\nx2;b\n' | kb -P -t "$t" -K ';' -H hk=hv -D '\n'
  printf 'fixed\n' | kb -P -t "$t" -k kk
  expect_eq "$(kc -C -t "$t" -e -q -f '%k=%s %h\n')" $'x1=a hk=hv\nx2=b hk=hv\nkk=fixed '
}

test_kcat_offsets_and_count() {
  local t=$U-off; mktopic "$t" 1
  seed 10 "$t"
  for o in "-o 3" "-o -2" "-o beginning -c 4" "-o end"; do
    # shellcheck disable=SC2086
    expect_eq "$(kb -C -t "$t" -e -q $o)" "$(kc -C -t "$t" -e -q $o)" "$o"
  done
  expect_eq "$(kb -C -t "$t" -e -q | wc -l)" 10 "default start is the beginning"
}

test_kcat_partition_flag() {
  local t=$U-part; mktopic "$t" 3
  seq 1 3 | kb -P -t "$t" -p 2
  seq 4 5 | kb -P -t "$t" -p 0
  expect_eq "$(kb -C -t "$t" -p 2 -e -q -f '%p:%s\n')" $'2:1\n2:2\n2:3'
  expect_eq "$(kb -C -t "$t" -e -q -f '%p:%s\n' | sort)" "$(kc -C -t "$t" -e -q -f '%p:%s\n' | sort)"
}

test_kcat_metadata_list_matches() {
  local t=$U-meta; mktopic "$t" 2
  expect_eq "$(kb -L -t "$t" | tail -n +2)" "$(kc -L -t "$t" | tail -n +2)" "-L"
  kb -L -J -t "$t" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["topics"][0]["partitions"]) == 2, d'
}

test_kcat_query_offsets_for_times_matches() {
  local t=$U-q; mktopic "$t" 1
  seed 3 "$t"
  expect_eq "$(kb -Q -t "$t:0:0")" "$(kc -Q -t "$t:0:0")" "-Q"
}

test_kcat_files_as_records() {
  local t=$U-file; mktopic "$t" 1
  printf 'a\nb\n' > "$tmp/f1"; printf 'c\n' > "$tmp/f2"
  kb -P -t "$t" "$tmp/f1" "$tmp/f2"
  kb -P -t "$t" -l "$tmp/f1"
  expect_eq "$(kb -C -t "$t" -e -q -f '%S\n' | tr '\n' ' ')" "4 2 1 1 " "record lengths"
}

test_kcat_group_consumer_commits() {
  local t=$U-g t2 g=$U-grp; mktopic "$t" 2
  seq 1 6 | kb -P -t "$t" -p 0
  expect_eq "$(kb -G "$g" "$t" -c 6 -q | sort -n | tr '\n' ' ')" "1 2 3 4 5 6 " "-G"
  wait_for "[[ \$(kb groups lag '$g' | awk -F'\t' '\$3==0 {print \$4}') == 6 ]]"
  # -C -o stored starts at the group's committed offsets.
  kb groups reset-offsets "$g" --topic "$t:0" --to-offset 4 --execute > /dev/null
  expect_eq "$(kb -C -t "$t" -p 0 -o stored -X group.id="$g" -e -q | tr '\n' ' ')" "5 6 " "-o stored"
  expect_rc 2 kb -C -t "$t" -o stored
  # -e: a member exits once every assigned partition is at its end.
  expect_eq "$(kb -G "$g-e" "$t" -e -q | wc -l)" 6 "-G -e"
}

# --- subcommands ---------------------------------------------------------------

test_topics_lifecycle() {
  local t=$U-life
  expect_eq "$(kb topics create "$t" --partitions 2 --config retention.ms=86400000)" "created topic $t"
  wait_for "kb topics list | grep -qx '$t'"
  expect_eq "$(kb topics describe "$t" | cut -f1,2 | tr '\n' ' ')" "$t	0 $t	1 "
  expect_rc 1 kb topics create "$t" --partitions 2
  grep -q TOPIC_ALREADY_EXISTS "$tmp/err"
  expect_rc 0 kb topics create "$t" --partitions 2 --if-not-exists
  kb topics alter "$t" --partitions 3 > /dev/null
  wait_for "[[ \$(kb topics describe '$t' | wc -l) == 3 ]]"
  kb topics delete "$t" > /dev/null
  wait_for "! kb topics list | grep -qx '$t'"
  expect_rc 1 kb topics delete "$t"
  grep -q UNKNOWN_TOPIC_OR_PARTITION "$tmp/err"
}

test_configs_set_describe_delete() {
  local t=$U-cfg; mktopic "$t" 1
  kb configs set --topic "$t" retention.ms=3600000 cleanup.policy=compact > /dev/null
  expect_eq "$(kb configs describe --topic "$t" retention.ms | cut -f1,2)" "retention.ms	3600000"
  wait_for "kb configs describe --topic '$t' | grep -q '^cleanup.policy	compact'"
  kb configs delete --topic "$t" cleanup.policy > /dev/null
  wait_for "! kb configs describe --topic '$t' | grep -q '^cleanup.policy	compact'"
  expect_rc 1 kb configs set --topic "$t" no.such.config=1
}

test_groups_lag_and_reset_offsets() {
  local t=$U-rst g=$U-rstg; mktopic "$t" 1
  seed 10 "$t"
  kb -G "$g" "$t" -c 4 -q -X enable.auto.commit=true > /dev/null
  lag() { kb groups lag "$g" | awk -F'\t' '$3==0 {print $4, $5, $6}'; }
  wait_for '[[ $(lag) == "4 10 6" ]]'
  kb groups list | cut -f1 | grep -qx "$g"
  expect_eq "$(kb groups reset-offsets "$g" --topic "$t" --to-earliest 2>/dev/null | cut -f2-)" "$t	0	0" "dry run plan"
  expect_eq "$(lag)" "4 10 6" "a dry run commits nothing"
  kb groups reset-offsets "$g" --topic "$t" --to-latest --execute > /dev/null
  expect_eq "$(lag)" "10 10 0" "--to-latest"
  kb groups reset-offsets "$g" --topic "$t" --shift-by -3 --execute > /dev/null
  expect_eq "$(lag)" "7 10 3" "--shift-by -3"
  kb groups reset-offsets "$g" --topic "$t:0" --to-datetime 2000-01-01T00:00:00 --execute > /dev/null
  expect_eq "$(lag)" "0 10 10" "--to-datetime"
  kb groups reset-offsets "$g" --all-topics --to-offset 5 --execute > /dev/null
  expect_eq "$(lag)" "5 10 5" "--to-offset"
  expect_eq "$(kb groups describe "$g" | cut -f1,3)" "$g	Empty"
  kb groups delete "$g" > /dev/null
  wait_for "! kb groups list | cut -f1 | grep -qx '$g'"
  expect_rc 1 kb groups lag "$g"
  grep -q GROUP_ID_NOT_FOUND "$tmp/err"
}

test_offsets_watermarks() {
  local t=$U-wm; mktopic "$t" 2
  seed 5 "$t"
  expect_eq "$(kb offsets "$t" | tr '\n' ' ')" "$t	0	0	5	5 $t	1	0	0	0 "
  expect_eq "$(kb offsets "$t" --time 0 | cut -f1-3 | head -1)" "$t	0	0"
}

test_acls_add_list_remove() {
  # Without an authorizer the broker answers SECURITY_DISABLED, which the
  # tool must report with status 1; with one (tools/kafka --sasl, as CI
  # runs it) a binding is added, listed and removed.
  local t=$U-acl p="User:$U" rc=0
  kb acls list --topic "$t" > "$tmp/out" 2> "$tmp/err" || rc=$?
  if [[ $rc != 0 ]]; then
    expect_eq "$rc" 1 "acls list status"
    grep -q 'SECURITY_DISABLED' "$tmp/err"
  else
    kb acls add --topic "$t" --operation Read --principal "$p" > /dev/null
    wait_for "kb acls list --topic '$t' | grep -q '$p'"
    expect_eq "$(kb acls list --topic "$t" | cut -f1,2,3,4,6,7)" "TOPIC	$t	LITERAL	$p	READ	ALLOW"
    kb acls remove --topic "$t" --principal "$p" > /dev/null
    wait_for "! kb acls list --topic '$t' | grep -q '$p'"
  fi
  expect_rc 2 kb acls add --topic x --operation Frobnicate --principal User:a
  grep -q -- '--operation Frobnicate' "$tmp/err"
}

# --- output, errors, exit codes --------------------------------------------------

test_tables_piped_are_tab_separated() {
  local t=$U-tab; mktopic "$t" 1
  expect_eq "$(kb offsets "$t")" "$t	0	0	0	0" "no header, tabs"
  expect_eq "$(k -b "$B" offsets "$t")" "$t	0	0	0	0" "connection flags before the subcommand"
}

test_tables_on_terminal_are_aligned_without_color_when_no_color() {
  command -v script > /dev/null || { echo "  script(1) missing (util-linux)" >&2; return 1; }
  local t=$U-tty; mktopic "$t" 1
  NO_COLOR=1 script -qec "$KFK offsets $t -b $B" /dev/null > "$tmp/tty"
  grep -q '^TOPIC  *PARTITION  *LOW  *HIGH  *RECORDS' "$tmp/tty"
  grep -q $'\033' "$tmp/tty" && return 1
  env -u NO_COLOR TERM=xterm script -qec "$KFK offsets $t -b $B" /dev/null > "$tmp/tty"
  grep -q $'\033\\[1m' "$tmp/tty"
}

test_exit_codes_and_usage_errors() {
  expect_rc 2 k -C -b "$B"                 # no topic
  grep -q -- '-t TOPIC' "$tmp/err"
  expect_rc 2 k -C -t x -b "$B" -Y           # unknown flag
  grep -q 'unknown flag -Y' "$tmp/err"
  expect_rc 2 k -C -t x -b "$B" --bogus      # a long flag kcat mode does not have
  grep -q 'unknown flag --bogus' "$tmp/err"
  expect_rc 2 k -P -t x -b "$B" -X no.such.property=1
  grep -q 'no.such.property' "$tmp/err"
  expect_rc 2 k -P -t x -b "$B" -X linger.ms=banana
  grep -q 'linger.ms' "$tmp/err"
  expect_rc 2 k -C -t x -b "$B" -o sideways
  grep -q -- '-o' "$tmp/err"
  expect_rc 2 k -C -t x -b "$B" -s avro
  expect_rc 2 k frobnicate
  expect_rc 2 k topics frobnicate -b "$B"
  expect_rc 2 k topics create -b "$B" "$U-x" --partitions zero
  grep -q -- '--partitions' "$tmp/err"
  expect_rc 2 env -u KFK_BOOTSTRAP "$KFK" -L
  expect_rc 1 k -C -t "$U-missing" -b "$B" -e -m 5
  expect_rc 0 k help
  expect_rc 2 k
}

test_help_is_the_man_page() {
  k help > "$tmp/help"
  grep -q 'reset-offsets' "$tmp/help"
  k help --man > "$tmp/man"
  grep -q '^\.TH KFK 1' "$tmp/man"
}

# --- Ctrl-C ----------------------------------------------------------------------

test_sigint_during_group_consume_commits_and_leaves() {
  local t=$U-int g=$U-intg; mktopic "$t" 1
  seed 5 "$t"
  : > "$tmp/c.out"
  "$KFK" -G "$g" "$t" -b "$B" -q -u -X auto.commit.interval.ms=600000 > "$tmp/c.out" 2> "$tmp/c.err" &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  wait_for "[[ \$(wc -l < '$tmp/c.out') == 5 ]]"
  wait_for "kb groups describe '$g' 2>/dev/null | cut -f3 | grep -qx Stable"
  kill -INT $pid
  local rc=0; wait $pid || rc=$?
  expect_eq "$rc" 0 "exit status after SIGINT"
  # close committed the positions (the auto commit interval never came) and left.
  expect_eq "$(kb groups lag "$g" | cut -f4,6)" "5	0" "committed offset, lag"
  expect_eq "$(kb groups describe "$g" | cut -f3)" "Empty" "left the group"
}

test_sigint_during_produce_flushes() {
  local t=$U-pint; mktopic "$t" 1
  mkfifo "$tmp/fifo"
  "$KFK" -P -T -u -t "$t" -b "$B" -X linger.ms=60000 < "$tmp/fifo" > "$tmp/p.out" 2> "$tmp/p.err" &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  exec 4> "$tmp/fifo"
  seq 1 3 >&4
  # -T echoes each record once it is queued; linger.ms keeps them unsent,
  # so only the flush on the interrupt can deliver them.
  wait_for "[[ \$(wc -l < '$tmp/p.out' 2>/dev/null) == 3 ]]"
  expect_eq "$(kb offsets "$t" | cut -f4)" 0 "nothing sent before the interrupt"
  kill -INT $pid
  local rc=0; wait $pid || rc=$?
  exec 4>&-
  expect_eq "$rc" 0 "exit status"
  expect_eq "$(kb -C -t "$t" -e -q | tr '\n' ' ')" "1 2 3 " "flushed on SIGINT"
}

# --- perf and mock -----------------------------------------------------------------

test_perf_produce_and_consume_json() {
  local t=$U-perf; mktopic "$t" 2
  kb perf produce -t "$t" --records 2000 --size 100 --json > "$tmp/pp"
  tail -1 "$tmp/pp" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["final"] and d["records"] == 2000 and d["errors"] == 0, d
for key in ("records_per_sec", "mb_per_sec", "latency_p50_ms", "latency_p99_ms", "latency_p999_ms", "cpu_us_per_record"):
    assert key in d, key'
  kb perf consume -t "$t" --records 2000 --json | tail -1 | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["final"] and d["records"] == 2000, d'
  expect_rc 2 k perf produce -t "$t" -b "$B" --acks 7
}

test_share_accepts_releases_and_rejects() {
  local t=$U-sh g=$U-shg; mktopic "$t" 1
  # A share group starts at the latest offset: probes go out until the member prints one.
  "$KFK" share "$g" "$t" -b "$B" -u -c 1 -f '%s %d\n' > "$tmp/s1" 2> "$tmp/s1.err" &
  local pid=$! n=0
  trap "kill $pid 2>/dev/null || true" EXIT
  wait_for "n=\$((n + 1)); echo probe\$n | kb -P -t '$t' -p 0; [[ -s '$tmp/s1' ]]"
  wait $pid
  expect_eq "$(sed 's/^probe[0-9]*/probe/' "$tmp/s1")" "probe 1" "first delivery"
  expect_eq "$(cat "$tmp/s1.err")" "kfk: acknowledged 1 accepted, 0 released, 0 rejected; 0 failed"
  # Reject the probes that came after it, if any: the last one is probe$n.
  if [[ $(cut -d' ' -f1 "$tmp/s1") != "probe$n" ]]; then
    "$KFK" share "$g" "$t" -b "$B" -u --ack reject -f '%s\n' > "$tmp/s2" 2> /dev/null &
    pid=$!
    wait_for "grep -qx probe$n '$tmp/s2' 2> /dev/null"
    kill -INT $pid
    wait $pid
  fi
  printf 'a\nb\nc\n' | kb -P -t "$t" -p 0
  expect_eq "$(kb share "$g" "$t" --ack release -c 3 -f '%s %d,' 2> /dev/null)" "a 1,b 1,c 1," "released"
  expect_eq "$(kb share "$g" "$t" -c 3 -J 2> /dev/null | grep -o '"delivery_count":[0-9]*,"key":null,"payload":"[abc]"' | tr '\n' ' ')" \
    '"delivery_count":2,"key":null,"payload":"a" "delivery_count":2,"key":null,"payload":"b" "delivery_count":2,"key":null,"payload":"c" ' \
    "delivered again"
  # Accepted and rejected records never come back.
  expect_eq "$(kb share "$g" "$t" --idle 2 2>&1)" "kfk: acknowledged 0 accepted, 0 released, 0 rejected; 0 failed"
  expect_rc 2 kb share "$g" "$t" --ack maybe
  grep -q -- '--ack: accept, release or reject, not "maybe"' "$tmp/err"
}

test_mock_prints_bootstrap_and_serves() {
  exec 5> >("$KFK" mock --brokers 1 --topic "$U-m:2" > "$tmp/mock")
  wait_for "grep -q '^bootstrap=' '$tmp/mock'"
  local bs; bs=$(sed -n 's/^bootstrap=//p' "$tmp/mock")
  expect_eq "$("$KFK" -L -b "$bs" -t "$U-m" | grep -c 'leader 1')" 2
  exec 5>&-
}

cases=$(declare -F | awk '{print $3}' | grep '^test_')
if [[ $# -gt 0 ]]; then cases=$(printf '%s\n' "$@" | sed 's/^\(test_\)\{0,1\}/test_/'); fi
for c in $cases; do
  # Not inside an if: bash ignores set -e in a tested command.
  (set -e; "$c") 2> "$tmp/case.err"
  rc=$?
  if compgen -G "$tmp/san/report*" > /dev/null; then
    cat "$tmp"/san/report* >> "$tmp/case.err"; rm -f "$tmp"/san/report*; rc=1
  fi
  if [[ $rc == 0 ]]; then
    pass=$((pass + 1)); echo "ok   $RUN ${c#test_}"
  else
    fail=$((fail + 1)); failed_names+=("${c#test_}"); echo "FAIL $RUN ${c#test_}"
    sed 's/^/     /' "$tmp/case.err"
  fi
done
# Clean up: this run's topics (groups go with their offsets' retention).
kb topics list 2> /dev/null | grep "^$U-" | xargs -r "$KFK" topics delete -b "$B" > /dev/null 2>&1 || true
echo "cli-$RUN: $pass passed, $fail failed"
[[ $fail == 0 ]]
