"""A PostgreSQL server of the test's own: initdb and pg_ctl from Debian's postgresql in a
temporary directory, listening on a Unix socket only (no port to collide, nothing on the
network), run as `nobody` when the tests run as root (postgres refuses to run as root).
Roles: cafe (trusted, owner of the database cafe) and secret (password 'right' only)."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from mountns import small_tmpfs


def pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


class PgServer:
    def __init__(self, durable=False, small_kb=0):
        """durable: fsync as a production server does (benchmarks); tests run without.
        small_kb: the server runs in a mount namespace (mountns.py) where a tmpfs of that many
        KiB is mounted at self.small_path, owned by the server's user (for a tablespace);
        OSError where none can be made."""
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="cafe-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")
        self.as_user = ["runuser", "-u", "nobody", "--"] if os.getuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "nobody")
        self.small, self.small_path = None, os.path.join(self.dir, "small")
        if small_kb:
            os.mkdir(self.small_path)
            uid = pwd.getpwnam("nobody").pw_uid if self.as_user else os.getuid()
            try:
                self.small = small_tmpfs(self.small_path, small_kb, uid)
            except OSError:
                shutil.rmtree(self.dir, ignore_errors=True)
                raise
        self._run("initdb", "-D", self.data, "-U", "cafe", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C.UTF-8")
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all secret scram-sha-256\nlocal all all trust\n")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"listen_addresses = ''\nunix_socket_directories = '{self.dir}'\n"
                    + ("" if durable else "fsync = off\nfull_page_writes = off\n"))
        self.start()
        self.sql("CREATE DATABASE cafe OWNER cafe", db="postgres")
        self.sql("CREATE ROLE secret LOGIN PASSWORD 'right'; GRANT ALL ON SCHEMA public TO secret;"
                 "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO secret;"
                 "ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO secret")

    def _run(self, tool, *args):
        inside = self.small.inside() if self.small else []
        subprocess.run(inside + self.as_user + [os.path.join(self.bin, tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.dir)

    def resize_small(self, kb):
        """Gives the small tmpfs kb KiB (room again after it filled)."""
        self.small.run("mount", "-o", f"remount,size={kb}k", self.small_path)

    def start(self):
        # -w: pg_ctl returns once the server accepts connections (its own readiness check).
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def env(self, **extra):
        """The environment for cafe: libpq finds the server through PGHOST."""
        e = dict(os.environ, PGHOST=self.dir)
        e.pop("PGPASSWORD", None)
        e.update(extra)
        return e

    def sql(self, query, db="cafe"):
        """Runs query with psql; returns its rows as lists of strings."""
        r = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-F", "\t",
                            "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-U", "cafe", "-d", db,
                            "-c", query], capture_output=True, check=True)
        return [l.split("\t") for l in r.stdout.decode().splitlines() if l]

    def close(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        if self.small:
            self.small.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PgStandby(PgServer):
    """A hot standby of primary (pg_basebackup -R: streaming replication over its Unix
    socket), read-only, on a socket directory of its own. OSError where no replication
    connection can be made."""

    def __init__(self, primary):
        self.bin, self.as_user, self.small = primary.bin, primary.as_user, None
        self.dir = tempfile.mkdtemp(prefix="cafe-pg-standby-")
        os.chmod(self.dir, 0o755)
        if self.as_user:
            shutil.chown(self.dir, "nobody")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")
        with open(os.path.join(primary.data, "pg_hba.conf"), "a") as f:
            f.write("local replication all trust\n")
        primary.sql("SELECT pg_reload_conf()")
        try:
            self._run("pg_basebackup", "-h", primary.dir, "-U", "cafe", "-D", self.data, "-R",
                      "--no-sync", "-X", "stream")
        except subprocess.CalledProcessError as e:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise OSError(f"pg_basebackup: {e.stderr.decode().strip()}") from e
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"unix_socket_directories = '{self.dir}'\nhot_standby = on\n")
        self.start()
