"""Reads an h2load --log-file (columns: start time, status, latency in microseconds) and prints
'p50_us p99_us count ok'."""
import sys

latencies = []
ok = 0
with open(sys.argv[1]) as log:
    for line in log:
        parts = line.split()
        if len(parts) >= 3:
            latencies.append(int(parts[2]))
            ok += parts[1] == "200"
latencies.sort()
if not latencies:
    print("0 0 0 0")
else:
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(pick(0.50), pick(0.99), len(latencies), ok)
