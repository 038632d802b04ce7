#!/bin/bash
# volguard check --oci: median wall time for a typical 5-mount config.json and for 200 mounts,
# against process start alone (volguard --version, /bin/true). Prints figures and ratios.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
VG=${VG:-$TOP/build/volguard}
RUNS=${RUNS:-300}
T=$(mktemp -d /tmp/vgbench-check.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/docker/volumes" "$T/srv"
printf '[paths]\ndocker_root = %s/docker\n' "$T" >"$T/volguard.conf"
chmod 0644 "$T/volguard.conf"

python3 - "$T" <<'PY'
import json, os, sys
t = sys.argv[1]
def spec(n):
    mounts = [{"destination": "/proc", "type": "proc", "source": "proc"},
              {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}]
    for i in range(n):
        d = f"{t}/srv/d{i:03d}/sub"
        os.makedirs(d, exist_ok=True)
        mounts.append({"destination": f"/m{i}", "type": "bind", "source": d,
                       "options": ["rbind", "ro" if i % 2 else "rw", "rprivate"]})
    return {"ociVersion": "1.0.2", "process": {"user": {"uid": 0, "gid": 0}},
            "mounts": mounts,
            "linux": {"namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]}}
for n in (5, 200):
    with open(f"{t}/config{n}.json", "w") as f:
        json.dump(spec(n - 2 if n == 5 else n), f)
PY

python3 - "$VG" "$T" "$RUNS" <<'PY'
import os, resource, statistics, subprocess, sys, time
vg, t, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
conf = ["--config", f"{t}/volguard.conf"]
def measure(argv, want_rc):
    """Median wall time and median CPU time (user+sys of the child), in ms."""
    wall, cpu = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        a = time.perf_counter_ns()
        rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        wall.append((time.perf_counter_ns() - a) / 1e6)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3)
        if rc != want_rc:
            sys.exit(f"{argv}: exit {rc}, expected {want_rc}")
    return statistics.median(wall), statistics.median(cpu)
print(f"runs per figure: {runs}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
rows = [("/bin/true", ["/bin/true"]), ("volguard --version", [vg, "--version"]),
        ("check --oci, 5 mounts", [vg] + conf + ["check", "--oci", f"{t}/config5.json"]),
        ("check --oci, 200 mounts", [vg] + conf + ["check", "--oci", f"{t}/config200.json"])]
res = {}
print(f"{'':26} {'wall (median)':>14} {'CPU (median)':>14}")
for name, argv in rows:
    res[name] = measure(argv, 0)
    print(f"{name:26} {res[name][0]:11.3f} ms {res[name][1]:11.3f} ms")
base_w, base_c = res["volguard --version"]
for name, n in (("check --oci, 5 mounts", 5), ("check --oci, 200 mounts", 200)):
    w, c = res[name]
    print(f"{name}: {max(w - base_w, 0):.3f} ms wall ({max(w - base_w, 0) / w * 100:.0f}%) and "
          f"{max(c - base_c, 0):.3f} ms CPU ({max(c - base_c, 0) / max(c, 1e-9) * 100:.0f}%) "
          f"outside process start; {max(w - base_w, 0) / n * 1000:.0f} us wall per mount")
w5 = res["check --oci, 5 mounts"][0]
print(f"target: 5 mounts under 2 ms median wall: {'met' if w5 < 2 else 'NOT met'} ({w5:.3f} ms; "
      f"process start alone is {base_w:.3f} ms)")
PY
