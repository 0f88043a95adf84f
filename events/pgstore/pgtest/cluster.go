package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// serverUser is the account the server runs as when the tests run as
// root, which PostgreSQL refuses.
const serverUser = "postgres"

// portAttempts is how many free ports a new cluster tries: another
// program may take the port between picking it and the server binding it.
const portAttempts = 3

// cluster is one throwaway PostgreSQL cluster.
type cluster struct {
	bin      string
	base     string // holds data and the log; owned by the server's user
	data     string
	logFile  string
	port     int
	password string // of the postgres superuser
	cred     *syscall.Credential
	dbs      atomic.Uint64 // databases created, for their names

	mu      sync.Mutex // serialises start and stop
	running bool
}

// newCluster initialises a cluster in a new temporary directory and starts
// it. On error nothing is left behind.
func newCluster() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin}
	if err := c.prepare(); err != nil {
		return nil, err
	}
	if err := c.initdb(); err != nil {
		_ = os.RemoveAll(c.base)
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		if c.port, err = freePort(); err == nil {
			err = c.start()
		}
		if err == nil || attempt == portAttempts || !c.portTaken() {
			break
		}
	}
	if err != nil {
		_ = os.RemoveAll(c.base)
		return nil, err
	}
	if err := c.watch(); err != nil {
		return nil, errors.Join(err, c.destroy())
	}
	return c, nil
}

// watchdog outlives the test process that starts it, and then, if the
// process left its cluster running (killed, or timed out before its
// clean-up), stops the server with a fast shutdown (SIGINT to the
// postmaster, whose pid is in postmaster.pid whatever restarts happened)
// and removes the cluster's directory. After a clean exit it finds nothing
// to do.
const watchdog = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
pid=$(head -n 1 "$2/data/postmaster.pid" 2>/dev/null) || pid=
if [ -n "$pid" ]; then
	kill -INT "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
fi
rm -rf "$2"`

// watch starts the watchdog for c, in a process group of its own, so that
// a signal to the test's group does not end it too.
func (c *cluster) watch() error {
	cmd := exec.Command("/bin/sh", "-c", watchdog, "pgtest-watchdog", strconv.Itoa(os.Getpid()), c.base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start the watchdog: %w", err)
	}
	return cmd.Process.Release()
}

// prepare makes the cluster's directory, owned by the server's user, and
// its password.
func (c *cluster) prepare() error {
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return fmt.Errorf("pgtest: password: %w", err)
	}
	c.password = hex.EncodeToString(pw)
	base, err := os.MkdirTemp("", "hive-pgtest-")
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	c.base, c.data, c.logFile = base, filepath.Join(base, "data"), filepath.Join(base, "server.log")
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(serverUser)
	if err == nil {
		err = c.setUser(u)
	}
	if err == nil {
		err = os.Chown(base, int(c.cred.Uid), int(c.cred.Gid))
	}
	if err != nil {
		_ = os.RemoveAll(base)
		return fmt.Errorf("pgtest: running as root, the server runs as user %q: %w", serverUser, err)
	}
	return nil
}

func (c *cluster) setUser(u *user.User) error {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return err
	}
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}

// initdb creates the cluster's files and configures it: 127.0.0.1 only,
// no Unix socket, passwords for everyone, fsync on.
func (c *cluster) initdb() error {
	pwFile := filepath.Join(c.base, "password")
	if err := c.writeFile(pwFile, c.password+"\n"); err != nil {
		return err
	}
	defer os.Remove(pwFile)
	// --no-sync only skips initdb's own flush of the new files; the
	// server's fsync stays on.
	if err := c.run("initdb", "-D", c.data, "-U", "postgres", "--pwfile", pwFile,
		"--auth", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return err
	}
	conf := strings.Join([]string{
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = ''",
		"max_connections = 300",
		"fsync = on",
		"synchronous_commit = on",
		"log_min_messages = warning",
		"",
	}, "\n")
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgtest: configure: %w", err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: configure: %w", err)
	}
	return nil
}

// writeFile writes a file only the server's user can read.
func (c *cluster) writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	return nil
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	err := c.run("pg_ctl", "-D", c.data, "-l", c.logFile, "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d", c.port), "start")
	if err != nil {
		return fmt.Errorf("%w\nserver log:\n%s", err, c.logTail())
	}
	c.running = true
	return nil
}

// stop stops the server with a fast shutdown: clients are disconnected and
// transactions in flight rolled back, as in a server restart.
func (c *cluster) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	if err := c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return err
	}
	c.running = false
	return nil
}

// destroy stops the server and removes its files.
func (c *cluster) destroy() error {
	err := c.stop()
	return errors.Join(err, os.RemoveAll(c.base))
}

// run runs one of PostgreSQL's programs as the server's user.
func (c *cluster) run(prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.base
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// logTail returns the end of the server's log, to explain a failure.
func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.logFile)
	if err != nil {
		return err.Error()
	}
	const tail = 4096
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(b)
}

// portTaken reports whether the server's last start failed because its
// port was taken.
func (c *cluster) portTaken() bool {
	return strings.Contains(c.logTail(), "Address already in use")
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// url returns the URL of database db as the superuser.
func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", c.password, c.port, db)
}

// createDatabase creates a new, empty database and returns its name.
func (c *cluster) createDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("hive_test_%d", c.dbs.Add(1))
	return name, c.admin(ctx, "CREATE DATABASE "+name)
}

// admin runs one statement in the postgres database.
func (c *cluster) admin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect to the cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}
