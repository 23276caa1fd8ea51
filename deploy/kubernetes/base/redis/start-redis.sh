#!/bin/sh
# Starts redis-server with the users of users.acl, each given its password from the environment (the Secret) as
# a SHA-256 hash, so that no password is written in clear; the file lives in memory (an emptyDir) and is made at
# every start. Arguments go to redis-server.
set -eu
template=${SHOPB1_REDIS_ACL_TEMPLATE:-/etc/shopb1/redis/users.acl}
acl_file=${SHOPB1_REDIS_ACL_FILE:-/run/redis/users.acl}
umask 077
: > "$acl_file"
while IFS= read -r line; do
  case "$line" in
    "" | "#"*) ;;
    "user default "*) printf '%s\n' "$line" >> "$acl_file" ;;
    "user "*)
      name=$(printf '%s\n' "$line" | cut -d ' ' -f 2)
      variable="SHOPB1_REDIS_$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_PASSWORD"
      password=$(printenv "$variable" || true)
      if [ -z "$password" ]; then
        echo "start-redis: $variable is not set: the Redis user $name would have no password" >&2
        exit 1
      fi
      hash=$(printf '%s' "$password" | sha256sum | cut -d ' ' -f 1)
      printf '%s #%s\n' "$line" "$hash" >> "$acl_file" ;;
    *) echo "start-redis: not an ACL rule: $line" >&2; exit 1 ;;
  esac
done < "$template"
exec "${SHOPB1_REDIS_SERVER:-redis-server}" --aclfile "$acl_file" "$@"
