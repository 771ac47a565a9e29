package contactrecord

import (
	"testing"

	"go.uber.org/goleak"
)

// Every goroutine the package's code starts is stopped and waited for.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
