#!/bin/sh
# One HTTP request per run: nc connects our stdin and stdout to the client's socket.

read -r _ target _
# Skip the request headers; they end with an empty line (just "\r").
cr=$(printf '\r')
while read -r header && [ "${header%"$cr"}" != "" ]; do :; done

reply() {  # reply STATUS CONTENT-TYPE LENGTH: the response head, then the caller's body
    printf 'HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
        "$1" "$2" "$3"
}

count=${target#/}
case $count in
    "")
        hello="RNG running on $(hostname)"
        reply "200 OK" text/plain $((${#hello} + 1))
        echo "$hello" ;;
    *[!0-9]*)
        reply "404 Not Found" text/plain 10
        echo "not found" ;;
    *)
        # Refuse to stream gigabytes for a typo (the length test first: no overflow).
        if [ ${#count} -gt 7 ] || [ "$count" -gt 1048576 ]; then
            reply "400 Bad Request" text/plain 21
            echo "at most 1048576 bytes"
            exit 0
        fi
        # The original sleeps 0.1 s per request so that scaling exercises have a bottleneck.
        usleep 100000
        reply "200 OK" application/octet-stream "$count"
        head -c "$count" /dev/urandom ;;
esac
