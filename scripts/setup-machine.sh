#!/usr/bin/env bash
# Installs the system packages the sandbox needs when they are missing: a Java runtime
# (Kafka and ZooKeeper run on it), Maven (real Kafka releases come from Maven Central),
# Debian's OpenSSH server (the SSH executor is tested against the real sshd) and `script`
# (the terminal tests). Needs root on Debian; otherwise it prints the command to run.
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
# Maven: the sandbox and the tests fetch real Kafka releases from Maven Central with it.
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# util-linux `script`: the terminal tests run the CLI on a real pseudo-terminal (Debian ships it in bsdutils).
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "kafka-ops needs: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
