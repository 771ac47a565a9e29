package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "HOTLINE_TEST_DATABASE_URL"

var (
	mu       sync.Mutex
	adminURL string
	private  *Cluster
	inMain   bool
	startErr error
)

// Main runs a package's tests and stops the private cluster, if one was
// started. Packages that call NewDatabase use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if private != nil {
		if err := private.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop private cluster: %v\n", err)
		}
		private = nil
	}
	return code
}

// Required reports whether tests must fail rather than skip when no
// PostgreSQL can be had: in CI, or when HOTLINE_TEST_REQUIRE_POSTGRES is set.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("HOTLINE_TEST_REQUIRE_POSTGRES") != ""
}

// AdminURL returns the URL of the server tests use, starting a private
// cluster the first time if HOTLINE_TEST_DATABASE_URL is not set.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if adminURL != "" {
		return adminURL
	}
	if startErr == nil {
		if u := os.Getenv(EnvURL); u != "" {
			adminURL = u
			return adminURL
		}
		if !inMain {
			tb.Fatal("pgtest: the package's TestMain must call pgtest.Main so the private cluster is stopped")
		}
		dir, err := os.MkdirTemp("", "hotline-pg-")
		if err == nil {
			_ = os.Chmod(dir, 0o755)
			private, err = StartCluster(context.Background(), dir)
			if err != nil {
				os.RemoveAll(dir)
			}
		}
		if err != nil {
			startErr = err
		} else {
			adminURL = private.URL
			return adminURL
		}
	}
	if Required() {
		tb.Fatalf("pgtest: PostgreSQL is required here and could not be started: %v", startErr)
	}
	tb.Skipf("pgtest: no PostgreSQL (set %s or install postgresql): %v", EnvURL, startErr)
	return ""
}

// NewDatabase creates an empty database for this test and returns its URL.
// It is dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin := AdminURL(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("pgtest: connect %s: %v", admin, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String()
}
