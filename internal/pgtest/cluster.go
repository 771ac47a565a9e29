// Package pgtest gives tests a real PostgreSQL: a throwaway cluster started
// with initdb and pg_ctl from Debian's postgresql package, in a temporary
// directory, listening only on a unix socket there. The test script starts
// one cluster for the whole run and hands its URL to every package through
// HOTLINE_TEST_DATABASE_URL; a package run on its own starts a private one.
// Each test gets a database of its own, dropped when it ends.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Cluster is a PostgreSQL server this process (or the test script) started.
type Cluster struct {
	Dir string // holds data/, the socket and server.log
	URL string // superuser URL over the unix socket
}

// ErrNoPostgres means no PostgreSQL server binaries were found.
var ErrNoPostgres = errors.New("postgresql server binaries (initdb, pg_ctl) not found: apt-get install -y postgresql")

// BinDir finds the directory holding initdb and pg_ctl: PATH first, then
// Debian's /usr/lib/postgresql/<version>/bin, newest version first.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if q, err := filepath.EvalSymlinks(p); err == nil {
			p = q
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// StartCluster creates and starts a cluster in dir (created if missing).
// PostgreSQL refuses to run as root, so as root the server runs as the
// "postgres" system user, which then owns dir.
func StartCluster(ctx context.Context, dir string) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	runAs, err := serverUser(dir)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		if err := run(ctx, runAs, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
			"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
			return nil, fmt.Errorf("start postgres: initdb: %w", err)
		}
	}
	// Durability is traded for speed: this data is thrown away.
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c fsync=off "+
		"-c synchronous_commit=off -c full_page_writes=off -c max_connections=300", dir)
	if err := run(ctx, runAs, filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts,
		"-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return nil, fmt.Errorf("start postgres: pg_ctl start: %w\n%s", err, tail(log, 2000))
	}
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "sslmode": {"disable"}}.Encode()}
	return &Cluster{Dir: dir, URL: u.String()}, nil
}

// StopCluster stops the cluster in dir (fast: connections are cut) and, if
// remove is set, deletes dir.
func StopCluster(dir string, remove bool) error {
	bin, err := BinDir()
	if err != nil {
		return err
	}
	runAs, err := serverUser(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := filepath.Join(dir, "data")
	var stopErr error
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		stopErr = run(ctx, runAs, filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
	}
	if remove {
		if err := os.RemoveAll(dir); err != nil && stopErr == nil {
			stopErr = err
		}
	}
	return stopErr
}

// Stop stops the cluster and removes its directory.
func (c *Cluster) Stop() error { return StopCluster(c.Dir, true) }

// serverUser decides who runs the server: nobody special unless we are
// root, then "postgres", who is given dir.
func serverUser(dir string) (string, error) {
	if os.Geteuid() != 0 {
		return "", nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return "", fmt.Errorf("postgres refuses to run as root and there is no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return "", fmt.Errorf("give %s to postgres: %w", dir, err)
	}
	// The server must be able to reach dir through its parents.
	for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o001 == 0 {
			return "", fmt.Errorf("postgres cannot reach %s: %s is not searchable by others", dir, p)
		}
	}
	return "postgres", nil
}

func run(ctx context.Context, runAs, name string, args ...string) error {
	if runAs != "" {
		args = append([]string{"-u", runAs, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, tail(out.Bytes(), 2000))
	}
	return nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}
