"""Runs SQL statements on a real engine and reports, for each, whether it had an effect.

The differential half of muxgate's `sql: read_only` tests: the Swift tests generate statements,
this script runs them where they would run for real and says what they did.

    python sql_effects.py sqlite   CASES.json   # Python's sqlite3 (as mcp-server-sqlite) or the sqlite3 shell
    python sql_effects.py postgres CASES.json   # psycopg against the URL in the file

CASES.json: {"setup": SQL, "url": postgres URL, "cases": [{"sql", "mode", "effect"}]} where mode is
"write" (SQLite: run with executescript, which runs every statement as the shell does; PostgreSQL: the
simple query protocol, which does too), "cli" (the sqlite3 shell) or "read" (one statement, the
way a client runs a query), and effect is how a write shows (see SQLCorpus.Effect in Swift).
Each statement runs on a fresh copy of the database (SQLite) or in a transaction rolled back
afterwards (PostgreSQL). MARKER in a statement is replaced by a new path that must not appear,
SECRET by a file whose content must not come back.

Prints a JSON list, one object per case: {"changed": bool, "error": str|null, "why": str}.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

SECRET_TEXT = "muxgate-secret-7f3a"


def sqlite_fingerprint(path):
    conn = sqlite3.connect(path)
    try:
        parts = []
        for (name, kind, sql) in conn.execute(
            "SELECT name, type, sql FROM sqlite_master ORDER BY name"
        ).fetchall():
            parts.append(f"{kind}:{name}:{sql}")
            if kind == "table":
                rows = conn.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
                parts.append(repr(rows))
        for pragma in ("user_version", "application_id", "journal_mode", "schema_version"):
            parts.append(f"{pragma}={conn.execute(f'PRAGMA {pragma}').fetchall()}")
        return "\n".join(parts)
    finally:
        conn.close()


def run_sqlite(spec):
    work = tempfile.mkdtemp(prefix="muxgate-sqlfx-")
    template = os.path.join(work, "template.db")
    conn = sqlite3.connect(template)
    conn.executescript(spec["setup"])
    conn.close()
    secret = os.path.join(work, "secret.txt")
    with open(secret, "w") as f:
        f.write(SECRET_TEXT)
    results = []
    for index, case in enumerate(spec["cases"]):
        db = os.path.join(work, f"db-{index}.db")
        shutil.copy(template, db)
        marker = case.get("marker") or os.path.join(work, f"marker-{index}")
        sql = case["sql"].replace("MARKER", marker).replace("SECRET", secret)
        before = sqlite_fingerprint(db)
        marker_before = os.path.exists(marker)
        error = None
        output = ""
        started = time.monotonic()
        try:
            if case["mode"] == "cli":
                run = subprocess.run(
                    ["/usr/bin/sqlite3", db], input=sql + "\n", capture_output=True, text=True, timeout=20
                )
                output = run.stdout
                if run.stderr.strip():
                    error = run.stderr.strip()
            else:
                conn = sqlite3.connect(db)
                try:
                    if case["mode"] == "read":
                        try:
                            cursor = conn.execute(sql)
                        except sqlite3.ProgrammingError as exc:
                            # Parameters: bind each to NULL, as the engine does when none is bound.
                            if "bindings" not in str(exc):
                                raise
                            count = int(str(exc).split("uses ")[1].split(",")[0])
                            cursor = conn.execute(sql, [None] * count)
                        output = repr(cursor.fetchall())
                        conn.rollback()
                    else:
                        conn.executescript(sql)
                finally:
                    conn.close()
        except Exception as exc:  # the engine refused (part of) it
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        after = sqlite_fingerprint(db)
        why = []
        if after != before:
            why.append("database changed")
        if os.path.exists(marker) and not marker_before:
            why.append("marker file created")
        if SECRET_TEXT in output:
            why.append("secret disclosed")
        if case.get("effect") == "attempt" and error and "cannot open shared object" in error:
            why.append("tried to load a library")
        if case.get("effect") == "runs" and error is None and case["mode"] != "read":
            why.append("ran")
        if elapsed > 0.25 and case.get("effect") == "time":
            why.append("slept")
        results.append({"changed": bool(why), "error": error, "why": ", ".join(why)})
        os.remove(db)
    shutil.rmtree(work, ignore_errors=True)
    return results


PG_FINGERPRINT = """
SELECT concat_ws(' | ',
  (SELECT count(*) || ':' || coalesce(sum(balance), 0) || ':' || coalesce(string_agg(name, ',' ORDER BY id), '')
     FROM accounts),
  (SELECT count(*) FROM transfers), (SELECT n FROM writes_seen),
  (SELECT last_value || ':' || is_called FROM accounts_id_seq),
  (SELECT count(*) FROM pg_largeobject_metadata),
  (SELECT count(*) || ':' || sum(relnatts) || ':' || md5(string_agg(relname || coalesce(relacl::text, ''), ','
     ORDER BY relname)) FROM pg_class WHERE relnamespace IN ('public'::regnamespace, pg_my_temp_schema())),
  (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype <> 'virtualxid'
     AND mode <> 'AccessShareLock'),
  current_setting('search_path'), coalesce(obj_description('accounts'::regclass, 'pg_class'), '-'),
  (SELECT count(*) FROM pg_prepared_statements), (SELECT count(*) FROM pg_cursors),
  pg_current_xact_id_if_assigned() IS NOT NULL)
"""


def run_postgres(spec):
    import psycopg

    url = spec["url"]
    work = tempfile.mkdtemp(prefix="muxgate-sqlfx-")
    os.chmod(work, 0o777)
    secret = os.path.join(work, "secret.txt")
    with open(secret, "w") as f:
        f.write(SECRET_TEXT)
    os.chmod(secret, 0o644)
    if spec.get("setup"):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(spec["setup"])
    results = []
    for index, case in enumerate(spec["cases"]):
        marker = case.get("marker") or os.path.join(work, f"marker-{index}")
        sql = case["sql"].replace("MARKER", marker).replace("SECRET", secret)
        marker_before = os.path.exists(marker)
        error = None
        output = ""
        why = []
        notify = case.get("effect") == "notification"
        with psycopg.connect(url, autocommit=notify) as conn:
            if notify:
                conn.execute("LISTEN probe")
            else:
                conn.execute("BEGIN")
            before = conn.execute(PG_FINGERPRINT).fetchone()[0]
            if not notify:
                conn.execute("SAVEPOINT probe")
            started = time.monotonic()
            try:
                cursor = conn.execute(sql)
                while True:  # every statement's rows, not only the first's
                    if cursor.description is not None:
                        output += repr(cursor.fetchall())
                    if not cursor.nextset():
                        break
            except Exception as exc:
                error = f"{type(exc).__name__}: {str(exc).strip()}"
                if not notify:
                    conn.execute("ROLLBACK TO SAVEPOINT probe")
            elapsed = time.monotonic() - started
            try:
                after = conn.execute(PG_FINGERPRINT).fetchone()[0]
            except Exception as exc:
                after = f"fingerprint failed: {exc}"
                if not notify:
                    conn.execute("ROLLBACK TO SAVEPOINT probe")
            if after != before:
                why.append(f"state changed: {before} -> {after}")
            if notify and list(conn.notifies(timeout=0.5, stop_after=1)):
                why.append("notification delivered")
            if not notify:
                conn.execute("ROLLBACK")
        if os.path.exists(marker) and not marker_before:
            why.append("marker file created")
        if SECRET_TEXT in output:
            why.append("secret disclosed")
        if elapsed > 0.25 and case.get("effect") == "time":
            why.append(f"took {elapsed:.2f}s")
        results.append({"changed": bool(why), "error": error, "why": "; ".join(why)})
    shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    engine, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        spec = json.load(f)
    results = run_sqlite(spec) if engine == "sqlite" else run_postgres(spec)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
