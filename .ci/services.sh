# Sourced by .ci/run: start what the CI-only tests need beyond Python.
# - PostgreSQL on 127.0.0.1:54329 (a throwaway cluster under /tmp) for the `postgres` tests.
# - Node.js and npm for the independent verifier (interop/); tests run `npm install` themselves.
# - Debian's Chromium for the browser tests of the site (Playwright drives it; it never
#   downloads a browser of its own).

_apt_updated=""
_apt_install() {
    if [ -z "$_apt_updated" ]; then apt-get update -qq; _apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v node >/dev/null && command -v npm >/dev/null || _apt_install nodejs npm
command -v pg_ctlcluster >/dev/null || _apt_install postgresql
command -v chromium >/dev/null || _apt_install chromium

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGROOT=$(mktemp -d /tmp/badgeflow-pg.XXXXXX)
PGPORT=54329
chown postgres:postgres "$PGROOT"
su postgres -c "$PGBIN/initdb -D $PGROOT/data -U postgres --auth=trust -E UTF8 >$PGROOT/initdb.log"
su postgres -c "$PGBIN/pg_ctl -D $PGROOT/data -o '-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1' -l $PGROOT/server.log -w start" >/dev/null
su postgres -c "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres badgeflow_test"
export BADGEFLOW_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/badgeflow_test"
trap 'su postgres -c "$PGBIN/pg_ctl -D $PGROOT/data -m fast stop" >/dev/null 2>&1; rm -rf "$PGROOT"' EXIT
