package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The Grafana dashboard parses, every tile names a KPI the engine
// exports, and every trend reads a recording rule that exists.
func TestDashboardReadsExportedSeries(t *testing.T) {
	b, err := os.ReadFile("grafana/hotline-kpis.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	rules, err := os.ReadFile("prometheus/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	kpiRe := regexp.MustCompile(`hotline_kpi\{kpi="([A-Z]{2}\d\d)"`)
	ruleRe := regexp.MustCompile(`\b([a-z_]+:hotline_kpi_[a-z0-9_]+:[a-z0-9_]+)\b`)
	tiles := map[string]bool{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range kpiRe.FindAllStringSubmatch(tg.Expr, -1) {
				if _, ok := Lookup(m[1]); !ok {
					t.Errorf("panel %q: unknown KPI %s", p.Title, m[1])
				}
				tiles[m[1]] = true
			}
			for _, m := range ruleRe.FindAllStringSubmatch(tg.Expr, -1) {
				if !strings.Contains(string(rules), "record: "+m[1]+"\n") {
					t.Errorf("panel %q: no recording rule %s", p.Title, m[1])
				}
			}
		}
	}
	for _, def := range Definitions {
		if def.Kind != Batch && !tiles[def.ID] {
			t.Errorf("no tile for %s", def.ID)
		}
	}
}
