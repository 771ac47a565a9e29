package contactrecord

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/internal/pgtest"
)

// Every goroutine the package's code starts is stopped and waited for.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
