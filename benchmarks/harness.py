"""What the benchmarks share: databases, a gunicorn server, wrk with a status count."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
HOST = "bench.localhost"


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        print("Installing wrk from Debian's packages", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)


def recreate_database(name: str) -> str:
    for statement in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", f"{PG}/postgres", "-qc", statement], check=True, stdout=subprocess.DEVNULL)
    return f"{PG}/{name}"


def shell(cwd: Path, env: dict, code: str) -> dict:
    """Run `code` in `manage.py shell`; its last line of output is JSON."""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(cwd: Path, env: dict, module: str, port: int, credentials: dict) -> dict:
    command = [PYTHON, "-m", "gunicorn", f"{module}:application", "-w", "2", "-b", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*command, "--log-level", "warning"], cwd=cwd, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"{url}/api/ping", headers={"Host": HOST})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return {"process": process, "url": url, **credentials}
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{module} did not start on port {port}")


def wrk(
    url: str, method: str, headers: dict, *, connections: int, seconds: int, body: str = "", lua: str = ""
) -> dict:
    """One wrk run (one thread): requests/s, p50 and p99 in ms, and how many answers were not 2xx.
    `lua`: more of the wrk script (e.g. a `request` function that varies the body)."""
    script = f"wrk.method = {json.dumps(method)}\n" + "".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items()
    )
    if body:
        script += f"wrk.body = {json.dumps(body)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script + lua + _LUA_STATUS)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", file.name, url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(file.name)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": int(re.search(r"non2xx=(\d+)", out).group(1)),
    }


# Count answers other than 2xx: a benchmark of 401s would measure nothing.
_LUA_STATUS = """
local bad = 0
response = function(status, headers, body) if status >= 300 then bad = bad + 1 end end
done = function(summary, latency, requests) io.write(string.format("non2xx=%d\\n", bad)) end
"""


def alternate(apps: dict, targets, args) -> dict:
    """Rounds alternating every app's targets (`targets(app)`: name → (method, path, headers,
    lua)), after a second of each, unmeasured (imports, the heap settling: full GC passes of
    30-60 ms). {(app, target): [wrk figures per round]}."""
    for app in apps.values():
        for method, path, headers, lua in targets(app).values():
            wrk(
                app["url"] + path,
                method,
                {"Host": HOST, **headers},
                connections=args.connections,
                seconds=1,
                lua=lua,
            )
    results: dict = {}
    for round_number in range(args.rounds):
        for name, app in apps.items():
            for target, (method, path, headers, lua) in targets(app).items():
                figures = wrk(
                    app["url"] + path,
                    method,
                    {"Host": HOST, **headers},
                    connections=args.connections,
                    seconds=args.seconds,
                    lua=lua,
                )
                results.setdefault((name, target), []).append(figures)
                print(
                    f"round {round_number + 1} {name:6} {target:7} {figures['rps']:8.0f} req/s "
                    f"p50 {figures['p50']:6.2f} ms p99 {figures['p99']:6.2f} ms errors {figures['errors']}",
                    file=sys.stderr,
                )
    return results


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
