#!/bin/sh
# Forever: get 32 random bytes from rng, have hasher hash them, and count a coin in redis
# when the hash starts with "0" (one hash in sixteen).

RNG_HOST=${RNG_HOST:-rng}
RNG_PORT=${RNG_PORT:-80}
HASHER_HOST=${HASHER_HOST:-hasher}
HASHER_PORT=${HASHER_PORT:-80}
REDIS_HOST=${REDIS_HOST:-redis}
REDIS_PORT=${REDIS_PORT:-6379}

# PID 1 ignores SIGTERM unless it handles it: without this, docker stop waits 10 s.
trap 'exit 0' TERM INT

# POST the bytes to hasher and print its answer (status line, headers, blank line, hash).
# Written by hand because busybox wget --post-file stops at the first NUL byte, and random
# bytes often contain one.
hash_bytes() {
    { printf 'POST / HTTP/1.0\r\nHost: %s\r\nContent-Length: %s\r\n\r\n' \
          "$HASHER_HOST" "$(($(wc -c < bytes)))"
      cat bytes; } | nc -w 2 "$HASHER_HOST" "$HASHER_PORT" 2>/dev/null | tr -d '\r'
}

# INCR KEY in redis' protocol (RESP): an array of two bulk strings, each "$<length>" then
# the bytes. Redis answers ":<new value>"; nc stops once redis closes the connection.
redis_incr() {
    printf '*2\r\n$4\r\nINCR\r\n$%s\r\n%s\r\n' "${#1}" "$1" \
        | nc -w 2 "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null | tr -d '\r'
}

echo "worker: mining with rng at $RNG_HOST:$RNG_PORT, hasher at $HASHER_HOST:$HASHER_PORT" \
     "and redis at $REDIS_HOST:$REDIS_PORT"
while :; do
    if ! wget -q -O bytes "http://$RNG_HOST:$RNG_PORT/32"; then
        echo "worker: rng ($RNG_HOST:$RNG_PORT) did not answer; retrying in 1 s"
        sleep 1
        continue
    fi
    response=$(hash_bytes)
    case $response in
        "HTTP/1."?" 200 "*) hash=$(echo "$response" | tail -n 1) ;;
        *)
            echo "worker: hasher ($HASHER_HOST:$HASHER_PORT) did not answer; retrying in 1 s"
            sleep 1
            continue ;;
    esac
    case $hash in
        0*)
            total=$(redis_incr coins)
            case $total in
                :*) echo "worker: coin $hash (coins: ${total#:})" ;;
                *) echo "worker: coin $hash, but redis ($REDIS_HOST:$REDIS_PORT) did not" \
                        "count it; mining on" ;;
            esac ;;
    esac
done
