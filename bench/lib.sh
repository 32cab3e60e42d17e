# Helpers shared by the bench scripts (sourced, not run).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits for a log file's 'listening on HOST:PORT' (or a Python peer's 'PORT N') line and prints
# the port; exits the script, showing the log, when none comes within 10 seconds.
port_of() {
  for _ in $(seq 200); do
    local port; port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p; s/^PORT \([0-9]*\)$/\1/p' "$1" | head -1)
    [ -n "$port" ] && { echo "$port"; return; }
    sleep 0.05
  done
  echo "bench: $1 never said it was listening" >&2; cat "$1" >&2; exit 1
}
