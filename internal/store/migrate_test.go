package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

func TestMigrateTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate: applied %v, %v; want none", applied, err)
		}
		if pending, err := s.MigrationsPending(ctx); err != nil || pending {
			t.Fatalf("pending: %v, %v; want false", pending, err)
		}
	})
}

func TestMigrateConcurrently(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			o := b.options(t)
			o.LockTimeout = 30 * time.Second
			var wg sync.WaitGroup
			total := make([]int, 3)
			errs := make([]error, 3)
			for i := range 3 {
				wg.Go(func() {
					s, err := store.Open(ctx, o)
					if err != nil {
						errs[i] = err
						return
					}
					defer s.Close()
					applied, err := s.Migrate(ctx)
					total[i], errs[i] = len(applied), err
				})
			}
			wg.Wait()
			sum := 0
			for i := range 3 {
				if errs[i] != nil {
					t.Fatalf("runner %d: %v", i, errs[i])
				}
				sum += total[i]
			}
			files, _ := filepath.Glob(filepath.Join("migrations", b.name, "*.sql"))
			if sum != len(files) {
				t.Fatalf("migrations applied across runners: got %d, want %d (each once)", sum, len(files))
			}
		})
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			real, err := os.ReadFile(filepath.Join("migrations", b.name, "00001_foundation.sql"))
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{
				"00001_foundation.sql": {Data: real},
				"00002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE half_done (id INT);\n" +
					"INSERT INTO no_such_table VALUES (1);\n-- +goose Down\nDROP TABLE half_done;\n")},
			}
			o := store.WithMigrations(b.options(t), fsys)
			s, err := store.Open(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			applied, err := s.Migrate(ctx)
			if err == nil || !strings.Contains(err.Error(), "00002_broken.sql") {
				t.Fatalf("got %v, want an error naming 00002_broken.sql", err)
			}
			if len(applied) != 1 || applied[0].Version != 1 {
				t.Fatalf("applied: got %v, want the first migration only", applied)
			}
			if err := s.Exec("SELECT count(*) FROM half_done"); err == nil {
				t.Fatal("table of the failed migration exists: it was not rolled back")
			}
			if pending, _ := s.MigrationsPending(ctx); !pending {
				t.Fatal("failed migration counted as applied")
			}
		})
	}
}

func TestSQLiteDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	first := open(t, store.Options{DataDir: dir})
	_, err := store.Open(ctx, store.Options{DataDir: dir, LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "pid") {
		t.Fatalf("error %q does not name the holder", err)
	}
	first.Close()
	second, err := store.Open(ctx, store.Options{DataDir: dir, LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("open after release: %v", err)
	}
	second.Close()
}

func TestSQLiteCorruptFile(t *testing.T) {
	dir := t.TempDir()
	garbage := []byte(strings.Repeat("this is not a database file ", 200))
	if err := os.WriteFile(filepath.Join(dir, "hotline.db"), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(ctx, store.Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "not a database") || !strings.Contains(err.Error(), "hotline.db") {
		t.Fatalf("got %v, want an error naming the file and saying it is not a database", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "hotline.db"))
	if string(after) != string(garbage) {
		t.Fatal("opening a corrupt file changed it")
	}
}

func TestUnsupportedURL(t *testing.T) {
	_, err := store.Open(ctx, store.Options{URL: "mysql://root:secret@db/hotline"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v, want an error that hides the password", err)
	}
}

func TestUnreachablePostgres(t *testing.T) {
	c, cancel := ctxWithTimeout(5 * time.Second)
	defer cancel()
	_, err := store.Open(c, store.Options{URL: "postgres://hotline:secret@127.0.0.1:1/hotline?connect_timeout=2"})
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("got %v, want a connection error naming the host, password hidden", err)
	}
}
