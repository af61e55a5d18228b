"""A private mount namespace kept alive by a holder process, for the database sinks' fault
tests: a tiny tmpfs that fills, a loop-mounted file system that goes read-only. What runs
inside (through inside()) sees the mounts; the rest of the machine never does, and they
vanish with the last process in the namespace."""
import subprocess


class PrivateMount:
    def __init__(self, script):
        """Runs the shell script (the mounts) in a new private mount namespace. Raises OSError
        with the reason where none can be made (inside a chroot whose / is not a mount point)
        or the script fails."""
        # Readiness: the holder prints "ready" once mounted; it lives until stdin closes.
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
             script + "\necho ready; exec cat >/dev/null"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if self.holder.stdout.readline() != b"ready\n":
            err = self.holder.communicate()[1].decode().strip()
            raise OSError("no private mount here: " + err)

    def inside(self):
        """The command prefix that runs a command in the namespace."""
        return ["nsenter", "-t", str(self.holder.pid), "-m"]

    def view(self, path):
        """path as seen from outside the namespace (through the holder's root)."""
        return f"/proc/{self.holder.pid}/root{path}"

    def run(self, *cmd):
        """Runs cmd inside; returns its stdout."""
        return subprocess.run(self.inside() + list(cmd), check=True,
                              capture_output=True).stdout.decode()

    def close(self):
        self.holder.stdin.close()
        self.holder.wait()


def small_tmpfs(path, kb, uid):
    """A tmpfs of kb KiB at path (which exists), its root owned by uid."""
    return PrivateMount(f'mount -t tmpfs -o size={kb}k,uid={uid},mode=0700 cafe-small "{path}"')
