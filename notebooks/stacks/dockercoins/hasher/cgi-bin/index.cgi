#!/bin/sh
# httpd puts the request body on our stdin and its size in CONTENT_LENGTH.
printf 'Content-Type: text/plain\r\n\r\n'
if [ "$REQUEST_METHOD" = POST ]; then
    # The original sleeps 0.1 s per hash so that scaling exercises have a bottleneck.
    usleep 100000
    hash=$(head -c "${CONTENT_LENGTH:-0}" | sha256sum)
    printf '%s' "${hash%% *}"   # the 64 hex digits alone, without sha256sum's " -"
else
    echo "HASHER running on $(hostname)"
fi
