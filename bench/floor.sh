#!/usr/bin/env bash
# The floor of `npm run bench`: the work of a warm `npm run e2e` on the local platform done by hand,
# with no harness, no checks and no reports.
#
#   bench/floor.sh WORKDIR
#
# WORKDIR is made by bench/floor.ts from what a stack of the local platform recorded of itself as it
# started (its start record): copies of the stack's files and WORKDIR/floor.env, which names the
# services in the order they were started, with a start_<service> function each (the recorded
# command, arguments, directory and environment), a ready_<service> function (the recorded
# readiness probes, with curl), what each was started after, and the hub, its token, the users and
# the course. Nothing of the stack is written here, so the floor cannot drift from the platform.
# Then, as scenarios/tutorial.spec.ts does: the users' servers through the Hub API, and the
# tutorial's commands, each run with `bash -c` in its user server's environment (from
# /proc/<pid>/environ) and home, as the local platform runs them.
#
# On stdout, one line per timed piece, for bench.ts:
#   step <ms> <title>                    a part of the run
#   command <ms> <exit> <user> <cwd> <command>
#   home <user> <dir>                    where the user's server has its home
# Commands' output goes to WORKDIR/commands.log, the services' to the logs the record names.
set -euo pipefail

work=${1:?usage: bench/floor.sh WORKDIR (made by bench/floor.ts)}
[[ -f $work/floor.env ]] || { echo "floor: no $work/floor.env: bench/floor.ts writes it from a stack's start record" >&2; exit 2; }
# shellcheck source=/dev/null
source "$work/floor.env"
: >"$work/commands.log"

now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
started=$(now_ms)
mark=$started
step() { local t; t=$(now_ms); echo "step $((t - mark)) $1"; mark=$t; }

declare -A pid ready
server_pids=()
stop_all() {
  local p left=()
  trap '' INT TERM # a second Ctrl-C does not cut the cleanup short
  for p in "${pid[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pid[@]}" "${server_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && left+=("$p")
  done
  for p in "${left[@]}"; do kill -KILL -- "-$p" "$p" 2>/dev/null || true; done
  for p in "${pid[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Poll a readiness probe every $interval s (50 ms), for at most $2 seconds, while service $3 is
# alive. The loop forks only the probe: the clock is $EPOCHREALTIME and the pause a read that times
# out on a pipe nobody writes to, so the polling takes as little CPU from the starting services as
# it can.
exec {pause}<> <(:)
interval=0.05
wait_for() {
  local what=$1 deadline=$((${EPOCHREALTIME//[.,]/} + $2 * 1000000)) service=$3; shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "${pid[$service]}" 2>/dev/null || { echo "floor: $service exited while waiting for $what:" >&2; tail -n 15 "${log[$service]}" >&2; exit 1; }
    ((${EPOCHREALTIME//[.,]/} < deadline)) || { echo "floor: $what not ready after $2 s:" >&2; tail -n 15 "${log[$service]}" >&2; exit 1; }
    read -rt "$interval" -u "$pause" || true
  done
}
await_service() {
  [[ -n ${ready[$1]:-} ]] && return
  wait_for "$1" 90 "$1" "ready_$1"
  ready[$1]=1
}

# The services in the order the platform started them, each after the ones it was started after.
for service in "${services[@]}"; do
  for before in ${after[$service]}; do await_service "$before"; done
  "start_$service" &
  pid[$service]=$!
done
for service in "${services[@]}"; do await_service "$service"; done
step 'proxy, ngshare, hub'

api() { curl -sf -H "Authorization: token $api_token" "$@"; }
# Server readiness is asked of the hub itself, which is busy spawning: every 200 ms per user, not
# 50 (at 50 ms the two polls cost the hub more than they save; the harness asks every 300 ms).
server_ready() { [[ $(api "$hub_api/users/$1") =~ \"ready\":\ *true ]]; }
spawn() {
  api -X POST "$hub_api/users/$1" >/dev/null || true # 409 for the instructor: the hub made its admins
  api -X POST "$hub_api/users/$1/server" >/dev/null
  interval=0.2 wait_for "$1's server" 90 hub server_ready "$1"
}
spawn "$instructor" & spawning_instructor=$!
spawn "$student" & spawning_student=$!
wait "$spawning_instructor"
wait "$spawning_student"
declare -A server
for user in "$instructor" "$student"; do
  server[$user]=$(api "$hub_api/users/$user" | grep -o '"pid": *[0-9]*' | grep -o '[0-9]*$')
  server_pids+=("${server[$user]}")
  echo "home $user $(tr '\0' '\n' <"/proc/${server[$user]}/environ" | sed -n 's/^HOME=//p')"
done
step 'user servers'

# One command as the user, in their running server's environment and home.
run() {
  local user=$1 cwd=$2 command=$3 entry home='' t rc=0
  local -a env
  mapfile -d '' env <"/proc/${server[$user]}/environ"
  for entry in "${env[@]}"; do [[ $entry == HOME=* ]] && home=${entry#HOME=}; done
  t=$(now_ms)
  (cd "$home/$cwd" && exec env -i "${env[@]}" bash -c "$command") </dev/null >>"$work/commands.log" 2>&1 || rc=$?
  echo "command $(($(now_ms) - t)) $rc $user $cwd $command"
}

# scenarios/tutorial.spec.ts, steps 4 to 8, the same commands in the same order and directories.
run "$instructor" . 'python -m pip show nbgrader ngshare-exchange'
run "$instructor" . 'nbgrader list'
step 'Step 4: Validate in JupyterHub'
run "$instructor" . "ngshare-course-management create_course $course $instructor"
run "$instructor" . "ngshare-course-management add_student $course $student"
run "$instructor" . 'nbgrader list'
step 'Step 5: Create the course and roster'
run "$instructor" . "nbgrader quickstart $course"
run "$instructor" "$course" 'nbgrader generate_assignment ps1'
run "$instructor" "$course" 'nbgrader release_assignment ps1'
run "$instructor" "$course" 'nbgrader list'
step 'Step 6: Create and release a first assignment'
run "$instructor" . "ngshare-course-management add_student $course $student"
run "$student" . 'nbgrader list'
run "$student" . 'nbgrader fetch_assignment ps1'
run "$student" . 'nbgrader submit ps1'
step 'Step 7: Student workflow (fetch + submit)'
run "$instructor" "$course" 'nbgrader collect ps1'
run "$instructor" "$course" 'nbgrader autograde ps1'
step 'Step 8: Instructor workflow (collect + autograde)'

trap - EXIT INT TERM
stop_all
step 'teardown'
echo "step $(($(now_ms) - started)) total"
