#!/usr/bin/env bash
# A local PostgreSQL with PostGIS for the workspace tests (Debian's packages):
#   source scripts/postgres.sh start   # installs if needed, starts, exports PHUSONG_TEST_POSTGRES_URL
#   scripts/postgres.sh stop           # stops the cluster if `start` started it
# Needs root (apt-get, pg_ctlcluster). The database phusong_test is dropped and made anew.
set -euo pipefail
PG_VERSION=${PG_VERSION:-15}
MARK=/tmp/phusong-postgres-started
case "${1:-start}" in
  start)
    if ! command -v pg_ctlcluster >/dev/null || [ ! -f "/usr/share/postgresql/$PG_VERSION/extension/postgis.control" ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PG_VERSION" postgis \
        "postgresql-$PG_VERSION-postgis-3" >/dev/null
    fi
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main"' | grep -q .; then
      pg_createcluster "$PG_VERSION" main >/dev/null
    fi
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
      pg_ctlcluster "$PG_VERSION" main start
      touch "$MARK"
    fi
    su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'phusong') THEN
    CREATE ROLE phusong LOGIN PASSWORD 'phusong';
  END IF;
END $$;
DROP DATABASE IF EXISTS phusong_test;
CREATE DATABASE phusong_test OWNER phusong;
\c phusong_test
CREATE EXTENSION postgis;
SQL
    export PHUSONG_TEST_POSTGRES_URL="postgresql://phusong:phusong@localhost:5432/phusong_test"
    echo "PostgreSQL $PG_VERSION with PostGIS: $PHUSONG_TEST_POSTGRES_URL" >&2
    ;;
  stop)
    if [ -f "$MARK" ]; then
      pg_ctlcluster "$PG_VERSION" main stop
      rm -f "$MARK"
    fi
    ;;
esac
