package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline10000/hotline/internal/store"
)

// Regression (issue 9): opening a store never puts the database password
// in its error, in any connection-string form.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const pw = "Pa55wordX"
	for _, u := range []string{
		"postgres://hotline:" + pw + "@127.0.0.1:1/hotline?connect_timeout=2",          // URL userinfo, refused
		"postgres://hotline@127.0.0.1:1/hotline?password=" + pw + "&connect_timeout=2", // query parameter, refused
		"postgresql://hotline:" + pw + "@127.0.0.1:notaport/hotline",                   // unparsable
		"postgres://127.0.0.1:1/hotline?password=" + pw + "&sslmode=bogus",             // rejected parameter
		"host=127.0.0.1 port=1 user=hotline password=" + pw + " dbname=hotline",        // keyword form
		"mysql://root:" + pw + "@db/x",                                                 // wrong scheme
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := store.Open(ctx, store.Options{URL: u, DataDir: t.TempDir()})
		cancel()
		if err == nil {
			s.Close()
			t.Errorf("%s: opened", u)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
