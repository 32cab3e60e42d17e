#!/usr/bin/env bash
# Builds the reference servers bench/references.sh compares against, from Debian packages only
# (installed here when missing; Go is built offline, GOPATH mode, against /usr/share/gocode):
#   build/grpcpp-server    grpc++ async completion-queue server (server.cc)
#   build/grpc-go-server   grpc-go server (server.go)
# haproxy, nginx and nghttpd are used as installed. Rebuilds only when a source is newer.
#   bench/references/build.sh
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD proto=$PWD/../../proto
build=$here/build
mkdir -p "$build"

# golang-github-golang-protobuf-1-5-dev: grpc-go's codec goes through github.com/golang/protobuf, and
# the 1.3 version (the default alternative) cannot marshal protoc-gen-go's APIv2 messages.
packages=(libgrpc++-dev protobuf-compiler-grpc golang-go golang-google-grpc-dev golang-google-protobuf-dev
          golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc haproxy nginx
          nghttp2-client nghttp2-server)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

newer() { [ ! -e "$1" ] || [ -n "$(find "${@:2}" -newer "$1" 2>/dev/null)" ]; }  # target sources...

if newer "$build/grpcpp-server" server.cc health.proto "$proto/grpc_predict_v2.proto" build.sh; then
  mkdir -p "$build/cc"
  protoc -I "$proto" -I "$here" --cpp_out="$build/cc" --grpc_out="$build/cc" \
    --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" grpc_predict_v2.proto health.proto
  g++ -std=c++17 -O2 -DNDEBUG -I "$build/cc" -o "$build/grpcpp-server" server.cc "$build"/cc/*.pb.cc \
    $(pkg-config --cflags --libs grpc++ protobuf)
  echo "built $build/grpcpp-server"
fi

if newer "$build/grpc-go-server" server.go "$proto/grpc_predict_v2.proto" build.sh; then
  gopath=$build/go
  rm -rf "$gopath/src/bench" && mkdir -p "$gopath/src/bench/inference" "$gopath/src/bench/server"
  protoc -I "$proto" --go_out="$gopath/src/bench/inference" --go_opt=paths=source_relative \
    --go_opt=Mgrpc_predict_v2.proto=bench/inference \
    --go-grpc_out="$gopath/src/bench/inference" --go-grpc_opt=paths=source_relative \
    --go-grpc_opt=Mgrpc_predict_v2.proto=bench/inference grpc_predict_v2.proto
  cp server.go "$gopath/src/bench/server/"
  (cd "$gopath/src/bench/server" && GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH="$gopath:/usr/share/gocode" \
    GOCACHE="$build/go-cache" go build -o "$build/grpc-go-server" .)
  echo "built $build/grpc-go-server"
fi
