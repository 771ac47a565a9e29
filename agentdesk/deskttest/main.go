package deskttest

import (
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main runs a package's tests and then fails the run if any goroutine is
// left behind: every gateway (hub, socket readers and writers, chat flows,
// board refresh) must have stopped when its Run returned. Use it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(deskttest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		// bleve (the knowledge base's embedded index) starts its analysis
		// workers once per process, at package init.
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker")); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	return code
}
