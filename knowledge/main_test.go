package knowledge_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: the
// embedded index (bleve scorch) runs its own, which Close must stop. Only
// bleve's analysis workers are expected: bleve starts that pool once, at
// package init, for the whole process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker"))
}
