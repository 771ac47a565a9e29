package knowledge

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
)

//go:embed demo/articles.jsonl
var demoArticles []byte

// DemoArticles returns the demo center's articles: telecom tariffs, faults,
// roaming, number porting, invoices, PIN reset and more, in Mandarin and
// English, all published.
func DemoArticles() ([]Article, error) {
	as, err := ReadJSONL(bytes.NewReader(demoArticles))
	if err != nil {
		return nil, fmt.Errorf("demo articles: %w", err)
	}
	return as, nil
}

// SeedDemo puts the demo articles in the store (updating changed ones,
// never duplicating) and returns how many changed.
func (s *Service) SeedDemo(ctx context.Context) (int, error) {
	as, err := DemoArticles()
	if err != nil {
		return 0, err
	}
	return s.Import(ctx, as, "demo")
}
