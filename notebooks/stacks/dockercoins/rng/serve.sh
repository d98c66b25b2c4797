#!/bin/sh
# Listen on $PORT and hand every connection to rng.sh.
#
# Why not busybox httpd, like hasher and webui: it runs CGI scripts only under /cgi-bin/
# or for URLs ending in "/", so it cannot answer /32. nc can: with -e it starts rng.sh
# for each connection, the socket as its stdin and stdout.

# busybox builds come with one of two netcats: the small one (Debian's busybox-static,
# which regkit uses to build busybox offline) keeps listening with -ll; the netcat 1.10
# clone (in the Docker Hub image) with -lk.
keep=-ll
if nc --help 2>&1 | grep -q -- -lk; then
    keep=-lk
fi

# This shell stays PID 1: a server as PID 1 would ignore docker stop's SIGTERM (it has no
# handler for it) and be killed 10 s later; the trap ends the container at once.
trap 'exit 0' TERM INT
nc "$keep" -p "$PORT" -e /rng.sh &
wait
