# The clients of one rush phase, released at once. Run with the user environment's Python:
#
#   python rush_clients.py        (the job arrives as one JSON line on stdin: it carries tokens)
#
# The job names an entry point (the target of a console script, "nbgrader.apps.nbgraderapp:main"
# for `nbgrader`), the arguments, a bound in seconds, the modules to import first (and those that
# each client must import itself), and the clients: for each, its name, its whole environment, its
# working directory and its log file.
#
# This process imports the modules once, then forks one process per client. Each client process
# takes its own environment (its own JUPYTERHUB_USER and token, its own HOME), working directory
# and log file, says it is ready, and blocks on the barrier: a pipe whose write end this process
# holds. When the job's driver writes "go", this process closes that end and every client wakes at
# once (end of file), notes the time and calls the entry point as its console script would, with
# sys.argv set. The fork only saves each client the seconds of importing nbgrader (and the memory):
# what runs after the barrier is the same code, in a process of its own, as `nbgrader submit` in a
# student's server. Modules that read the user at import (ngshare_exchange reads JUPYTERHUB_USER)
# must not be in the preload list: they are imported by each client, after its environment is set.
#
# Lines on stdout, one JSON object each:
#   {"event": "ready", "clients": {name: pid}, "preloadSeconds": s, "serverRssKb": kb}
#   {"event": "result", "name", "pid", "started", "ended", "exitCode", "signal", "timedOut",
#    "cpuSeconds", "maxRssKb", "ussKb", "pssKb"}        one per client, as each ends
#   {"event": "done"}
# A client past the bound (counted from the barrier) is killed and reported with timedOut true.
import errno
import importlib
import json
import os
import resource
import select
import signal
import sys
import time
import traceback


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def memory_kb():
    """Proportional and private memory of this process (smaps_rollup), in kB; zeros where unreadable."""
    pss = uss = 0
    try:
        with open("/proc/self/smaps_rollup") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key == "Pss":
                    pss = int(rest.split()[0])
                elif key in ("Private_Clean", "Private_Dirty"):
                    uss += int(rest.split()[0])
    except OSError:
        pass
    return pss, uss


def resolve(entry):
    module, _, name = entry.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def run_client(client, job, ready_w, go_r, result_w):
    """In the forked child: become the client, wait at the barrier, run the entry point. Never returns."""
    code = 70
    started = ended = None
    try:
        log = os.open(client["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        os.environ.clear()
        os.environ.update(client["env"])
        os.chdir(client["cwd"])
        os.write(ready_w, b".")
        os.close(ready_w)
        while True:
            try:
                os.read(go_r, 1)  # end of file: the barrier is down
                break
            except InterruptedError:
                continue
        started = time.time()
        note(result_w, {"name": client["name"], "started": started})
        # Let the other clients woken with this one take their first step too before this one's
        # work takes the core: on few cores the start of the last client is then the scheduler's
        # wake-up latency, not the sum of the others' first time slices.
        os.sched_yield()
        sys.argv = [job["argv0"], *job["args"]]
        try:
            returned = resolve(job["entry"])()
            code = returned if isinstance(returned, int) else 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if exit_.code is not None and not isinstance(exit_.code, int):
                print(exit_.code, file=sys.stderr)
        except BaseException:  # what the interpreter would print for an uncaught exception
            traceback.print_exc()
            code = 1
        ended = time.time()
    finally:
        try:
            import logging

            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        pss, uss = memory_kb()
        note(result_w, {"name": client["name"], "started": started, "ended": ended, "pssKb": pss, "ussKb": uss})
        os._exit(code)


def note(result_w, entry):
    """One line to the driver's results pipe: under PIPE_BUF, so one write that never interleaves."""
    try:
        os.write(result_w, (json.dumps(entry) + "\n").encode())
    except OSError:
        pass


def main():
    job = json.loads(sys.stdin.readline())
    bound = float(job["boundSeconds"])
    t0 = time.time()
    for module in job.get("preload", []):
        importlib.import_module(module)
    preload_seconds = time.time() - t0
    early = [m for m in job.get("importedByEachClient", []) if m in sys.modules]
    if early:
        # It would read this process's user, not each client's: the clients would not be who they say.
        sys.exit("rush_clients: preloading imported %s, which each client must import itself" % ", ".join(early))

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    result_r, result_w = os.pipe()
    children = {}  # pid -> name
    for client in job["clients"]:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(go_w)
            os.close(result_r)
            run_client(client, job, ready_w, go_r, result_w)
        children[pid] = client["name"]
    os.close(ready_w)
    os.close(go_r)
    os.close(result_w)

    results = {}  # name -> what the client wrote
    pending = dict(children)
    timed_out = set()

    def reap(block=False):
        """Report every client that has ended."""
        while pending:
            try:
                pid, status, usage = os.wait4(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            drain_results(0)
            name = pending.pop(pid)
            info = results.get(name, {})
            emit(
                {
                    "event": "result",
                    "name": name,
                    "pid": pid,
                    "started": info.get("started"),
                    "ended": info.get("ended"),
                    "exitCode": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                    "timedOut": name in timed_out,
                    "cpuSeconds": usage.ru_utime + usage.ru_stime,
                    "maxRssKb": usage.ru_maxrss,
                    "ussKb": info.get("ussKb"),
                    "pssKb": info.get("pssKb"),
                }
            )

    buffer = b""

    def drain_results(timeout):
        nonlocal buffer
        while True:
            readable, _, _ = select.select([result_r], [], [], timeout)
            if not readable:
                return
            chunk = os.read(result_r, 65536)
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                entry = json.loads(line)
                results.setdefault(entry["name"], {}).update(entry)
            timeout = 0

    # Every client at the barrier, or dead before it (reported, and not waited for).
    waiting = len(children)
    ready_deadline = time.time() + float(job.get("readySeconds", 120))
    while waiting > 0:
        readable, _, _ = select.select([ready_r], [], [], 0.2)
        if readable:
            got = os.read(ready_r, 4096)
            if not got:
                break  # every child has closed its end: ready or dead
            waiting -= len(got)
        reap()
        if time.time() > ready_deadline:
            break
    emit(
        {
            "event": "ready",
            "clients": {name: pid for pid, name in children.items() if pid in pending},
            "preloadSeconds": preload_seconds,
            "serverRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    )

    command = sys.stdin.readline().strip()
    if command != "go":
        for pid in list(pending):
            os.kill(pid, signal.SIGKILL)
        reap(block=True)
        emit({"event": "done"})
        return
    go_at = time.time()
    os.close(go_w)
    while pending:
        drain_results(0.05)
        reap()
        if pending and time.time() - go_at > bound:
            for pid, name in list(pending.items()):
                timed_out.add(name)
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError as err:
                    if err.errno != errno.ESRCH:
                        raise
            reap(block=True)
    drain_results(0)
    emit({"event": "done"})


if __name__ == "__main__":
    main()
