"""Local state written once and shared: processes started at the same moment on an empty
PORTAL_VAR_DIR (a `make run` honcho start, a container's first boot) all use one SECRET_KEY, and
the file is the owner's alone from its first byte."""

import json
import os
import stat
import subprocess
import sys

from tests.conftest import ROOT

ATTEMPTS, PROCESSES = 12, 6

# One interpreter imports the settings (with SECRET_KEY set: nothing is written then), then for
# each attempt forks PROCESSES children that spin until the same instant and ask for the key.
RACE = """
import json, os, sys, time
from pathlib import Path
from portal.settings import environment as settings

results = []
for attempt in range(int(sys.argv[2])):
    settings.VAR_DIR = Path(sys.argv[1]) / f"var-{attempt}"
    start, readers = time.time() + 0.2, []
    for _ in range(int(sys.argv[3])):
        read_end, write_end = os.pipe()
        if os.fork() == 0:
            while time.time() < start:
                pass
            os.write(write_end, settings.development_secret_key().encode())
            os._exit(0)
        os.close(write_end)
        readers.append(read_end)
    keys = [os.read(fd, 1000).decode() for fd in readers]
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    results.append({"dir": str(settings.VAR_DIR), "keys": keys})
print(json.dumps(results))
"""


def test_processes_starting_at_once_share_one_secret_key_written_whole_and_private(tmp_path):
    env = {**os.environ, "PORTAL_VAR_DIR": str(tmp_path), "SECRET_KEY": "only-for-the-import"}
    done = subprocess.run(
        [sys.executable, "-c", RACE, str(tmp_path), str(ATTEMPTS), str(PROCESSES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for attempt, result in enumerate(json.loads(done.stdout)):
        path = tmp_path / f"var-{attempt}" / "secret-key"
        written = path.read_text().strip()
        assert set(result["keys"]) == {written}, f"attempt {attempt}: {len(set(result['keys']))} keys"
        assert len(written) >= 50
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not [p.name for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary file
