#!/usr/bin/env bash
# The floor of `npm run bench`: the work of a warm `npm run e2e` on the local platform done by hand,
# with no harness, no checks and no reports. Same cached Python environments, same
# cluster/local/jupyterhub_config.py and ngshare_loopback.py, same processes with the same flags,
# the same commands as scenarios/tutorial.spec.ts, each run with `bash -c` in its user server's
# environment (from /proc/<pid>/environ) as the local platform runs them.
#
#   HUB_ENV=… NGSHARE_ENV=… USER_ENV=… bench/floor.sh [WORKDIR]
#
# HUB_ENV, NGSHARE_ENV, USER_ENV: the environments' directories (bench/bench.ts passes the ones the
# harness uses; without them the newest of each role in the cache is taken). WORKDIR holds the run's
# files (default: a new temporary directory, removed at the end); a WORKDIR given is left in place.
#
# On stdout, one line per timed piece, for bench.ts:
#   step <ms> <title>                    a part of the run
#   command <ms> <exit> <user> <cwd> <command>
# Commands' output goes to WORKDIR/commands.log, the services' to WORKDIR/logs/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${E2E_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nbgrader-ngshare-e2e}
newest_env() { ls -1td "$cache/envs/$1"-* 2>/dev/null | grep -E "/$1-[0-9a-f]{16}\$" | head -1; }
HUB_ENV=${HUB_ENV:-$(newest_env hub)}
NGSHARE_ENV=${NGSHARE_ENV:-$(newest_env ngshare)}
USER_ENV=${USER_ENV:-$(newest_env user)}
for env in "$HUB_ENV" "$NGSHARE_ENV" "$USER_ENV"; do
  [[ -x $env/bin/python ]] || { echo "floor: no Python environment at '$env' (run npm run e2e once)" >&2; exit 2; }
done

if [[ -n ${1:-} ]]; then work=$1; keep_work=1; else work=$(mktemp -d); keep_work=0; fi
mkdir -p "$work"/{hub,proxy,ngshare/files,etc/jupyter,logs,home/instructor1,home/student1}
: >"$work/commands.log"

now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
started=$(now_ms)
mark=$started
step() { local t; t=$(now_ms); echo "step $((t - mark)) $1"; mark=$t; }

secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
proxy_token=$(secret) cookie_secret=$(secret) ngshare_token=$(secret) api_token=$(secret) password=$(secret) admin_password=$(secret)
read -r proxy_port api_port hub_port ngshare_port < <("$HUB_ENV/bin/python" -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
hub_api=http://127.0.0.1:$proxy_port/hub/api
tag=NBGRADER_E2E_STACK=floor-$$-$started
base_path=/usr/local/bin:/usr/bin:/bin

# What writeStackFiles (cluster/local/local-platform.ts) writes for jupyterhub_config.py: the
# settings, and the run's secrets file (0600) they name. The secrets are in both, so that the config
# of either shape (secrets inline, or read from secretsFile) finds them.
(umask 077 && cat >"$work/secrets.json" <<EOF
{ "userPassword": "$password", "adminPassword": "$admin_password", "ngshareApiToken": "$ngshare_token",
  "harnessApiToken": "$api_token", "proxyAuthToken": "$proxy_token", "cookieSecret": "$cookie_secret" }
EOF
)
cat >"$work/hub/settings.json" <<EOF
{
  "proxyPort": $proxy_port, "proxyApiPort": $api_port, "hubPort": $hub_port,
  "hubDir": "$work/hub", "homeRoot": "$work/home", "userEnvBin": "$USER_ENV/bin",
  "serverStartTimeout": 90, "userPassword": "$password", "adminPassword": "$admin_password", "hubAdmins": ["instructor1"],
  "ngshareUrl": "http://127.0.0.1:$ngshare_port", "ngshareApiToken": "$ngshare_token",
  "harnessApiToken": "$api_token", "secretsFile": "$work/secrets.json",
  "serverEnvironment": {
    "PATH": "$USER_ENV/bin:$base_path", "LANG": "C.UTF-8",
    "JUPYTER_CONFIG_PATH": "$work/etc/jupyter", "NBGRADER_E2E_STACK": "floor-$$-$started"
  }
}
EOF
cat >"$work/etc/jupyter/nbgrader_config.py" <<EOF
from ngshare_exchange import configureExchange
c = get_config()
configureExchange(c, 'http://127.0.0.1:$ngshare_port/services/ngshare')
c.CourseDirectory.course_id = 'course101'
EOF

# Each service in a session of its own, so that it can be stopped as a group.
declare -A pid
start() {
  local name=$1 dir=$2; shift 2
  (cd "$dir" && exec setsid env -i HOME="$dir" LANG=C.UTF-8 "$tag" "$@" >"$work/logs/$name.log" 2>&1) &
  pid[$name]=$!
}
stop_all() {
  local p left=()
  for p in "${pid[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pid[@]}" "${server_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && left+=("$p")
  done
  for p in "${left[@]}"; do kill -KILL -- "-$p" "$p" 2>/dev/null || true; done
  for p in "${pid[@]}"; do wait "$p" 2>/dev/null || true; done
}
server_pids=()
cleanup() {
  stop_all
  ((keep_work)) || rm -rf "$work"
}
trap cleanup EXIT
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
    kill -0 "${pid[$service]}" 2>/dev/null || { echo "floor: $service exited while waiting for $what:" >&2; tail -n 15 "$work/logs/$service.log" >&2; exit 1; }
    ((${EPOCHREALTIME//[.,]/} < deadline)) || { echo "floor: $what not ready after $2 s:" >&2; tail -n 15 "$work/logs/$service.log" >&2; exit 1; }
    read -rt "$interval" -u "$pause" || true
  done
}
api() { curl -sf -H "Authorization: token $api_token" "$@"; }

start proxy "$work/proxy" PATH="$base_path" CONFIGPROXY_AUTH_TOKEN="$proxy_token" \
  node "$repo/node_modules/configurable-http-proxy/bin/configurable-http-proxy" \
  --ip 127.0.0.1 --port "$proxy_port" --api-ip 127.0.0.1 --api-port "$api_port" \
  --default-target "http://127.0.0.1:$hub_port" --error-target "http://127.0.0.1:$hub_port/hub/error"
start ngshare "$work/ngshare" PATH="$NGSHARE_ENV/bin:$base_path" \
  JUPYTERHUB_API_URL="http://127.0.0.1:$hub_port/hub/api" JUPYTERHUB_API_TOKEN="$ngshare_token" \
  JUPYTERHUB_CLIENT_ID=service-ngshare JUPYTERHUB_SERVICE_PREFIX=/services/ngshare/ \
  JUPYTERHUB_SERVICE_URL="http://127.0.0.1:$ngshare_port" \
  "$NGSHARE_ENV/bin/python" "$repo/cluster/local/ngshare_loopback.py" \
  --database "sqlite:///$work/ngshare/ngshare.db" --storage "$work/ngshare/files/" --admins instructor1
# The hub needs the proxy's API when it starts; ngshare can come up beside it.
wait_for proxy 20 proxy curl -sf -H "Authorization: token $proxy_token" "http://127.0.0.1:$api_port/api/routes"
start hub "$work/hub" PATH="$HUB_ENV/bin:$base_path" E2E_HUB_SETTINGS="$work/hub/settings.json" \
  CONFIGPROXY_AUTH_TOKEN="$proxy_token" JPY_COOKIE_SECRET="$cookie_secret" \
  "$HUB_ENV/bin/jupyterhub" --config "$repo/cluster/local/jupyterhub_config.py"
wait_for ngshare 60 ngshare curl -sf "http://127.0.0.1:$ngshare_port/healthz"
wait_for hub 90 hub curl -sf "$hub_api/"
step 'proxy, ngshare, hub'

# Server readiness is asked of the hub itself, which is busy spawning: every 200 ms per user, not
# 50 (at 50 ms the two polls cost the hub more than they save; the harness asks every 300 ms).
server_ready() { [[ $(api "$hub_api/users/$1") =~ \"ready\":\ *true ]]; }
spawn() {
  api -X POST "$hub_api/users/$1" >/dev/null || true # 409 for instructor1: the hub made its admins
  api -X POST "$hub_api/users/$1/server" >/dev/null
  interval=0.2 wait_for "$1's server" 90 hub server_ready "$1"
}
spawn instructor1 & spawning_instructor=$!
spawn student1 & spawning_student=$!
wait "$spawning_instructor"
wait "$spawning_student"
declare -A server
for user in instructor1 student1; do
  server[$user]=$(api "$hub_api/users/$user" | grep -o '"pid": *[0-9]*' | grep -o '[0-9]*$')
  server_pids+=("${server[$user]}")
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
run instructor1 . 'python -m pip show nbgrader ngshare-exchange'
run instructor1 . 'nbgrader list'
step 'Step 4: Validate in JupyterHub'
run instructor1 . 'ngshare-course-management create_course course101 instructor1'
run instructor1 . 'ngshare-course-management add_student course101 student1'
run instructor1 . 'nbgrader list'
step 'Step 5: Create the course and roster'
run instructor1 . 'nbgrader quickstart course101'
run instructor1 course101 'nbgrader generate_assignment ps1'
run instructor1 course101 'nbgrader release_assignment ps1'
run instructor1 course101 'nbgrader list'
step 'Step 6: Create and release a first assignment'
run instructor1 . 'ngshare-course-management add_student course101 student1'
run student1 . 'nbgrader list'
run student1 . 'nbgrader fetch_assignment ps1'
run student1 . 'nbgrader submit ps1'
step 'Step 7: Student workflow (fetch + submit)'
run instructor1 course101 'nbgrader collect ps1'
run instructor1 course101 'nbgrader autograde ps1'
step 'Step 8: Instructor workflow (collect + autograde)'

trap - EXIT INT TERM
stop_all
step 'teardown'
((keep_work)) || rm -rf "$work"
echo "step $(($(now_ms) - started)) total"
